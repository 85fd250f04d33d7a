package io.fleetdeploy.core.fleet;

import static io.fleetdeploy.core.testing.SandboxFleet.NEW;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * The rollout benchmark of issue 5, through the real engine against the sandbox: a push group and a
 * pull group of N instances each, releases 1.0 and 2.0 published, every instance on 1.0. Prints,
 * asserting nothing:
 * <ul>
 *   <li>push 2.0 at minHealthyPercent 90: wall time / lower bound, the lower bound being the sum of the
 *       batches' own durations (enter Standby, install, exit Standby, health gate), and API calls per instance;</li>
 *   <li>pull 2.0 (the agents poll the channel every {@code pull-poll-interval-s}): time from the pointer
 *       move until every instance serves 2.0, against the poll interval;</li>
 *   <li>switchTraffic of the push group's listener to the pull group's target group: time from the
 *       call until a request through the listener is first answered by a pull-group instance.</li>
 * </ul>
 * Arguments: {@code [instances=100] [pull-poll-interval-s=30] [engine-poll-ms=1000] [min-healthy-percent=90]}. Run from the
 * {@code core} directory (the sandbox finds the agent at ../agent); {@code bench/fleet-benchmark.sh} does.
 */
public final class FleetBenchmark {

    private static final String PUSH = "bench-push";
    private static final String PULL = "bench-pull";

    private FleetBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int instances = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int pullPollSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Duration enginePoll = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 1000);
        int minHealthyPercent = args.length > 3 ? Integer.parseInt(args[3]) : 90;
        ProgressListener quiet = line -> { };

        say("starting the sandbox: groups " + PUSH + " and " + PULL + " with " + instances + " instances each");
        Instant sandboxStart = Instant.now();
        try (SandboxFleet fleet = new SandboxFleet("FleetBenchmark", List.of(new GroupSpec(PUSH, instances, 0),
                new GroupSpec(PULL, instances, pullPollSeconds * 1000L))).open()) {
            say("sandbox up, every instance on 1.0, after " + seconds(Duration.between(sandboxStart, Instant.now())) + " s");

            RolloutRequest push = new RolloutRequest(PUSH, NEW, RolloutRequest.Strategy.PUSH, null, null, null, minHealthyPercent, false, null, 2,
                    Duration.ofMinutes(30), null, null, null, null, Duration.ofMinutes(10));
            say("push " + NEW + " to " + PUSH + " (minHealthyPercent " + minHealthyPercent + ", engine poll " + enginePoll.toMillis() + " ms)");
            Instant pushStart = Instant.now();
            OperationRecord pushed;
            PushRollout.State pushState;
            try (AwsFleet engine = fleet.fleet("bench#push", quiet, enginePoll)) {
                pushed = engine.operations().rollout(push, new AbortSignal());
                pushState = engine.store().mapper().convertValue(pushed.state(), PushRollout.State.class);
            }
            Duration pushWall = Duration.between(pushStart, Instant.now());
            requireSucceeded(pushed);
            Duration lowerBound = pushState.timings().stream().map(BatchTiming::duration).reduce(Duration.ZERO, Duration::plus);

            // Pull: the pointer moves in the operation's first tick; the agents find it on their timer.
            say("pull " + NEW + " on " + PULL + " (agents poll every " + pullPollSeconds + " s)");
            List<String> pullIds = fleet.inServiceIds(PULL);
            PullConvergence.Result pulled = PullConvergence.measure(fleet, PULL, pullPollSeconds, enginePoll);

            // switchTraffic: the push group's listener moves to the pull group's target group.
            say("switchTraffic of " + PUSH + "'s listener to target group " + PULL);
            URI listener = fleet.listenerUrl(PUSH);
            Set<String> newGroup = Set.copyOf(pullIds);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            Watch firstNewRequest = Watch.start("a request through " + listener + " is answered by " + PULL,
                    () -> answeredBy(http, listener, newGroup));
            Instant switchStart = Instant.now();
            OperationRecord switched;
            try (AwsFleet engine = fleet.fleet("bench#switch", quiet, enginePoll)) {
                switched = engine.operations().switchTraffic(new SwitchRequest(fleet.listenerArn(PUSH), PULL, null, null, true,
                        Duration.ofMinutes(5), null, null), new AbortSignal());
            }
            Instant switchEnd = Instant.now();
            requireSucceeded(switched);
            Instant firstServed = firstNewRequest.stop();

            System.out.println();
            System.out.printf("fleet benchmark: %d instances per group, cores %d, load before/after %s / %s, engine poll %d ms%n",
                    instances, Runtime.getRuntime().availableProcessors(), LOAD_AT_START, loadAverage(), enginePoll.toMillis());
            System.out.printf("push  %d batches at minHealthyPercent %d: wall %.1f s, lower bound %.1f s (sum of batch durations: standby + install + health gate),"
                            + " wall/lower bound %.2f (goal <= 1.10)%n", pushState.timings().size(), minHealthyPercent, seconds(pushWall), seconds(lowerBound),
                    seconds(pushWall) / seconds(lowerBound));
            pushState.timings().forEach(t -> System.out.printf("      batch %d: %d instance(s), %.1f s%n", t.batch(), t.instanceIds().size(),
                    seconds(t.duration())));
            System.out.printf("push  API calls: %d total, %.1f per instance (goal <= 10)%n", pushed.apiCallTotal(),
                    pushed.apiCallTotal() / (double) instances);
            System.out.printf("      by action: %s%n", pushed.apiCalls());
            pulled.print(LOAD_AT_START);
            System.out.printf("switch call -> first request served by %s: %.2f s; the operation ended after %.2f s; API calls %d%n", PULL,
                    seconds(Duration.between(switchStart, firstServed)), seconds(Duration.between(switchStart, switchEnd)),
                    switched.apiCallTotal());
        }
    }

    private static final String LOAD_AT_START = loadAverage();

    /** True when the listener answered and the X-Instance-Id it names is one of {@code ids}; false on any error (still switching). */
    private static boolean answeredBy(HttpClient http, URI listener, Set<String> ids) {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(listener).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.headers().firstValue("X-Instance-Id").map(ids::contains).orElse(false);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void requireSucceeded(OperationRecord record) {
        if (record.status() != OperationStatus.SUCCEEDED) {
            throw new IllegalStateException("benchmark: operation " + record.id() + " ended " + record.status() + ": " + record.message()
                    + "\n" + String.join("\n", record.history()));
        }
    }

    /** A background thread that checks a condition every 20 ms and remembers when it first held. */
    private static final class Watch {
        private final String what;
        private final Thread thread;
        private final AtomicReference<Instant> firstTrue = new AtomicReference<>();

        private Watch(String what, BooleanSupplier condition) {
            this.what = what;
            this.thread = new Thread(() -> {
                while (firstTrue.get() == null && !Thread.currentThread().isInterrupted()) {
                    if (condition.getAsBoolean()) {
                        firstTrue.set(Instant.now());
                        return;
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "watch: " + what);
            thread.setDaemon(true);
        }

        static Watch start(String what, BooleanSupplier condition) {
            Watch watch = new Watch(what, condition);
            watch.thread.start();
            return watch;
        }

        /** Waits (at most 60 s after the operation that should have made it true ended) and returns when it first held. */
        Instant stop() throws InterruptedException {
            thread.join(60_000);
            thread.interrupt();
            Instant at = firstTrue.get();
            if (at == null) {
                throw new IllegalStateException("benchmark: never saw that " + what + " (waited 60 s after the operation ended)");
            }
            return at;
        }
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static void say(String line) {
        System.err.println("bench: " + line);
    }
}
