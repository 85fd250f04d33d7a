package io.fleetdeploy.core.fleet;

import static io.fleetdeploy.core.fleet.FleetBenchmark.loadAverage;
import static io.fleetdeploy.core.fleet.FleetBenchmark.seconds;
import static io.fleetdeploy.core.testing.SandboxFleet.NEW;

import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import io.fleetdeploy.sandbox.runtime.RunningInstance;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The pull part of issue 5's benchmark: moves a pull group's channel pointer through the real engine and
 * measures the time until every instance serves the new version, against the agents' poll interval, with
 * where that time went per instance. A watcher samples every instance's disk every 20 ms: the agent's lock
 * directory ({@code .fleet/lock}, held from the start of each {@code fleet-agent.sh poll} run to its end)
 * and the release {@code current} points at. From that, per instance: when the poll that found the move
 * started (its poll phase), how long it took until {@code current} switched (the install), and until the run
 * ended (the status written). {@link FleetBenchmark} runs it after the push; {@link #main} runs it alone
 * ({@code PULL_ONLY=1 bench/fleet-benchmark.sh}), on a sandbox with only the pull group.
 */
public final class PullConvergence {

    static final String GROUP = "bench-pull";
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(20);

    /** The figures of one pull; times are from the pointer move. */
    record Result(int instances, int pollSeconds, Duration converged, Duration operationSawIt, OperationRecord record,
                  List<InstanceTimeline> timelines) {

        void print(String loadAtStart) {
            System.out.printf("pull  pointer move -> every instance serves %s: %.1f s (agent poll interval %d s; goal <= interval + 2 s);"
                            + " the operation saw it converged after %.1f s; API calls %d (%.1f per instance)%n", NEW,
                    seconds(converged), pollSeconds, seconds(operationSawIt), record.apiCallTotal(),
                    record.apiCallTotal() / (double) instances);
            System.out.printf("      by action: %s%n", record.apiCalls());
            System.out.printf("      where it went, per instance (min / median / max; %d instances, load at start %s, now %s):%n",
                    timelines.size(), loadAtStart, loadAverage());
            System.out.printf("        pointer move -> the poll that found it started (poll phase) %s%n",
                    spread(timelines, InstanceTimeline::pollStarted));
            System.out.printf("        that poll's start -> current switched (channel GET, bundle GET, verify, unpack, switch) %s%n",
                    spread(timelines, t -> t.switched().minus(t.pollStarted())));
            System.out.printf("        current switched -> the run ended (status PUT) %s%n",
                    spread(timelines, t -> t.runEnded().minus(t.switched())));
            System.out.printf("        the last instance to switch: poll started %.1f s after the move, switched %.1f s after it%n",
                    seconds(last().pollStarted()), seconds(last().switched()));
        }

        private InstanceTimeline last() {
            return timelines.stream().max(Comparator.comparing(InstanceTimeline::switched)).orElseThrow();
        }
    }

    /**
     * One instance, times from the pointer move: the poll that installed the new version started (took the
     * agent's lock), switched {@code current}, ended (released the lock, after its status PUT). A poll
     * that was already running at the move counts from the move.
     */
    record InstanceTimeline(String instanceId, Duration pollStarted, Duration switched, Duration runEnded) {
    }

    private PullConvergence() {
    }

    /** Pulls {@code NEW} on {@code group} (every instance on 1.0, agents polling every {@code pollSeconds}) and measures it. */
    static Result measure(SandboxFleet fleet, String group, int pollSeconds, Duration enginePoll) throws InterruptedException {
        List<String> ids = fleet.inServiceIds(group);
        Map<String, RunningInstance> hosts = new LinkedHashMap<>();
        ids.forEach(id -> hosts.put(id, fleet.sandbox().instance(id).orElseThrow().host()));
        Watcher watcher = new Watcher(hosts);
        watcher.start();
        AtomicReference<Instant> pointerMoved = new AtomicReference<>();
        OperationRecord pulled;
        try (AwsFleet engine = fleet.fleet("bench#pull", line -> {
            if (line.contains("] pull " + NEW + " on group " + group)) {
                pointerMoved.compareAndSet(null, Instant.now()); // printed once the channel move was made
            }
        }, enginePoll)) {
            pulled = engine.operations().rollout(new RolloutRequest(group, NEW, RolloutRequest.Strategy.PULL, null, null, null, null, false,
                    null, 2, Duration.ofMinutes(30), null, null, null, null, null), new AbortSignal());
        }
        Instant pullEnd = Instant.now();
        if (pulled.status() != OperationStatus.SUCCEEDED) {
            watcher.stop();
            FleetBenchmark.requireSucceeded(pulled);
        }
        List<InstanceTimeline> timelines = watcher.awaitConverged(pointerMoved.get(), Duration.ofSeconds(60));
        Duration converged = timelines.stream().map(InstanceTimeline::switched).max(Comparator.naturalOrder()).orElseThrow();
        return new Result(ids.size(), pollSeconds, converged, Duration.between(pointerMoved.get(), pullEnd), pulled, timelines);
    }

    /** Samples each instance's lock and current release every 20 ms, remembering when they changed. */
    private static final class Watcher {
        private final Map<String, RunningInstance> hosts;
        private final Map<String, List<Instant>> lockTaken = new LinkedHashMap<>();
        private final Map<String, List<Instant>> lockReleased = new LinkedHashMap<>();
        private final Map<String, Instant> switched = new LinkedHashMap<>();
        private final Thread thread;

        Watcher(Map<String, RunningInstance> hosts) {
            this.hosts = hosts;
            hosts.keySet().forEach(id -> {
                lockTaken.put(id, new ArrayList<>());
                lockReleased.put(id, new ArrayList<>());
            });
            this.thread = new Thread(this::sample, "watch: pull timelines");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() {
            thread.interrupt();
        }

        private void sample() {
            Map<String, Boolean> locked = new LinkedHashMap<>();
            while (!Thread.currentThread().isInterrupted()) {
                Instant now = Instant.now();
                synchronized (this) {
                    hosts.forEach((id, host) -> {
                        boolean held = Files.isDirectory(host.home().resolve(".fleet/lock"));
                        Boolean before = locked.put(id, held);
                        if (before != null && before != held) {
                            (held ? lockTaken : lockReleased).get(id).add(now);
                        }
                        if (!switched.containsKey(id) && host.currentVersion().map(NEW::equals).orElse(false)) {
                            switched.put(id, now);
                        }
                    });
                    if (switched.size() == hosts.size() && locked.values().stream().noneMatch(Boolean::booleanValue)) {
                        notifyAll();
                    }
                }
                try {
                    Thread.sleep(SAMPLE_EVERY.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Waits (bounded) until every instance switched and no run holds its lock, then stops sampling. */
        synchronized List<InstanceTimeline> awaitConverged(Instant moved, Duration max) throws InterruptedException {
            Instant deadline = Instant.now().plus(max);
            while (switched.size() < hosts.size() || !allReleasedAfterSwitch()) {
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) {
                    thread.interrupt();
                    throw new IllegalStateException("benchmark: within " + max.toSeconds() + " s after the pull ended, "
                            + switched.size() + " of " + hosts.size() + " instances switched to " + NEW + " and finished their poll");
                }
                wait(left);
            }
            thread.interrupt();
            List<InstanceTimeline> timelines = new ArrayList<>();
            switched.forEach((id, at) -> {
                Instant started = lockTaken.get(id).stream().filter(t -> !t.isAfter(at)).max(Comparator.naturalOrder()).orElse(moved);
                Instant ended = lockReleased.get(id).stream().filter(t -> !t.isBefore(at)).min(Comparator.naturalOrder()).orElse(at);
                timelines.add(new InstanceTimeline(id, nonNegative(Duration.between(moved, started)), Duration.between(moved, at),
                        Duration.between(moved, ended)));
            });
            return timelines;
        }

        private boolean allReleasedAfterSwitch() {
            return switched.entrySet().stream().allMatch(e -> lockReleased.get(e.getKey()).stream().anyMatch(t -> !t.isBefore(e.getValue())));
        }
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    private static String spread(List<InstanceTimeline> timelines, Function<InstanceTimeline, Duration> figure) {
        List<Duration> sorted = timelines.stream().map(figure).sorted().toList();
        return String.format("%.1f / %.1f / %.1f s", seconds(sorted.get(0)), seconds(sorted.get(sorted.size() / 2)),
                seconds(sorted.get(sorted.size() - 1)));
    }

    /**
     * The pull alone: {@code [instances=20] [pull-poll-interval-s=10] [engine-poll-ms=1000]}, on a sandbox with
     * only the pull group (no push group booting or installing alongside). Run from {@code core}.
     */
    public static void main(String[] args) throws Exception {
        int instances = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int pollSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Duration enginePoll = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 1000);
        String loadAtStart = loadAverage();
        System.err.println("bench: starting the sandbox: group " + GROUP + " with " + instances + " instances polling every " + pollSeconds + " s");
        try (SandboxFleet fleet = new SandboxFleet("PullConvergence", List.of(new GroupSpec(GROUP, instances, pollSeconds * 1000L))).open()) {
            System.err.println("bench: sandbox up, every instance on 1.0; pull " + NEW);
            Result result = measure(fleet, GROUP, pollSeconds, enginePoll);
            System.out.println();
            System.out.printf("pull benchmark: %d instances, cores %d, load at start %s, engine poll %d ms%n", instances,
                    Runtime.getRuntime().availableProcessors(), loadAtStart, enginePoll.toMillis());
            result.print(loadAtStart);
        }
    }
}
