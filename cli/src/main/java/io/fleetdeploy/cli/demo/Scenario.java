package io.fleetdeploy.cli.demo;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.fleet.BatchPlan;
import io.fleetdeploy.core.fleet.DrainRequest;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.fleet.RolloutRequest;
import io.fleetdeploy.core.fleet.SwitchRequest;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.Sleeper;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.schema.DatabaseConnector;
import io.fleetdeploy.core.schema.FlipRequest;
import io.fleetdeploy.core.schema.KeyExpectation;
import io.fleetdeploy.core.schema.MigrateRequest;
import io.fleetdeploy.core.schema.MigrationSource;
import io.fleetdeploy.core.schema.ReleaseStoreBundles;
import io.fleetdeploy.core.schema.SchemaKeyState;
import io.fleetdeploy.core.schema.SchemaKeyStore;
import io.fleetdeploy.core.schema.SchemaKeyTables;
import io.fleetdeploy.core.schema.SchemaMigrator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * One strategy's run: the fleet up on v1 (schema key k1), load through the listener, then v2 (a
 * migration and schema key k2) deployed with the composition of the matching examples/*.Jenkinsfile,
 * through the same core calls its steps make (Releases.publish, FleetOperations.rollout / switchTraffic
 * / drain, SchemaMigrator.migrate, SchemaKeyStore.flip). Like a pipeline, it stops at the first step
 * that does not succeed; that step has undone its own changes.
 *
 * <p>Pull: as in examples/pull.Jenkinsfile the key flips before the workers converge; workers that
 * checked the key would all refuse work until then, so the pull app's code does not check it, and the
 * run measures the window in which old code served on the new schema key instead. When the pull fails
 * (it has moved the channel back), the key is flipped back, as the example's catch does.
 */
final class Scenario {

    static final String V1 = "1.0";
    static final String V2 = "2.0";
    static final String K1 = "k1";
    static final String K2 = "k2";
    static final String CONVERGE_PULL = "converge (pull)";
    private static final Duration FLEET_UP_BOUND = Duration.ofMinutes(10);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration STEADY = Duration.ofSeconds(3);
    /** examples/blue-green.Jenkinsfile bakes 60 s per step; the demo bakes 3 s so the run stays short. */
    private static final Duration BAKE = Duration.ofSeconds(3);
    /** examples/push.Jenkinsfile's "roll out the rest": a quarter at a time, never below 75 % serving. */
    static final int PUSH_BATCH_PERCENT = 25;
    static final int PUSH_MIN_HEALTHY_PERCENT = 75;

    /**
     * The fewest instances the push composition can run on: its last stage takes at least one instance out
     * while minHealthyPercent of the group keeps serving.
     */
    static int pushMinimumInstances() {
        int n = 1;
        while (n - BatchPlan.required(n, PUSH_MIN_HEALTHY_PERCENT) < 1) {
            n++;
        }
        return n;
    }

    private final DemoCloud cloud;
    private final Strategy strategy;
    private final Fault fault;
    private final int instances;
    private final int rps;
    private final Duration maxLoad;
    private final ProgressListener progress;
    private final Path work;
    private final List<Phase> phases = new ArrayList<>();
    private final List<KeyFlip> flips = new ArrayList<>();
    private long t0;

