package io.fleetdeploy.cli.demo;

import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.services.Machine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Watches the instances of some groups: every 200 ms, each instance's installed version (its
 * current/app.properties) and lifecycle state; records a point only when one of them changed.
 */
final class InstanceSampler implements AutoCloseable {

    private final Sandbox sandbox;
    private final List<String> groups;
    private final LongSupplier clockMillis;
    private final ScheduledExecutorService timer;
    private final Map<String, VersionPoint> last = new HashMap<>();
    private final List<VersionPoint> points = new ArrayList<>();

    InstanceSampler(Sandbox sandbox, List<String> groups, LongSupplier clockMillis) {
        this.sandbox = sandbox;
        this.groups = List.copyOf(groups);
        this.clockMillis = clockMillis;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "demo-instances");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        timer.scheduleWithFixedDelay(this::sample, 0, 200, TimeUnit.MILLISECONDS);
    }

    private synchronized void sample() {
        long now = clockMillis.getAsLong();
        for (String group : groups) {
            Map<String, String> states = sandbox.groupInstances(group);
            for (Machine machine : sandbox.instances()) {
                if (!group.equals(machine.tags().get("aws:autoscaling:groupName"))) {
                    continue;
                }
                String lifecycle = states.get(machine.id());
                String version = machine.running() ? machine.host().currentVersion().orElse(null) : null;
                VersionPoint previous = last.get(machine.id());
                if (previous != null && previous.lifecycle() == null && lifecycle == null) {
                    continue;
                }
                if (previous == null || !Objects.equals(previous.version(), version) || !Objects.equals(previous.lifecycle(), lifecycle)) {
                    VersionPoint point = new VersionPoint(now, machine.id(), group, version, lifecycle);
                    last.put(machine.id(), point);
                    points.add(point);
                }
            }
        }
    }

    /** Stops sampling (after one last sample) and returns every change seen, in time order. */
    synchronized List<VersionPoint> stop() {
        timer.shutdownNow();
        sample();
        return List.copyOf(points);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
