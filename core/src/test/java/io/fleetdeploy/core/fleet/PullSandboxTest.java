package io.fleetdeploy.core.fleet;

import static io.fleetdeploy.core.testing.SandboxFleet.NEW;
import static io.fleetdeploy.core.testing.SandboxFleet.OLD;
import static io.fleetdeploy.core.testing.SandboxFleet.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pull rollouts in the sandbox: each instance's agent polls the channel pointer on a timer (as the
 * systemd timer of a pull fleet does); the engine moves the pointer and waits for the group. One
 * group per test; after each, nothing we changed is left behind.
 */
class PullSandboxTest {

    private static final long POLL_MILLIS = 300;
    /** An agent timer far longer than any test: its instances never pick the new pointer up in time. */
    private static final long SLOW_POLL_MILLIS = 600_000;

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("PullSandboxTest", List.of(new GroupSpec("pull-happy", 2, POLL_MILLIS),
            new GroupSpec("pull-bad", 2, POLL_MILLIS), new GroupSpec("pull-abort", 2, POLL_MILLIS),
            new GroupSpec("pull-twice", 2, POLL_MILLIS), new GroupSpec("pull-slow", 2, SLOW_POLL_MILLIS),
            new GroupSpec("pull-lost", 2, POLL_MILLIS), new GroupSpec("pull-throttled", 2, POLL_MILLIS)));

    private final RecordingProgress progress = new RecordingProgress();

    private static RolloutRequest pull(String group, String version, Duration timeout) {
        return new RolloutRequest(group, version, RolloutRequest.Strategy.PULL, null, null, null, null, false, null, 2, timeout,
                null, null, null, null, null);
    }

    private OperationRecord run(String holder, RolloutRequest request, AbortSignal abort, ProgressListener listener) {
        try (AwsFleet fleet = SANDBOX.fleet(holder, listener)) {
            return fleet.operations().rollout(request, abort);
        }
    }

