package io.fleetdeploy.core.fleet;

import static io.fleetdeploy.core.testing.SandboxFleet.NEW;
import static io.fleetdeploy.core.testing.SandboxFleet.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;

/**
 * Blue/green in the sandbox: rolloutGroup replace brings an idle green group to blue's size on the
 * new version, then switchTraffic moves blue's listener to green in weighted steps with a bake
 * time and a health gate. Each green group has its own listener (a preview listener), since a
 * target group is health-checked only while a listener forwards to it. One blue/green pair per test.
 */
class BlueGreenSandboxTest {

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("BlueGreenSandboxTest", List.of(new GroupSpec("bg-happy-blue", 2, 0), new GroupSpec("bg-happy-green", 0, 0),
            new GroupSpec("bg-bake-blue", 2, 0), new GroupSpec("bg-bake-green", 0, 0), new GroupSpec("bg-abort-blue", 2, 0),
            new GroupSpec("bg-abort-green", 0, 0), new GroupSpec("bg-idle", 0, 0),
            new GroupSpec("bg-bad-green", 0, 0), new GroupSpec("bg-throttled-green", 0, 0), new GroupSpec("bg-lost-green", 0, 0),
            new GroupSpec("bg-stop-green", 0, 0)));

    private final RecordingProgress progress = new RecordingProgress();

    /** replace {@code group} to {@code capacity} instances (null: as many as matchGroup) on {@code version}. */
    private static RolloutRequest replace(String group, String version, Integer capacity, String matchGroup, Duration timeout) {
        return new RolloutRequest(group, version, RolloutRequest.Strategy.REPLACE, null, null, null, null, false,
                null, 2, timeout, null, null, capacity, matchGroup, null);
    }

    private OperationRecord run(String holder, RolloutRequest request, AbortSignal abort, ProgressListener listener) {
        try (AwsFleet fleet = SANDBOX.fleet(holder, listener)) {
            return fleet.operations().rollout(request, abort);
        }
    }

    /** Replaces green to match blue on the new version; from then on, what the test does must leave nothing behind. */
    private void replaceGreen(String pair) {
        OperationRecord done = run("ci#" + pair, replace(pair + "-green", NEW, null, pair + "-blue", Duration.ofMinutes(3)), new AbortSignal(),
                progress);
        assertReplacedOnTwoAndRemember(pair + "-green", done);
    }

