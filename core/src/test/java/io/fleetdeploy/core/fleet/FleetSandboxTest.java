package io.fleetdeploy.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.SuspendedProcess;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * Push rollouts end to end in the sandbox: real SDK clients over the wire, real instances (HTTP
 * servers with their own directories), SSM running the shipped agent under sh with the AWS CLI,
 * target groups health-checking and draining for real. Each test has its own group; after each,
 * nothing we changed is left behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetSandboxTest {

    private static final String ACCESS_KEY = "AKIAFLEETOPSTESTS001";
    private static final String SECRET_KEY = "fleetOpsSandboxTestSecret00000000001";
    private static final String HEALTH = "\"healthCheck\": {\"intervalMillis\": 200, \"timeoutMillis\": 150,"
            + " \"healthyThreshold\": 2, \"unhealthyThreshold\": 2}, \"deregistrationDelayMillis\": 500";
    private static final List<String> GROUPS = List.of("happy", "bad", "abort", "twice", "ssmfail", "lost", "throttled");

    /** A sane bound for a 3-instance push with a 250 ms poll (see the happy path). */
    private static final int MAX_CALLS_PER_INSTANCE = 150;

    private Sandbox sandbox;
    private AwsSettings aws;
    private AwsSettings s3;
    private S3Layout layout;
    private AutoScalingClient autoScaling;
    private ElasticLoadBalancingV2Client elbv2;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws Exception {
        StringBuilder groups = new StringBuilder();
        StringBuilder targetGroups = new StringBuilder();
        StringBuilder listeners = new StringBuilder();
        int port = 80;
        for (String g : GROUPS) {
            // A target group health-checks only while a listener forwards to it (as in AWS).
            listeners.append(listeners.length() == 0 ? "" : ",").append("{\"port\": ").append(port++)
                    .append(", \"forward\": [{\"targetGroup\": \"").append(g).append("\", \"weight\": 1}]}");
            groups.append(groups.length() == 0 ? "" : ",").append("{\"name\": \"").append(g).append("\", \"app\": \"shop\", \"channel\": \"")
                    .append(g).append("\", \"minSize\": 0, \"maxSize\": 6, \"desiredCapacity\": 0,"
                            + " \"targetGroups\": [\"").append(g).append("\"]}");
            targetGroups.append(targetGroups.length() == 0 ? "" : ",").append("{\"name\": \"").append(g).append("\", ").append(HEALTH).append("}");
        }
        String config = "{\"users\": [{\"name\": \"deployer\", \"accessKeyId\": \"" + ACCESS_KEY + "\", \"secretAccessKey\": \"" + SECRET_KEY
                + "\"}], \"bootDelayMillis\": 100, \"targetGroups\": [" + targetGroups + "], \"groups\": [" + groups + "],"
                + " \"loadBalancers\": [{\"name\": \"shop\", \"listeners\": [" + listeners + "]}]}";
        sandbox = Sandbox.start(SandboxConfig.parse(config, "FleetSandboxTest").withAgentScript(Path.of("../agent/fleet-agent.sh")));
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
        aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(), credentials);
        s3 = aws.withEndpoint(sandbox.s3Endpoint());
        layout = S3Layout.of(sandbox.bucket(), sandbox.prefix(), "shop");
        autoScaling = io.fleetdeploy.core.aws.AwsClients.configure(AutoScalingClient.builder(), aws).build();
        elbv2 = io.fleetdeploy.core.aws.AwsClients.configure(ElasticLoadBalancingV2Client.builder(), aws).build();
        Path builds = Files.createDirectories(sandbox.workDir().resolve("fleet-sandbox-test-builds"));
        try (Releases releases = Releases.connect(s3, layout, ProgressListener.NONE)) {
            for (String version : List.of("1.0", "2.0", "2.1-unhealthy")) {
                Path dir = Files.createDirectories(builds.resolve(version));
                Files.writeString(dir.resolve("app.properties"), "version=" + version + "\n"
                        + (version.contains("unhealthy") ? "healthy=false\n" : ""));
                PublishRequest request = PublishRequest.of(dir, version);
                releases.publish(request);
            }
            for (String g : GROUPS) {
                releases.setChannel(io.fleetdeploy.core.release.ChannelUpdate.of(g, "1.0", "test", false));
            }
        }
        for (String g : GROUPS) {
            autoScaling.setDesiredCapacity(b -> b.autoScalingGroupName(g).desiredCapacity(3));
        }
        for (String g : GROUPS) {
            Await.until("group " + g + " serves 1.0 on 3 instances", Duration.ofMinutes(5), () -> servingVersion(g, "1.0", 3));
        }
    }

    @AfterAll
    void stop() {
        if (autoScaling != null) {
            autoScaling.close();
        }
        if (elbv2 != null) {
            elbv2.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @AfterEach
    void nothingLeftBehind() {
        sandbox.faults().clear();
        sandbox.instances().forEach(m -> m.commandFault(false));
        for (String g : GROUPS) {
            Await.until("traffic of " + g + " goes only to healthy targets", Duration.ofSeconds(30), () -> onlyHealthyTargets(g));
            AutoScalingGroup group = group(g);
            assertThat(group.instances()).as("no instance of %s left in Standby", g).noneMatch(i -> i.lifecycleStateAsString().contains("Standby"));
            assertThat(group.suspendedProcesses()).as("no process of %s left suspended", g).isEmpty();
            assertThat(group.desiredCapacity()).as("capacity of %s as before", g).isEqualTo(3);
        }
        try (AwsFleet fleet = fleet("check")) {
            S3Leases leases = new S3Leases(io.fleetdeploy.core.aws.AwsClients.s3(s3), layout, Clock.systemUTC(), d -> { });
            GROUPS.forEach(g -> assertThat(leases.read(g)).as("no lease left on %s", g).isEmpty());
        }
    }

    private AwsFleet fleet(String holder) {
        return new AwsFleet(aws, s3, layout, new AwsFleet.Options(holder, Duration.ofMillis(250), LeaseOptions.defaults(), null, null),
                Clock.systemUTC(), d -> Thread.sleep(d.toMillis()), lines::add);
    }

    private static RolloutRequest push(String group, String version, Duration timeout) {
        return new RolloutRequest(group, version, RolloutRequest.Strategy.PUSH, null, 1, null, 66, false, null, 2, timeout,
                null, null, null, null, Duration.ofMinutes(2));
    }

    @Test
    void pushPutsTheVersionOnEveryInstanceOneBatchAtATime() {
        OperationRecord done;
        try (AwsFleet fleet = fleet("ci#happy")) {
            done = fleet.operations().rollout(push("happy", "2.0", Duration.ofMinutes(2)), new AbortSignal());
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(servingVersion("happy", "2.0", 3)).isTrue();
        assertThat(lines).anyMatch(l -> l.contains("batch 3/3") && l.contains("healthy on 2.0"));
        // The record counts every call the rollout made. With a 250 ms poll most of them are polls;
        // the bound catches a call made per poll per instance, or a retry loop, not a slow machine.
        assertThat(done.apiCalls()).containsKeys("Ssm.SendCommand", "AutoScaling.EnterStandby", "AutoScaling.ExitStandby");
        assertThat(done.apiCalls().get("Ssm.SendCommand")).as("one install command per batch").isEqualTo(3);
        assertThat(done.apiCallTotal()).as("API calls for 3 instances: %s", done.apiCalls()).isLessThanOrEqualTo(3 * MAX_CALLS_PER_INSTANCE);
    }

    @Test
    void anSsmCommandFailingOnOneInstanceRollsBackEveryInstanceAlreadyMoved() {
        String second = group("ssmfail").instances().stream().map(i -> i.instanceId()).sorted().toList().get(1);
        sandbox.instance(second).orElseThrow().commandFault(true);
        OperationRecord done;
        try (AwsFleet fleet = fleet("ci#ssmfail")) {
            done = fleet.operations().rollout(push("ssmfail", "2.0", Duration.ofMinutes(1)), new AbortSignal());
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains(second);
        // Batch 1 was on 2.0 and healthy: the rollback put it back on 1.0 and waited for it to serve again.
        assertThat(lines).anyMatch(l -> l.contains("back in service and healthy (group ssmfail)"));
        Await.until("group ssmfail serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("ssmfail", "1.0", 3));
        try (Releases releases = Releases.connect(s3, layout, ProgressListener.NONE)) {
            assertThat(releases.channel("ssmfail").orElseThrow().pointer().version()).as("channel moved back").isEqualTo("1.0");
        }
    }

    @Test
    void anInstanceTerminatedMidRolloutIsReplacedOnTheNewVersionAndTheRolloutCompletes() {
        String last = group("lost").instances().stream().map(i -> i.instanceId()).sorted().toList().get(2);
        AtomicBoolean terminated = new AtomicBoolean();
        OperationRecord done;
        try (AwsFleet fleet = new AwsFleet(aws, s3, layout, new AwsFleet.Options("ci#lost", Duration.ofMillis(250), LeaseOptions.defaults(),
                null, null), Clock.systemUTC(), d -> Thread.sleep(d.toMillis()), line -> {
                    lines.add(line);
                    if (line.contains("batch 2/3") && line.contains("leaving traffic") && terminated.compareAndSet(false, true)) {
                        // As a scale-in or an operator would: the group keeps its desired capacity and launches a replacement.
                        autoScaling.terminateInstanceInAutoScalingGroup(b -> b.instanceId(last).shouldDecrementDesiredCapacity(false));
                    }
                })) {
            done = fleet.operations().rollout(push("lost", "2.0", Duration.ofMinutes(2)), new AbortSignal());
        }
        assertThat(terminated).isTrue();
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(group("lost").instances()).noneMatch(i -> i.instanceId().equals(last));
        // The channel pointer moved before the first change, so the replacement booted into 2.0.
        Await.until("group lost serves 2.0 on 3 instances, the replacement included", Duration.ofMinutes(2),
                () -> servingVersion("lost", "2.0", 3));
    }

    @Test
    void aRolloutCompletesUnderThrottlingAndServerErrors() {
        OperationRecord done;
        sandbox.faults().setThrottleRate(0.3);
        sandbox.faults().setServerErrorRate(0.05);
        try (AwsFleet fleet = fleet("ci#throttled")) {
            done = fleet.operations().rollout(push("throttled", "2.0", Duration.ofMinutes(2)), new AbortSignal());
        } finally {
            sandbox.faults().clear();
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(servingVersion("throttled", "2.0", 3)).isTrue();
    }

    @Test
    void anUnhealthyReleaseIsRolledBackAndTheGroupServesTheOldVersion() {
        OperationRecord done;
        try (AwsFleet fleet = fleet("ci#bad")) {
            done = fleet.operations().rollout(push("bad", "2.1-unhealthy", Duration.ofSeconds(20)), new AbortSignal());
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("batch 1/3: not healthy on 2.1-unhealthy");
        Await.until("group bad serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("bad", "1.0", 3));
    }

    @Test
    void abortMidBatchUndoesEverything() {
        AbortSignal abort = new AbortSignal();
        OperationRecord done;
        try (AwsFleet fleet = new AwsFleet(aws, s3, layout, new AwsFleet.Options("me@laptop", Duration.ofMillis(250), LeaseOptions.defaults(),
                null, null), Clock.systemUTC(), d -> Thread.sleep(d.toMillis()), line -> {
                    lines.add(line);
                    if (line.contains("batch 2/3") && line.contains("leaving traffic")) {
                        abort.request("Ctrl-C");
                    }
                })) {
            done = fleet.operations().rollout(push("abort", "2.0", Duration.ofMinutes(2)), abort);
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ABORTED);
        Await.until("group abort serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("abort", "1.0", 3));
    }

    @Test
    void aSecondRolloutOnTheSameGroupIsRefusedNamingTheFirst() {
        try (AwsFleet first = fleet("ci#first"); AwsFleet second = fleet("ci#second")) {
            OperationRunner.Session<?, ?> running = first.operations().startRollout(push("twice", "2.0", Duration.ofMinutes(2)), new AbortSignal());
            assertThatThrownBy(() -> second.operations().rollout(push("twice", "2.0", Duration.ofMinutes(2)), new AbortSignal()))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("being changed by ci#first (operation " + running.id());
            assertThat(running.runToEnd().status()).isEqualTo(OperationStatus.SUCCEEDED);
        }
        assertThat(servingVersion("twice", "2.0", 3)).isTrue();
    }

    /** Every target registered in the group's target group is healthy (nothing draining or failing gets traffic). */
    private boolean onlyHealthyTargets(String targetGroupName) {
        String arn = elbv2.describeTargetGroups(b -> b.names(targetGroupName)).targetGroups().get(0).targetGroupArn();
        List<TargetHealthDescription> targets = elbv2.describeTargetHealth(b -> b.targetGroupArn(arn)).targetHealthDescriptions();
        return !targets.isEmpty() && targets.stream().allMatch(t -> t.targetHealth().state() == TargetHealthStateEnum.HEALTHY);
    }

    private AutoScalingGroup group(String name) {
        return autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(name)).autoScalingGroups().get(0);
    }

    /** {@code count} InService instances, each answering on its own port with {@code version}. */
    private boolean servingVersion(String groupName, String version, int count) {
        List<String> inService = group(groupName).instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString()))
                .map(i -> i.instanceId()).toList();
        if (inService.size() != count) {
            return false;
        }
        return inService.stream().allMatch(id -> sandbox.instance(id).flatMap(m -> m.host().currentVersion()).map(version::equals).orElse(false));
    }

}
