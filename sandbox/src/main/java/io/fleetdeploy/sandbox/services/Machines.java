package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.runtime.InstanceRuntime;
import io.fleetdeploy.sandbox.runtime.RunningInstance;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every EC2 instance the sandbox launched, in launch order, kept after termination as EC2 keeps
 * terminated instances visible. Auto Scaling launches through it; EC2, ELBv2 and SSM read it.
 */
public final class Machines {

    private final InstanceRuntime runtime;
    private final Clock clock;
    private final Ids ids = new Ids();
    private final Map<String, Machine> machines = new LinkedHashMap<>();

    public Machines(InstanceRuntime runtime, Clock clock) {
        this.runtime = runtime;
        this.clock = clock;
    }

    /** Starts a real instance (pending: its server runs, no release yet). */
    Machine launch(String app, String availabilityZone, String instanceType, Map<String, String> env,
            Map<String, String> tags) {
        String id = ids.instanceId();
        Map<String, String> withId = new LinkedHashMap<>(env);
        withId.put("FLEET_INSTANCE_ID", id);
        RunningInstance host = runtime.launch(id, app, withId);
        Machine machine = new Machine(id, ids.reservationId(), availabilityZone, instanceType, clock.instant(), host, tags);
        synchronized (this) {
            machines.put(id, machine);
        }
        return machine;
    }

    public synchronized Optional<Machine> find(String id) {
        return Optional.ofNullable(machines.get(id));
    }

    public synchronized List<Machine> all() {
        return new ArrayList<>(machines.values());
    }

    /** Stops the instance's server and marks it terminated (its disk is kept for inspection). */
    public void terminate(String id) {
        find(id).ifPresent(machine -> {
            machine.state("shutting-down", clock.instant());
            runtime.terminate(id);
            machine.state("terminated", clock.instant());
        });
    }
}
