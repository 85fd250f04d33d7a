package io.fleetdeploy.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OnFailure;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import io.fleetdeploy.sandbox.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;

/**
 * Push rollouts end to end in the sandbox: real SDK clients over the wire, real instances (HTTP
 * servers with their own directories), SSM running the shipped agent under sh with the AWS CLI,
 * target groups health-checking and draining for real. Each test has its own group; after each,
 * nothing we changed is left behind.
 */
class FleetSandboxTest {

    /**
     * A sane bound for a 3-instance push with a 250 ms poll (see the happy path): one run here made 147 calls
     * (49 per instance, load 25 to 40: 26 record writes, 50 DescribeAutoScalingGroups of which 12 by the Standby
     * changes, 21 install looks); the waits back off, so a slow machine adds looks only slowly.
     */
    private static final int MAX_CALLS_PER_INSTANCE = 100;

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("FleetSandboxTest", Stream.of("happy", "bad", "abort", "twice", "ssmfail", "lost",
            "throttled", "halted", "canary").map(g -> new GroupSpec(g, 3, 0)).toList());

    private final Sandbox sandbox = SANDBOX.sandbox();
    private final AutoScalingClient autoScaling = SANDBOX.autoScaling();
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private AwsFleet fleet(String holder) {
        return SANDBOX.fleet(holder, lines::add);
    }

    private static RolloutRequest push(String group, String version, Duration timeout) {
        return push(group, version, timeout, null);
    }

    private static RolloutRequest push(String group, String version, Duration timeout, OnFailure onFailure) {
        return new RolloutRequest(group, version, RolloutRequest.Strategy.PUSH, null, 1, null, 66, false, null, 2, timeout,
                onFailure, null, null, null, Duration.ofMinutes(2));
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
        // The waits back off instead of looking once per 250 ms poll: an install, a drain and the health gate's first
        // checks are each looked at no more often than a backoff from the poll interval allows over the batch's whole
        // duration (one run: 21 ListCommandInvocations and 15 DescribeTargetHealth for 3 batches of about 11 s; one
        // look per poll was about 40 of each per batch). Target health is never read while an install runs.
        List<BatchTiming> timings = pushState(done).timings();
        long backoffLooks = timings.stream().mapToLong(t -> maxBackoffLooks(t.duration(), Duration.ofMillis(250))).sum();
        assertThat(done.apiCalls().get("Ssm.ListCommandInvocations")).as("install looks for batches %s: %s", timings, done.apiCalls())
                .isLessThanOrEqualTo(backoffLooks);
        // Standby's look, the drain's and the first checks' backoffs, then healthyChecks looks in a row, per batch.
        assertThat(done.apiCalls().get("ElasticLoadBalancingV2.DescribeTargetHealth")).as("target health looks: %s", done.apiCalls())
                .isLessThanOrEqualTo(2 * backoffLooks + 3L * timings.size());
        // One DescribeAutoScalingGroups per look, none of the changes' own: every look but the first (planning) and the
        // last (resuming the processes) also reads target health or the install's invocations. A Describe made again by
        // entering Standby, the install or leaving Standby (3 per batch before) breaks this bound.
        long looksBesides = done.apiCalls().get("ElasticLoadBalancingV2.DescribeTargetHealth") + done.apiCalls().get("Ssm.ListCommandInvocations");
        assertThat(done.apiCalls().get("AutoScaling.DescribeAutoScalingGroups")).as("group looks: %s", done.apiCalls())
                .isLessThanOrEqualTo(looksBesides + 2);
        // Agent statuses are one LIST of the group's prefix per look that needs them and a GET only of an object changed
        // since: each instance's status is read when planning and once more after its install, whatever the number of
        // looks (a GET per instance per look, or per instance before its install, breaks this). The rest reads the channel
        // and the release when planning and moving the channel (one run: 11 in all, 5 of them those).
        assertThat(done.apiCalls().get("S3.GetObject")).as("S3 reads: %s", done.apiCalls()).isLessThanOrEqualTo(2 * 3 + 6);
    }

