package io.fleetdeploy.cli.demo;

import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.services.Machine;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What cloud-init installs on a pull instance: a timer that runs {@code fleet-agent.sh poll} on the
 * instance every interval (staggered over the instances, as timers of instances booted at different
 * moments are). The sandbox runs user data and SSM commands but no timers, so the demo is that timer:
 * it runs the real agent in the instance's directory with the instance's own environment.
 */
final class PullTimer implements AutoCloseable {

    private static final Duration RUN_BOUND = Duration.ofSeconds(60);

    private final Sandbox sandbox;
    private final String group;
    private final Duration interval;
    private final ScheduledExecutorService timer;
    private long tick;

    PullTimer(Sandbox sandbox, String group, Duration interval) {
        this.sandbox = sandbox;
        this.group = group;
        this.interval = interval;
        this.timer = Executors.newScheduledThreadPool(2, r -> {
            Thread thread = new Thread(r, "demo-pull-timer");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        // One instance per slot: every instance polls once per interval, the polls spread over it.
        timer.scheduleWithFixedDelay(this::pollNext, 0, Math.max(100, interval.toMillis() / 8), TimeUnit.MILLISECONDS);
    }

    private void pollNext() {
        List<Machine> members = sandbox.instances().stream()
                .filter(m -> group.equals(m.tags().get("aws:autoscaling:groupName")))
                .filter(m -> "InService".equals(sandbox.groupInstances(group).get(m.id())))
                .filter(Machine::running)
                .toList();
        if (members.isEmpty()) {
            return;
        }
        int slots = 8;
        long slot = tick++ % slots;
        for (int i = 0; i < members.size(); i++) {
            if (i % slots == slot) {
                poll(members.get(i));
            }
        }
    }

    private void poll(Machine machine) {
        Map<String, String> env = machine.commandEnvironment();
        ProcessBuilder builder = new ProcessBuilder("sh", env.get("FLEET_AGENT"), "poll")
                .directory(machine.host().home().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(machine.host().home().resolve("pull-timer.log").toFile()));
        builder.environment().clear();
        builder.environment().putAll(env);
        try {
            Process process = builder.start();
            if (!process.waitFor(RUN_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            // The instance's disk went away (it was terminated): nothing to poll.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }


    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(RUN_BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