    Scenario(DemoCloud cloud, Strategy strategy, Fault fault, int instances, int rps, Duration maxLoad, ProgressListener progress) {
        this.cloud = cloud;
        this.strategy = strategy;
        this.fault = fault;
        this.instances = instances;
        this.rps = rps;
        this.maxLoad = maxLoad;
        this.progress = line -> progress.info("[" + strategy.label() + "] " + line);
        try {
            this.work = Files.createTempDirectory("fleet-demo-" + strategy.app() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ScenarioResult run() {
        AbortSignal abort = new AbortSignal();
        try (Releases releases = cloud.releases(strategy.app(), progress);
             ReleaseStoreBundles bundles = new ReleaseStoreBundles(releases);
             AwsFleet fleet = cloud.fleet(strategy.app(), Sleeper.interruptibleBy(abort), progress)) {
            SchemaMigrator migrator = new SchemaMigrator(cloud.rds(), bundles, Clock.systemUTC());
            long setupStart = System.currentTimeMillis();
            t0 = setupStart;
            bringUpV1(releases, migrator);
            long setupMillis = System.currentTimeMillis() - setupStart;
            return deployV2UnderLoad(releases, migrator, fleet.operations(), abort, setupMillis);
        } finally {
            deleteTree(work);
        }
    }

    private void bringUpV1(Releases releases, SchemaMigrator migrator) {
        progress.info("setting up: " + instances + " instance(s) on " + V1 + ", schema key " + K1);
        releases.publish(PublishRequest.of(bundle(V1, K1, false), V1).withChannel(strategy.serving()).withMetadata(K1, null, null));
        migrator.migrate(migrateRequest(V1), progress);
        schemaKeys().flip(new FlipRequest(strategy.app(), new KeyExpectation.Unset(), K1, "fleet-deploy demo", "v1 is live"), progress);
        cloud.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(strategy.serving()).desiredCapacity(instances));
        awaitCondition("group " + strategy.serving() + " has " + instances + " healthy targets running " + V1, FLEET_UP_BOUND,
                () -> healthyTargets(strategy.serving()) == instances);
    }

    private ScenarioResult deployV2UnderLoad(Releases releases, SchemaMigrator migrator, FleetOperations operations,
                                             AbortSignal abort, long setupMillis) {
        t0 = System.currentTimeMillis();
        URI listener = cloud.listenerUrl(strategy);
        progress.info("load: " + rps + " requests/s through " + listener);
        cloud.sandbox().counters().reset();
        try (InstanceSampler sampler = new InstanceSampler(cloud.sandbox(), strategy.groups(), this::now);
             LoadGenerator load = new LoadGenerator(listener, rps, maxLoad, this::now)) {
            sampler.start();
            load.start();
            if (fault == Fault.THROTTLE) {
                cloud.sandbox().faults().setThrottleRate(0.2);
            }
            pause(STEADY);
            composition(releases, migrator, operations, abort);
            cloud.sandbox().faults().clear();
            SortedMap<String, Long> apiCalls = cloud.sandbox().counters().snapshot();
            pause(STEADY);
            List<Sample> samples = load.stop();
            long loadMillis = now();
            List<VersionPoint> versions = sampler.stop();
            boolean retired = phases.stream().anyMatch(p -> p.name().equals("retire blue") && p.succeeded());
            Map<String, String> keys = new LinkedHashMap<>();
            keys.put(V1, K1);
            keys.put(V2, K2);
            FinalState finalState = FinalState.read(cloud, strategy, expectedCapacity(), retired,
                    schemaKeys().get(strategy.app()).map(SchemaKeyState::schemaKey), keys);
            progress.info("final state " + (finalState.ok() ? "OK" : "NOT OK"));
            return new ScenarioResult(strategy, fault, instances, rps, setupMillis, List.copyOf(phases), samples, K1,
                    List.copyOf(flips), keys, versions, apiCalls, finalState, loadMillis);
        }
    }

    /** The steps of examples/<strategy>.Jenkinsfile, in its order; stops at the first that does not succeed. */
    private void composition(Releases releases, SchemaMigrator migrator, FleetOperations operations, AbortSignal abort) {
        boolean bad = fault == Fault.BAD_RELEASE;
        String group = strategy.serving();
        switch (strategy) {
            case PUSH -> {
                boolean ok = step("publish " + V2, () -> publish(releases, bad, null))
                        && step("canary", () -> {
                            killLater(group);
                            // rolloutGroup ... strategy: 'push', instanceCount: 1 (leaves the channel pointer at 1.0)
                            return operation(operations.rollout(new RolloutRequest(group, V2, RolloutRequest.Strategy.PUSH,
                                    null, null, null, null, false, null, null, STEP_TIMEOUT, null, null, null, null, null)
                                    .withInstanceCount(1), abort));
                        })
                        && step("migrate", () -> migrate(migrator))
                        && step("flip " + K1 + "->" + K2, () -> flip(K1, K2))
                        // rolloutGroup ... strategy: 'push', batchPercent: 25, minHealthyPercent: 75 (skips the canary)
                        && step("roll out the rest", () -> operation(operations.rollout(new RolloutRequest(group, V2,
                                RolloutRequest.Strategy.PUSH, null, null, PUSH_BATCH_PERCENT, PUSH_MIN_HEALTHY_PERCENT, false,
                                null, null, STEP_TIMEOUT, null, null, null, null, null), abort)));
                report(ok);
            }
            case PULL -> {
                boolean flipped = step("publish " + V2, () -> publish(releases, bad, null))
                        && step("migrate", () -> migrate(migrator))
                        && step("flip " + K1 + "->" + K2, () -> flip(K1, K2));
                boolean ok = flipped && step(CONVERGE_PULL, () -> {
                    killLater(group);
                    return operation(operations.rollout(new RolloutRequest(group, V2, RolloutRequest.Strategy.PULL,
                            null, null, null, null, false, null, null, STEP_TIMEOUT, null, null, null, null, null), abort));
                });
                if (flipped && !ok) {
                    // examples/pull.Jenkinsfile's catch: the failed pull has moved the channel back and the workers run 1.0
                    // again, so the key goes back to theirs (compare-and-set from k2) before the pipeline fails.
                    step("flip " + K2 + "->" + K1, () -> flip(K2, K1));
                }
                report(ok);
            }
            case BLUE_GREEN -> {
                String green = strategy.idle();
                boolean ok = step("publish " + V2, () -> publish(releases, bad, "green"))
                        && step("green: replace", () -> {
                            killLater(group);
                            return operation(operations.rollout(new RolloutRequest(green, V2, RolloutRequest.Strategy.REPLACE,
                                    null, null, null, null, false, null, null, STEP_TIMEOUT, null, null, null, group, null), abort));
                        })
                        && step("migrate", () -> migrate(migrator))
                        && step("flip " + K1 + "->" + K2, () -> flip(K1, K2))
                        && step("switch traffic", () -> operation(operations.switchTraffic(new SwitchRequest(listenerArn(), green,
                                List.of(10, 50, 100), BAKE, true, STEP_TIMEOUT, null, null), abort)))
                        && step("retire blue", () -> operation(operations.drain(new DrainRequest(group, null, null, null,
                                DrainRequest.Mode.SCALE_TO_ZERO, STEP_TIMEOUT, null, false), abort)));
                report(ok);
            }
            default -> throw new IllegalStateException(strategy.toString());
        }
    }

    private void report(boolean ok) {
        progress.info(ok ? "deployed " + V2 : "the pipeline stopped at '" + phases.stream().filter(p -> !p.succeeded())
                .findFirst().orElseThrow().name() + "'");
    }

    private record Outcome(String status, String detail) {
    }

    @FunctionalInterface
    private interface StepBody {
        Outcome run();
    }

    private boolean step(String name, StepBody body) {
        long start = now();
        progress.info("step " + name);
        Outcome outcome;
        try {
            outcome = body.run();
        } catch (FleetDeployException e) {
            outcome = new Outcome("FAILED", e.getMessage());
        }
        Phase phase = new Phase(name, start, now(), outcome.status(), outcome.detail());
        phases.add(phase);
        progress.info("step " + name + ": " + phase.outcome() + " in " + phase.durationMillis() + " ms");
        return phase.succeeded();
    }

    private static Outcome operation(OperationRecord record) {
        return new Outcome(record.status().name(), record.id() + (record.message() == null ? "" : ": " + record.message()));
    }

    private Outcome publish(Releases releases, boolean bad, String channel) {
        PublishRequest request = PublishRequest.of(bundle(V2, K2, bad), V2).withMetadata(K2, null, null);
        releases.publish(channel == null ? request : request.withChannel(channel));
        return new Outcome("SUCCEEDED", V2 + (bad ? " (a bad build: it fails its health check)" : ""));
    }

    private Outcome migrate(SchemaMigrator migrator) {
        var result = migrator.migrate(migrateRequest(V2), progress);
        return new Outcome("SUCCEEDED", "schema " + result.versionBefore() + " -> " + result.versionAfter());
    }

    private Outcome flip(String from, String to) {
        SchemaKeyStore keys = schemaKeys();
        long before = now();
        String note = K2.equals(to) ? strategy.label() + " " + V2 : strategy.label() + " " + V2 + " rolled back";
        keys.flip(new FlipRequest(strategy.app(), new KeyExpectation.Is(from), to, "fleet-deploy demo", note), progress);
        flips.add(new KeyFlip(from, to, before, now()));
        return new Outcome("SUCCEEDED", from + " -> " + to);
    }

    private MigrateRequest migrateRequest(String version) {
        return MigrateRequest.of(strategy.app(), cloud.database(), MigrationSource.release(version))
                .withHistoryTable("flyway_history_" + strategy.app());
    }

    private SchemaKeyStore schemaKeys() {
        return new SchemaKeyStore(new DatabaseConnector(cloud.rds()).connect(cloud.database(), progress), SchemaKeyTables.DEFAULT);
    }

    /** A build's output: app.properties (what the sandbox's app serves) and the migrations up to this version. */
    private Path bundle(String version, String key, boolean bad) {
        Path dir = work.resolve(version + (bad ? "-bad" : ""));
        try {
            Files.createDirectories(dir.resolve("db/migration"));
            String properties = "version=" + version + "\n"
                    + (strategy.codeChecksKey() ? "schemaKey=" + key + "\n" : "")
                    + (bad ? "healthy=false\n" : "");
            Files.writeString(dir.resolve("app.properties"), properties);
            String app = strategy.app();
            Files.writeString(dir.resolve("db/migration/V1__" + app + "_orders.sql"),
                    "create table if not exists " + app + "_orders (id int primary key);\n");
            if (!V1.equals(version)) {
                Files.writeString(dir.resolve("db/migration/V2__" + app + "_payments.sql"),
                        "create table " + app + "_payments (id int primary key, order_id int);\n");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** --fault kill-instance: terminates the serving group's last InService instance 3 s from now (through the admin API). */
    private void killLater(String group) {
        if (fault != Fault.KILL_INSTANCE) {
            return;
        }
        String victim = cloud.sandbox().groupInstances(group).entrySet().stream().filter(e -> "InService".equals(e.getValue()))
                .map(Map.Entry::getKey).max(Comparator.naturalOrder()).orElse(null);
        if (victim == null) {
            return;
        }
        progress.info("fault: instance " + victim + " of " + group + " is terminated in 3 s");
        HttpRequest request = HttpRequest.newBuilder(cloud.sandbox().adminEndpoint().resolve("/instances/" + victim + "/terminate"))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("{\"afterMillis\":3000}")).build();
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 202) {
                progress.warn("the sandbox did not schedule the termination: " + response.body());
            }
        } catch (IOException e) {
            progress.warn("the sandbox admin API did not answer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<String, Integer> expectedCapacity() {
        Map<String, Integer> expected = new LinkedHashMap<>();
        if (strategy != Strategy.BLUE_GREEN) {
            expected.put(strategy.serving(), instances);
            return expected;
        }
        boolean greenUp = phases.stream().anyMatch(p -> p.name().equals("green: replace") && p.succeeded());
        boolean blueRetired = phases.stream().anyMatch(p -> p.name().equals("retire blue") && p.succeeded());
        expected.put(strategy.serving(), blueRetired ? 0 : instances);
        expected.put(strategy.idle(), greenUp ? instances : 0);
        return expected;
    }

    private String listenerArn() {
        String lb = cloud.elb().describeLoadBalancers(r -> r.names(strategy.loadBalancer())).loadBalancers().get(0).loadBalancerArn();
        return cloud.elb().describeListeners(r -> r.loadBalancerArn(lb)).listeners().get(0).listenerArn();
    }

    private long healthyTargets(String group) {
        String arn = cloud.elb().describeTargetGroups(r -> r.names(group)).targetGroups().get(0).targetGroupArn();
        return cloud.elb().describeTargetHealth(r -> r.targetGroupArn(arn)).targetHealthDescriptions().stream()
                .filter(t -> t.targetHealth().state() == TargetHealthStateEnum.HEALTHY).count();
    }

    private long now() {
        return System.currentTimeMillis() - t0;
    }

    private static void awaitCondition(String what, Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new FleetDeployException("The demo waited " + bound.toSeconds() + " s for: " + what + ".",
                        "The sandbox is stopped and removed.", "Run it again; on a busy machine give fewer --instances.");
            }
            pause(Duration.ofMillis(250));
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FleetDeployException("The demo was interrupted.", "The sandbox is stopped and removed.", "Run it again.");
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is the OS's temp cleaning's to remove
        }
    }
}