    @Test
    void pullMovesThePointerAndEveryInstanceServesTheVersion() {
        OperationRecord done = run("ci#pull-happy", pull("pull-happy", NEW, Duration.ofMinutes(2)), new AbortSignal(), progress);

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.channelVersion("pull-happy")).isEqualTo(NEW);
        assertThat(SANDBOX.servingVersion("pull-happy", NEW, 2)).isTrue();
        assertThat(progress.lines()).anyMatch(l -> l.contains("converged 2/2 healthy on " + NEW));
    }

    @Test
    void aTimeoutNamesTheStragglersAndMovesThePointerBack() {
        List<String> stragglers = SANDBOX.inServiceIds("pull-slow");

        OperationRecord done = run("ci#pull-slow", pull("pull-slow", NEW, Duration.ofSeconds(3)), new AbortSignal(), progress);

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("only 0 of 2", "Stragglers: " + stragglers.get(0) + ": InService", stragglers.get(1) + ": InService");
        assertThat(SANDBOX.channelVersion("pull-slow")).isEqualTo(OLD);
        assertThat(SANDBOX.servingVersion("pull-slow", OLD, 2)).isTrue();
    }

    /**
     * The step timeout (10 minutes) is far beyond the test's deadline: only the fail-fast on targets reported unhealthy ends
     * the wait in time. The deadline leaves room for the rollback's wait until both instances serve healthy on 1.0 again
     * (75 s on a machine at load 65).
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anUnhealthyReleaseFailsFastMovesThePointerBackAndTheGroupConvergesOnTheOldVersion() {
        // With ELB health checks (no grace), Auto Scaling replaces an instance as soon as its HealthCheck process runs while
        // the target is unhealthy: the rollback must not resume it before the instances serve healthy on the old version.
        List<String> before = SANDBOX.inServiceIds("pull-bad");
        SANDBOX.autoScaling().updateAutoScalingGroup(b -> b.autoScalingGroupName("pull-bad").healthCheckType("ELB").healthCheckGracePeriod(0));
        OperationRecord done;
        try {
            done = run("ci#pull-bad", pull("pull-bad", UNHEALTHY, Duration.ofMinutes(10)), new AbortSignal(), progress);
        } finally {
            SANDBOX.autoScaling().updateAutoScalingGroup(b -> b.autoScalingGroupName("pull-bad").healthCheckType("EC2"));
        }

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("unhealthy on " + UNHEALTHY + " in 2 consecutive target health checks after the install",
                ": InService, target unhealthy");
        assertThat(progress.text()).contains("group pull-bad is back on " + OLD + " and healthy");
        assertThat(SANDBOX.channelVersion("pull-bad")).isEqualTo(OLD);
        assertThat(SANDBOX.servingVersion("pull-bad", OLD, 2)).as(progress.text()).isTrue();
        assertThat(SANDBOX.group("pull-bad").instances()).as("no instance was marked unhealthy or replaced")
                .allSatisfy(i -> assertThat(i.healthStatus()).isEqualTo("Healthy"))
                .extracting(i -> i.instanceId()).containsExactlyInAnyOrderElementsOf(before);
    }

    /** Aborted once an instance serves the new version: the undo moves the pointer back and the agents go back to the old one. */
    @Test
    void abortMidPullMovesThePointerBackAndTheInstancesReturnToTheOldVersion() {
        AbortSignal abort = new AbortSignal();
        OperationRecord done = run("me@laptop", pull("pull-abort", NEW, Duration.ofMinutes(2)), abort, line -> {
            progress.info(line);
            if (line.matches(".*converged [12]/2 healthy on " + NEW + ".*")) {
                abort.request("Ctrl-C");
            }
        });

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ABORTED);
        assertThat(progress.lines()).as("aborted mid-pull, with an instance on the new version").anyMatch(l -> l.contains("converged"));
        assertThat(SANDBOX.channelVersion("pull-abort")).isEqualTo(OLD);
        Await.until("group pull-abort serves " + OLD + " again", Duration.ofMinutes(1), () -> SANDBOX.servingVersion("pull-abort", OLD, 2));
    }

    /**
     * An instance terminated once the first instance serves the new version (a scale-in, an operator, a dying host;
     * the desired capacity kept): the group launches a replacement, which boots into the channel's version. The pull
     * succeeds only once the replacement serves it too: the group is whole on the version, not merely the instances
     * left (those converge in a poll or two, long before the replacement has booted and installed).
     */
    @Test
    void anInstanceTerminatedWhileTheFleetConvergesIsReplacedOnTheNewVersionAndThePullWaitsForIt() {
        List<String> before = SANDBOX.inServiceIds("pull-lost");
        String lost = before.get(1);
        AtomicBoolean terminated = new AtomicBoolean();
        OperationRecord done = run("ci#pull-lost", pull("pull-lost", NEW, Duration.ofMinutes(2)), new AbortSignal(), line -> {
            progress.info(line);
            if (line.matches(".*converged [12]/2 healthy on " + NEW + ".*") && terminated.compareAndSet(false, true)) {
                SANDBOX.autoScaling().terminateInstanceInAutoScalingGroup(b -> b.instanceId(lost).shouldDecrementDesiredCapacity(false));
            }
        });

        assertThat(terminated).isTrue();
        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        List<String> convergedLines = progress.lines().stream().filter(l -> l.matches(".*converged \\d+/\\d+ healthy on .*")).toList();
        assertThat(convergedLines).as(progress.text()).isNotEmpty();
        assertThat(convergedLines.get(convergedLines.size() - 1)).as("the pull ends converged on the whole group, the replacement included: %s",
                progress.text()).contains("converged 2/2 healthy on " + NEW);
        List<String> after = SANDBOX.inServiceIds("pull-lost");
        assertThat(after).as("the terminated instance is gone, a replacement serves").doesNotContain(lost).contains(before.get(0)).hasSize(2);
        assertThat(SANDBOX.servingVersion("pull-lost", NEW, 2)).as("the replacement serves " + NEW).isTrue();
        assertThat(SANDBOX.channelVersion("pull-lost")).isEqualTo(NEW);
    }

    @Test
    void aPullCompletesUnderThrottlingAndServerErrors() {
        OperationRecord done = SANDBOX.underApiFaults(
                () -> run("ci#pull-throttled", pull("pull-throttled", NEW, Duration.ofMinutes(2)), new AbortSignal(), progress));

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.channelVersion("pull-throttled")).isEqualTo(NEW);
        assertThat(SANDBOX.servingVersion("pull-throttled", NEW, 2)).isTrue();
    }

    @Test
    void aSecondOperationOnTheGroupIsRefusedNamingTheFirst() {
        try (AwsFleet first = SANDBOX.fleet("ci#first", progress); AwsFleet second = SANDBOX.fleet("ci#second", progress)) {
            OperationRunner.Session<?, ?> running = first.operations().startRollout(pull("pull-twice", NEW, Duration.ofMinutes(2)), new AbortSignal());
            String pointer = SANDBOX.channelVersion("pull-twice");
            assertThatThrownBy(() -> second.operations().drain(DrainRequest.all("pull-twice"), new AbortSignal()))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("being changed by ci#first (operation " + running.id());
            assertThat(SANDBOX.channelVersion("pull-twice")).as("the refused operation changed nothing").isEqualTo(pointer);
            assertThat(running.runToEnd().status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        }
        assertThat(SANDBOX.servingVersion("pull-twice", NEW, 2)).isTrue();
    }
}