    /**
     * The most looks a wait of {@code waited} can take when each waits a fifth of the time waited so far, never less than
     * {@code poll} (PushRollout.backoff): {@code poll} apart until 5 polls have passed, then 1.2 times longer each.
     */
    private static long maxBackoffLooks(Duration waited, Duration poll) {
        double growth = Math.max(1.0, waited.toMillis() / (5.0 * poll.toMillis()));
        return 6 + (long) Math.ceil(Math.log(growth) / Math.log(1.2));
    }

    private static PushRollout.State pushState(OperationRecord done) {
        return FleetChange.mapper().convertValue(done.state(), PushRollout.State.class);
    }

    @Test
    void anSsmCommandFailingOnOneInstanceRollsBackEveryInstanceAlreadyMoved() {
        String second = instanceIds("ssmfail").get(1);
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
        assertThat(SANDBOX.channelVersion("ssmfail")).as("channel moved back").isEqualTo("1.0");
    }

    @Test
    void aHaltedPushLeavesTheGroupInPlaceSaysWhatIsLeftAndResumePutsItBack() {
        List<String> ids = instanceIds("halted");
        sandbox.instance(ids.get(1)).orElseThrow().commandFault(true);
        OperationRecord halted;
        try (AwsFleet fleet = fleet("ci#halted")) {
            halted = fleet.operations().rollout(push("halted", "2.0", Duration.ofMinutes(1), OnFailure.HALT), new AbortSignal());
        }
        assertThat(halted.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.HALTED);
        AutoScalingGroup group = group("halted");
        assertThat(group.instances()).filteredOn(i -> "Standby".equals(i.lifecycleStateAsString())).extracting(i -> i.instanceId())
                .containsExactly(ids.get(1));
        assertThat(group.suspendedProcesses()).extracting(p -> p.processName())
                .containsExactlyInAnyOrder("AZRebalance", "AlarmNotification", "ScheduledActions", "HealthCheck", "ReplaceUnhealthy");
        assertThat(halted.message()).contains(ids.get(1),
                "Left as it is now: in Standby: " + ids.get(1) + " (group halted); suspended processes: AZRebalance, AlarmNotification,"
                        + " ScheduledActions, HealthCheck, ReplaceUnhealthy (group halted); channel halted points at 2.0;",
                "run `fleet-deploy resume " + halted.id() + "`");

        sandbox.instance(ids.get(1)).orElseThrow().commandFault(false);
        OperationRecord undone;
        try (AwsFleet fleet = fleet("ci#undo")) {
            undone = fleet.operations().resume(halted.id(), new AbortSignal());
        }
        assertThat(undone.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ROLLED_BACK);
        Await.until("group halted serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("halted", "1.0", 3));
    }

    @Test
    void instancesTerminatedMidBatchAreReplacedOnTheNewVersionAndTheRolloutCompletes() {
        List<String> ids = instanceIds("lost");
        AtomicBoolean terminated = new AtomicBoolean();
        OperationRecord done;
        try (AwsFleet fleet = SANDBOX.fleet("ci#lost", line -> {
                    lines.add(line);
                    if (line.contains("batch 2/3: drained; installing") && terminated.compareAndSet(false, true)) {
                        // As a scale-in, an operator or a dying host would, keeping the desired capacity: batch 2's
                        // instance while it is in Standby (which lowered the desired capacity) and batch 3's while it serves.
                        autoScaling.terminateInstanceInAutoScalingGroup(b -> b.instanceId(ids.get(1)).shouldDecrementDesiredCapacity(false));
                        autoScaling.terminateInstanceInAutoScalingGroup(b -> b.instanceId(ids.get(2)).shouldDecrementDesiredCapacity(false));
                    }
                })) {
            done = fleet.operations().rollout(push("lost", "2.0", Duration.ofMinutes(2)), new AbortSignal());
        }
        assertThat(terminated).isTrue();
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(lines).anyMatch(l -> l.contains(ids.get(1) + " terminated in Standby; the group replaces it on 2.0"));
        assertThat(group("lost").instances()).noneMatch(i -> ids.subList(1, 3).contains(i.instanceId()));
        // The channel pointer moved before the first change, so both replacements booted into 2.0.
        Await.until("group lost serves 2.0 on 3 instances, the replacements included", Duration.ofMinutes(2),
                () -> servingVersion("lost", "2.0", 3));
    }

    @Test
    void aRolloutCompletesUnderThrottlingAndServerErrors() {
        OperationRecord done = SANDBOX.underApiFaults(() -> {
            try (AwsFleet fleet = fleet("ci#throttled")) {
                return fleet.operations().rollout(push("throttled", "2.0", Duration.ofMinutes(2)), new AbortSignal());
            }
        });
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(servingVersion("throttled", "2.0", 3)).isTrue();
    }

    /**
     * A release its target group reports unhealthy fails the batch after healthyChecks (2) looks, not after the
     * 10-minute timeout (the test's deadline is far below it), and the group keeps its instances: with ELB
     * health checks Auto Scaling would otherwise mark the bad canary Unhealthy for good and replace it as soon
     * as the undo resumed ReplaceUnhealthy, although it was back on 1.0 and healthy.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anUnhealthyReleaseFailsFastIsRolledBackAndTheGroupKeepsItsInstancesOnTheOldVersion() {
        List<String> ids = instanceIds("bad");
        autoScaling.updateAutoScalingGroup(b -> b.autoScalingGroupName("bad").healthCheckType("ELB").healthCheckGracePeriod(0));
        OperationRecord done;
        try (AwsFleet fleet = fleet("ci#bad")) {
            done = fleet.operations().rollout(push("bad", "2.1-unhealthy", Duration.ofMinutes(10)), new AbortSignal());
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("batch 1/3: unhealthy on 2.1-unhealthy in 2 consecutive target health checks after the install",
                ids.get(0), "unhealthy").doesNotContain("within");
        assertThat(done.history()).noneMatch(l -> l.contains("batch 2/3"));
        Await.until("group bad serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("bad", "1.0", 3));
        assertThat(group("bad").instances()).as("the rolled-back instance is healthy for Auto Scaling, nothing replaced")
                .allMatch(i -> "HEALTHY".equalsIgnoreCase(i.healthStatus()))
                .extracting(i -> i.instanceId()).containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void abortMidBatchUndoesEverything() {
        AbortSignal abort = new AbortSignal();
        OperationRecord done;
        try (AwsFleet fleet = SANDBOX.fleet("me@laptop", line -> {
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

    @Test
    void aPartialPushMovesExactlyThatManyInstancesAndLeavesTheChannelPointer() {
        OperationRecord done;
        try (AwsFleet fleet = fleet("ci#canary")) {
            done = fleet.operations().rollout(push("canary", "2.0", Duration.ofMinutes(2)).withInstanceCount(1), new AbortSignal());
        }
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(versionCounts("canary")).containsOnly(Map.entry("2.0", 1L), Map.entry("1.0", 2L));
        assertThat(SANDBOX.channelVersion("canary")).as("the group's desired version is not moved by a canary").isEqualTo("1.0");
    }

    private AutoScalingGroup group(String name) {
        return SANDBOX.group(name);
    }

    /** The group's InService instance ids, sorted (the order push batches take them in); all of them before a test. */
    private List<String> instanceIds(String group) {
        return SANDBOX.inServiceIds(group);
    }

    /** Versions the InService instances run, counted. */
    private Map<String, Long> versionCounts(String groupName) {
        return group(groupName).instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString()))
                .map(i -> sandbox.instance(i.instanceId()).flatMap(m -> m.host().currentVersion()).orElse("none"))
                .collect(Collectors.groupingBy(v -> v, Collectors.counting()));
    }

    private boolean servingVersion(String groupName, String version, int count) {
        return SANDBOX.servingVersion(groupName, version, count);
    }

}
