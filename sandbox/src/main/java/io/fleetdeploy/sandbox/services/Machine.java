package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.runtime.RunningInstance;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One EC2 instance as EC2 sees it: its state (pending, running, shutting-down, terminated), its
 * tags and the real instance (directory + HTTP server) that the runtime runs for it.
 */
public final class Machine {

    private final String id;
    private final String reservationId;
    private final String availabilityZone;
    private final String instanceType;
    private final Instant launchTime;
    private final RunningInstance host;
    private final Map<String, String> tags;
    private String state = "pending";
    private Instant stateChanged;
    private boolean commandFault;

    Machine(String id, String reservationId, String availabilityZone, String instanceType, Instant launchTime,
            RunningInstance host, Map<String, String> tags) {
        this.id = id;
        this.reservationId = reservationId;
        this.availabilityZone = availabilityZone;
        this.instanceType = instanceType;
        this.launchTime = launchTime;
        this.host = host;
        this.tags = new LinkedHashMap<>(tags);
        this.stateChanged = launchTime;
    }

    public String id() {
        return id;
    }

    String reservationId() {
        return reservationId;
    }

    public String availabilityZone() {
        return availabilityZone;
    }

    String instanceType() {
        return instanceType;
    }

    Instant launchTime() {
        return launchTime;
    }

    /** The real instance: its directory, HTTP endpoint and environment. */
    public RunningInstance host() {
        return host;
    }

    /**
     * The environment commands run with on this instance: what it was launched with, plus its
     * home (FLEET_HOME, HOME) and a PATH, as a login on the instance would have.
     */
    public Map<String, String> commandEnvironment() {
        Map<String, String> env = new LinkedHashMap<>(host.env());
        env.put("FLEET_HOME", host.home().toString());
        env.putIfAbsent("HOME", host.home().toString());
        env.putIfAbsent("PATH", Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin"));
        return env;
    }

    public synchronized String state() {
        return state;
    }

    synchronized Instant stateChanged() {
        return stateChanged;
    }

    synchronized void state(String newState, Instant at) {
        state = newState;
        stateChanged = at;
    }

    /** Running as EC2 says it and its server still answering (a killed server is a failed instance). */
    public synchronized boolean running() {
        return "running".equals(state) && host.running();
    }

    public synchronized Map<String, String> tags() {
        return Map.copyOf(tags);
    }

    synchronized void tag(String key, String value) {
        tags.put(key, value);
    }

    synchronized Optional<String> tag(String key) {
        return Optional.ofNullable(tags.get(key));
    }

    /** Fault: every SSM command sent to this instance fails. */
    public synchronized boolean commandFault() {
        return commandFault;
    }

    public synchronized void commandFault(boolean failing) {
        commandFault = failing;
    }
}