    /**
     * A replace that succeeded changed the group's capacity on purpose, and nothing else: it serves the new version
     * on 2 healthy instances, none in Standby, no process left suspended. The final-state check compares with this.
     */
    private void assertReplacedOnTwoAndRemember(String group, OperationRecord done) {
        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.servingVersion(group, NEW, 2)).isTrue();
        assertThat(SANDBOX.group(group).desiredCapacity()).isEqualTo(2);
        assertThat(SANDBOX.group(group).suspendedProcesses()).as("processes of %s resumed", group).isEmpty();
        assertThat(SANDBOX.group(group).instances()).as("instances of %s in Standby", group).noneMatch(i -> i.lifecycleStateAsString().contains("Standby"));
        Await.until("every target of " + group + " is healthy", Duration.ofMinutes(1), () -> healthyTargets(group) == 2);
        SANDBOX.rememberNow();
    }

    private long healthyTargets(String targetGroup) {
        return SANDBOX.elbv2().describeTargetHealth(b -> b.targetGroupArn(SANDBOX.targetGroupArn(targetGroup))).targetHealthDescriptions()
                .stream().filter(t -> "healthy".equals(t.targetHealth().stateAsString())).count();
    }

    private OperationRecord switchTraffic(String pair, List<Integer> steps, Duration bake, AbortSignal abort, ProgressListener listener) {
        SwitchRequest request = new SwitchRequest(SANDBOX.listenerArn(pair + "-blue"), pair + "-green", steps, bake, true,
                Duration.ofMinutes(2), null, null);
        try (AwsFleet fleet = SANDBOX.fleet("ci#" + pair, listener)) {
            return fleet.operations().switchTraffic(request, abort);
        }
    }

    @Test
    void replaceGreenToBluesSizeThenSwitchInStepsWithABake() {
        replaceGreen("bg-happy");

        OperationRecord done = switchTraffic("bg-happy", List.of(10, 50, 100), Duration.ofSeconds(1), new AbortSignal(), progress);

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(progress.lines()).anyMatch(l -> l.contains("traffic step 1/3: 10% to bg-happy-green"))
                .anyMatch(l -> l.contains("traffic step 2/3: 50% to bg-happy-green"))
                .anyMatch(l -> l.contains("traffic step 3/3: 100% to bg-happy-green"));
        Action action = SANDBOX.listenerAction(SANDBOX.listenerArn("bg-happy-blue"));
        assertThat(SandboxFleet.forwardedTo(action)).containsExactly(SANDBOX.targetGroupArn("bg-happy-green"));
        // Blue stays in the action at weight 0: moving back is a weight change.
        assertThat(action.forwardConfig().targetGroups()).extracting(t -> t.targetGroupArn(), t -> t.weight())
                .containsExactly(tuple(SANDBOX.targetGroupArn("bg-happy-blue"), 0), tuple(SANDBOX.targetGroupArn("bg-happy-green"), 100));
    }

    @Test
    void aTargetGroupWithoutHealthyTargetsIsRefusedBeforeAnyChange() {
        String listener = SANDBOX.listenerArn("bg-happy-blue");
        Action found = SANDBOX.listenerAction(listener);

        assertThatThrownBy(() -> {
            SwitchRequest request = new SwitchRequest(listener, "bg-idle", null, null, true, null, null, null);
            try (AwsFleet fleet = SANDBOX.fleet("ci#idle", progress)) {
                fleet.operations().switchTraffic(request, new AbortSignal());
            }
        }).isInstanceOf(FleetDeployException.class).hasMessageContaining("Target group bg-idle has no healthy target")
                .hasMessageContaining("traffic was not moved");
        assertThat(SANDBOX.listenerAction(listener)).isEqualTo(found);
    }

    /** The step timeout is far beyond the test's deadline: only the fail-fast on targets reported unhealthy ends the wait in time. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void replacingGreenWithAnUnhealthyReleaseFailsFastAndScalesGreenBack() {
        String channelBefore = SANDBOX.channelVersion("bg-bad-green");
        OperationRecord done = run("ci#bg-bad", replace("bg-bad-green", UNHEALTHY, 2, null, Duration.ofMinutes(10)), new AbortSignal(), progress);

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("group bg-bad-green: unhealthy on " + UNHEALTHY
                + " in 2 consecutive target health checks after the install", ": InService, target unhealthy");
        assertThat(SANDBOX.channelVersion("bg-bad-green")).isEqualTo(channelBefore);
        assertThat(SANDBOX.group("bg-bad-green").desiredCapacity()).isZero();
    }

    @Test
    void greenFailingItsHealthCheckDuringTheBakePutsTrafficBackExactly() {
        replaceGreen("bg-bake");
        String listener = SANDBOX.listenerArn("bg-bake-blue");
        Action found = SANDBOX.listenerAction(listener);
        String failing = SANDBOX.inServiceIds("bg-bake-green").get(0);
        try {
            OperationRecord done = switchTraffic("bg-bake", List.of(50, 100), Duration.ofSeconds(30), new AbortSignal(), line -> {
                progress.info(line);
                if (line.contains("traffic step 1/2")) {
                    SANDBOX.failHealth(failing, true);
                }
            });

            assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ROLLED_BACK);
            assertThat(done.message()).contains("health gate", failing);
            assertThat(SANDBOX.listenerAction(listener)).isEqualTo(found);
        } finally {
            SANDBOX.failHealth(failing, false);
        }
        Await.until("every target of bg-bake-green is healthy again", Duration.ofMinutes(1), () -> healthyTargets("bg-bake-green") == 2);
    }

    @Test
    void abortMidSwitchRestoresThePreviousActionExactly() {
        replaceGreen("bg-abort");
        String listener = SANDBOX.listenerArn("bg-abort-blue");
        Action found = SANDBOX.listenerAction(listener);
        AbortSignal abort = new AbortSignal();

        OperationRecord done = switchTraffic("bg-abort", List.of(10, 50, 100), Duration.ofSeconds(2), abort, line -> {
            progress.info(line);
            if (line.contains("traffic step 2/3")) {
                abort.request("Ctrl-C");
            }
        });

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ABORTED);
        assertThat(SANDBOX.listenerAction(listener)).isEqualTo(found);
    }

    @Test
    void aReplaceCompletesUnderThrottlingAndServerErrors() {
        OperationRecord done = SANDBOX.underApiFaults(
                () -> run("ci#bg-throttled", replace("bg-throttled-green", NEW, 2, null, Duration.ofMinutes(3)), new AbortSignal(), progress));

        assertReplacedOnTwoAndRemember("bg-throttled-green", done);
        assertThat(SANDBOX.channelVersion("bg-throttled-green")).isEqualTo(NEW);
    }

    /**
     * An instance of the idle group terminated once it served (the desired capacity kept): the group launches a
     * replacement, which boots into the version (the pointer moved first); the replace succeeds once it serves too.
     */
    @Test
    void anInstanceTerminatedDuringTheReplaceIsReplacedOnTheNewVersionAndTheReplaceWaitsForIt() {
        AtomicReference<String> lost = new AtomicReference<>();
        OperationRecord done = run("ci#bg-lost", replace("bg-lost-green", NEW, 2, null, Duration.ofMinutes(3)), new AbortSignal(), line -> {
            progress.info(line);
            if (line.matches(".*group bg-lost-green: [12]/2 healthy on " + NEW + ".*") && lost.get() == null) {
                lost.set(SANDBOX.inServiceIds("bg-lost-green").get(0));
                SANDBOX.autoScaling().terminateInstanceInAutoScalingGroup(b -> b.instanceId(lost.get()).shouldDecrementDesiredCapacity(false));
            }
        });

        assertThat(lost.get()).as(progress.text()).isNotNull();
        assertReplacedOnTwoAndRemember("bg-lost-green", done);
        assertThat(SANDBOX.inServiceIds("bg-lost-green")).as("the replacement serves in its place").doesNotContain(lost.get());
    }

    /** Aborted once green instances serve: the undo scales the idle group back to its capacity and moves its pointer back. */
    @Test
    void abortMidReplaceScalesTheIdleGroupBackAndMovesThePointerBack() {
        String channelBefore = SANDBOX.channelVersion("bg-stop-green");
        AbortSignal abort = new AbortSignal();
        OperationRecord done = run("me@laptop", replace("bg-stop-green", NEW, 2, null, Duration.ofMinutes(3)), abort, line -> {
            progress.info(line);
            if (line.matches(".*group bg-stop-green: [12]/2 healthy on " + NEW + ".*")) {
                abort.request("Ctrl-C");
            }
        });

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ABORTED);
        assertThat(SANDBOX.channelVersion("bg-stop-green")).isEqualTo(channelBefore);
        assertThat(SANDBOX.group("bg-stop-green").desiredCapacity()).isZero();
        Await.until("the instances of bg-stop-green are gone", Duration.ofMinutes(1), () -> SANDBOX.group("bg-stop-green").instances().isEmpty());
    }
}
