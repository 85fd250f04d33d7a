package io.fleetdeploy.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.TransientAwsErrors;
import io.fleetdeploy.core.operation.ApiCalls;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.OnFailure;
import io.fleetdeploy.core.operation.OperationInterruptedException;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.operation.OperationStore;
import io.fleetdeploy.core.operation.RunnerSettings;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.operation.TestClock;
import io.fleetdeploy.core.operation.UndoEntry;
import io.fleetdeploy.core.operation.UndoWait;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;

/**
 * The runner and the operations together: state and leases in a real (embedded) S3, the fleet an
 * in-memory fake so the logic (batches, undo order, abort, resume) is checked exactly.
 */
class FleetOperationsTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    private final TestClock clock = new TestClock();
    private final List<String> lines = new ArrayList<>();
    private FakeFleet fleet;
    private OperationStore store;
    private S3Leases leases;

    @BeforeEach
    void setUp() {
        fleet = new FakeFleet(6, "1.0");
        fleet.published.add("2.0");
        S3Layout layout = S3Layout.of(S3.bucket(), "deploys", "shop");
        store = new OperationStore(S3.client(), layout, FleetChange.mapper());
        leases = new S3Leases(S3.client(), layout, clock);
    }

    private FleetOperations operations(String holder) {
        ProgressListener progress = lines::add;
        OperationRunner runner = new OperationRunner(store, leases, clock, clock.sleeper(), progress,
                new RunnerSettings(Duration.ofSeconds(5), LeaseOptions.defaults(), holder), ApiCalls.NONE, new TransientAwsErrors());
        return new FleetOperations(fleet, fleet, fleet, fleet, effects(progress), runner, store, clock);
    }

    private FleetEffects effects(ProgressListener progress) {
        return new FleetEffects(fleet, fleet, fleet, fleet, fleet, clock, Duration.ofMinutes(1), Duration.ofMinutes(5), progress);
    }

    private static RolloutRequest push(int minHealthy, OnFailure onFailure) {
        return new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PUSH, null, null, null, minHealthy, false, null, 2,
                Duration.ofMinutes(2), onFailure, null, null, null, null);
    }

    @Test
    void pushMovesEveryInstanceKeepingMinHealthyAndPutsProcessesBack() {
        fleet.suspended.add("AZRebalance"); // suspended by someone else: must stay suspended
        fleet.minServing = 4;
        OperationRecord done = operations("ci#1").rollout(push(66, null), new AbortSignal());

        assertThat(done.status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.channels.get("web")).isEqualTo("2.0");
        assertThat(fleet.suspended).containsExactly("AZRebalance");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));
        assertThat(fleet.calls).contains("suspend [AlarmNotification, ScheduledActions, HealthCheck, ReplaceUnhealthy]");
        assertThat(fleet.calls.get(0)).isEqualTo("channel web -> 2.0"); // desired version recorded before the first change
        assertThat(fleet.lowestServing).isEqualTo(4);
        assertThat(leases.read("web")).isEmpty();
        PushRollout.State state = store.mapper().convertValue(store.load(done.id()).state(), PushRollout.State.class);
        assertThat(state.timings()).hasSize(3);
        assertThat(state.outcomes()).hasSize(6).allSatisfy((id, outcome) -> assertThat(outcome).isEqualTo("installed 2.0"));
        assertThat(lines).anyMatch(l -> l.contains("batch 2/3: i-003, i-004 leaving traffic"));
    }

    @Test
    void aPushLooksAtARunningInstallAFewTimesNotOncePerPollInterval() {
        fleet.clock = clock;
        fleet.installTakes = Duration.ofSeconds(60);
        fleet.minServing = 4;
        OperationRecord done = operations("ci#polls").rollout(push(66, null), new AbortSignal());

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(fleet.lowestServing).as("minHealthyPercent held throughout").isEqualTo(4);
        // 3 batches of 2, each install running 60 s, a 5 s poll. One look per poll interval was 13 looks per batch
        // (39). Now batch 1, with nothing known yet, backs off from the poll interval (a fifth of the time run so
        // far): 11 looks; batches 2 and 3 first look at 3/4 of the install before them, then back off: 4 or 5 each.
        assertThat(fleet.reads.get("invocations")).as("ListCommandInvocations: %s", fleet.reads).isLessThanOrEqualTo(20);
        // Every read through the ports, per instance (writes are the fixed 12 mutations). The looks dominate: 77 reads
        // here (35 Describe, one per look). The Standby changes and the install take the group from the tick's look
        // instead of describing it again (3 more per batch before), and the install's status check is one list of the
        // statuses, not a read per instance; 39 install looks alone once cost as many.
        int reads = fleet.reads.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(reads / 6.0).as("reads per instance: %s", fleet.reads).isLessThanOrEqualTo(13);
        assertThat(fleet.reads.get("describe")).as("one Describe per look, none by the changes: %s", fleet.reads).isLessThanOrEqualTo(35);
        assertThat(fleet.reads.get("targetHealth")).as("DescribeTargetHealth only where a step decides on target health: %s", fleet.reads)
                .isLessThanOrEqualTo(3 * 4);
        assertThat(fleet.calls).hasSize(12);
    }

    @Test
    void unhealthyReleaseIsRolledBackAndEverythingPutBackInReverseOrder() {
        fleet.published.add("2.1-bad");
        fleet.unhealthyVersions.add("2.1-bad");
        RolloutRequest bad = new RolloutRequest("web", "2.1-bad", null, null, 2, null, 50, false, null, 2,
                Duration.ofSeconds(30), null, null, null, null, null);
        OperationRecord done = operations("ci#2").rollout(bad, new AbortSignal());

        assertThat(done.status()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("batch 1/3: unhealthy on 2.1-bad in 2 consecutive target health checks after the install", "i-001: InService, target unhealthy");
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
        assertThat(fleet.channels.get("web")).isEqualTo("1.0");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));
        assertThat(fleet.calls).containsExactly(
                "channel web -> 2.1-bad",
                "suspend [AZRebalance, AlarmNotification, ScheduledActions, HealthCheck, ReplaceUnhealthy]",
                "enterStandby [i-001, i-002]",
                "install 2.1-bad [i-001, i-002]",
                "exitStandby [i-001, i-002]",
                // undo, newest first
                "enterStandby [i-001, i-002]",
                "install 1.0 [i-001, i-002]",
                "exitStandby [i-001, i-002]",
                "resume [AZRebalance, AlarmNotification, ScheduledActions, HealthCheck, ReplaceUnhealthy]",
                "channel web -> 1.0");
        assertThat(store.load(done.id()).undo()).isEmpty();
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void failedSsmCommandOnOneInstanceRollsBackTheBatch() {
        fleet.failingCommands.add("i-003");
        OperationRecord done = operations("ci#3").rollout(push(50, null), new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("fleet-agent install 2.0 failed on 1 of", "i-003 Failed (agent: install 2.0 failed)");
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
    }

    @Test
    void haltLeavesTheFleetWhereItFailedAndKeepsTheUndoLog() {
        fleet.published.add("2.1-bad");
        fleet.unhealthyVersions.add("2.1-bad");
        RolloutRequest bad = new RolloutRequest("web", "2.1-bad", null, null, 2, null, 50, false, null, 2,
                Duration.ofSeconds(30), OnFailure.HALT, null, null, null, null);
        OperationRecord done = operations("ci#4").rollout(bad, new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.HALTED);
        assertThat(fleet.version).containsEntry("i-001", "2.1-bad");
        assertThat(store.load(done.id()).undo()).hasSize(5);
    }

    @Test
    void aHaltedPushNamesWhatItLeftAndHowToUndoItAndResumePutsItBack() {
        fleet.failingCommands.add("i-003");
        OperationRecord halted = operations("ci#halt").rollout(push(66, OnFailure.HALT), new AbortSignal());

        assertThat(halted.status()).isEqualTo(OperationStatus.HALTED);
        assertThat(fleet.lifecycle).containsEntry("i-003", "Standby").containsEntry("i-004", "Standby");
        assertThat(halted.message()).contains(
                "fleet-agent install 2.0 failed on 1 of 2 instance(s) of group web: i-003 Failed (agent: install 2.0 failed)",
                "Left as it is now: in Standby: i-003, i-004 (group web); suspended processes: AZRebalance, AlarmNotification,"
                        + " ScheduledActions, HealthCheck, ReplaceUnhealthy (group web); channel web points at 2.0;"
                        + " install 2.0 ran on i-001, i-002, i-003, i-004.",
                "run `fleet-deploy resume " + halted.id() + "`");
        assertThat(halted.message()).doesNotContain("in Standby: i-001");
        assertThat(leases.read("web")).as("a halted operation does not hold the group").isEmpty();

        OperationRecord undone = operations("ci#undo").resume(halted.id(), new AbortSignal());
        assertThat(undone.status()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
        assertThat(fleet.channels.get("web")).isEqualTo("1.0");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));
        assertThat(leases.read("web")).isEmpty();
    }

    private static AutoScalingException awsError(int status, String code) {
        return (AutoScalingException) AutoScalingException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code + " (test)").build()).build();
    }

    @Test
    void aTickFailingOnThrottlingIsRetriedWithBackoffAndTheRolloutCompletes() {
        fleet.onCall = call -> {
            if (call.equals("channel web -> 2.0")) { // after validation: the operation runs
                fleet.describeError = awsError(400, "Throttling");
                fleet.failingDescribes = 3;
            }
        };
        OperationRecord done = operations("ci#throttled").rollout(push(66, null), new AbortSignal());

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(lines).filteredOn(l -> l.contains("transient AWS error")).hasSize(3)
                .anyMatch(l -> l.contains("retry 3/" + OperationRunner.TRANSIENT_RETRIES) && l.contains("4000 ms"));
    }

    @Test
    void aTickFailingOnA5xxTooOftenFailsTheOperationAndTheUndoPutsEverythingBack() {
        fleet.onCall = call -> {
            if (call.startsWith("exitStandby [i-001") && fleet.describeError == null) { // once, not again during the undo
                fleet.describeError = awsError(503, "ServiceUnavailable");
                fleet.failingDescribes = OperationRunner.TRANSIENT_RETRIES + 1;
            }
        };
        OperationRecord done = operations("ci#5xx").rollout(push(66, null), new AbortSignal());

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("ServiceUnavailable");
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void aNonTransientErrorFailsTheOperationAtOnce() {
        fleet.onCall = call -> {
            if (call.startsWith("exitStandby [i-001") && fleet.describeError == null) { // once, not again during the undo
                fleet.describeError = awsError(403, "AccessDenied");
                fleet.failingDescribes = 1;
            }
        };
        OperationRecord done = operations("ci#denied").rollout(push(66, null), new AbortSignal());

        assertThat(done.status()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("AccessDenied");
        assertThat(lines).noneMatch(l -> l.contains("transient AWS error"));
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
    }

    @Test
    void anAbortWhileAnInstanceIsStillEnteringStandbyWaitsForStandbyBeforeExitingIt() {
        fleet.describesWhileEnteringStandby = 3;
        AbortSignal abort = new AbortSignal();
        fleet.onCall = call -> {
            if (call.startsWith("enterStandby [i-001")) {
                abort.request("Ctrl-C");
            }
        };
        OperationRecord done = operations("me@laptop").rollout(push(66, null), abort);

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ABORTED);
        assertThat(fleet.lifecycle.values()).as("nothing left in (Entering)Standby").containsOnly("InService");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));
        assertThat(fleet.calls).contains("exitStandby [i-001, i-002]");
        assertThat(lines).anyMatch(l -> l.contains("back in service and healthy"));
    }

    @Test
    void aBatchSlowToReachStandbyIsWaitedForByThePushAndTheEffectRefusesAnExitWhileOneIsStillEnteringStandby() {
        fleet.describesWhileEnteringStandby = 3;
        fleet.minServing = 4;
        OperationRecord done = operations("ci#slow-standby").rollout(push(66, null), new AbortSignal());
        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));

        // Should someone put an instance on its way into Standby after the push's look, the effect refuses at once
        // (as Auto Scaling would) instead of holding the ticking thread until it got there.
        fleet.enterStandby("web", List.of("i-001"));
        FleetEffects effects = effects(lines::add);
        assertThatThrownBy(() -> effects.apply(new FleetChange.ExitStandby("web", List.of("i-001"))))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Instances i-001 of group web are still EnteringStandby, so they cannot leave Standby yet.")
                .hasMessageContaining("No instance was moved out of Standby.");
        assertThat(fleet.lifecycle).containsEntry("i-001", "EnteringStandby");
        assertThat(fleet.calls).as("no ExitStandby sent").last().isEqualTo("enterStandby [i-001]");
    }

    @Test
    void abortMidBatchUndoesEverythingDoneSoFar() {
        AbortSignal abort = new AbortSignal();
        fleet.onCall = call -> {
            if (call.startsWith("install 2.0 [i-003")) {
                abort.request("Ctrl-C");
            }
        };
        OperationRecord done = operations("me@laptop").rollout(push(66, null), abort);
        assertThat(done.status()).isEqualTo(OperationStatus.ABORTED);
        assertThat(done.message()).contains("Ctrl-C");
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
        assertThat(fleet.channels.get("web")).isEqualTo("1.0");
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void aKilledRolloutIsResumedFromItsPersistedStateByAnotherProcess() {
        OperationRunner.Session<?, ?> first = operations("ci#5").startRollout(push(66, null), new AbortSignal());
        // Tick until the second batch is in Standby, then "kill" the process: drop the session.
        for (int i = 0; i < 100 && !fleet.calls.contains("enterStandby [i-003, i-004]"); i++) {
            first.tick();
        }
        assertThat(fleet.lifecycle).containsEntry("i-003", "Standby");
        // The undo entry was written before entering Standby; the state after it was not (a resume observes its way back).
        OperationRecord persisted = store.load(first.id());
        assertThat(persisted.undo()).last().extracting(UndoEntry::change).isEqualTo(new FleetChange.EnterStandby("web", List.of("i-003", "i-004")));
        assertThat(store.mapper().convertValue(persisted.state(), PushRollout.State.class).phase()).isEqualTo(PushRollout.Phase.STANDBY);
        assertThatThrownBy(() -> operations("ci#6").rollout(push(66, null), new AbortSignal()))
                .isInstanceOf(FleetDeployException.class).hasMessageContaining("being changed by ci#5 (operation " + first.id());

        OperationRecord done = operations("ci#7").resume(first.id(), new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(done.holder()).isEqualTo("ci#7");
        assertThat(fleet.calls).as("the resume found the batch in Standby already").containsOnlyOnce("enterStandby [i-003, i-004]");
        assertThat(fleet.lowestServing).as("minHealthyPercent held throughout").isEqualTo(4);
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
    }

    @Test
    void aRolloutKilledWhileItsSsmCommandRunsIsResumedWaitingOnThatCommandWithoutSendingAnother() {
        fleet.onCall = call -> fleet.commandsRunning |= call.startsWith("install 2.0 [i-003"); // batch 2's install takes long
        OperationRunner.Session<?, ?> first = operations("ci#8").startRollout(push(66, null), new AbortSignal());
        for (int i = 0; i < 100 && !fleet.calls.contains("install 2.0 [i-003, i-004]"); i++) {
            first.tick();
        }
        for (int i = 0; i < 5; i++) {
            assertThat(first.tick()).as("waiting for the command: the runner's poll interval").isEqualTo(Duration.ofSeconds(5));
        }
        assertThat(fleet.sentCommands).as("one command per batch, not one per tick").hasSize(2);
        PushRollout.State persisted = store.mapper().convertValue(store.load(first.id()).state(), PushRollout.State.class);
        assertThat(persisted.phase()).isEqualTo(PushRollout.Phase.INSTALLING);
        assertThat(persisted.commands()).containsOnly(Map.entry("i-003", "cmd-2"), Map.entry("i-004", "cmd-2"));
        // What it waits for is reported live; the persisted text may lag by the runner's checkpoint interval.
        assertThat(first.record().waitingFor()).contains("batch 2/3: fleet-agent install 2.0 on i-003, i-004 (SSM command cmd-2)");
        long progressLines = lines.stream().filter(l -> l.contains("fleet-agent install")).count();
        assertThat(progressLines).as("no line per poll").isZero();

        // "Killed" mid-install: another process resumes; the command ends meanwhile.
        fleet.onCall = call -> { };
        fleet.commandsRunning = false;
        OperationRecord done = operations("ci#9").resume(first.id(), new AbortSignal());

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.sentCommands).as("batch 2 kept its command; batch 3 sent one").containsExactly("cmd-1", "cmd-2", "cmd-3");
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
    }

    @Test
    void anInterruptedTickIsNotAFailureAndResumeFinishesTheRollout() {
        // What a stopping Jenkins controller does to the timer thread waiting for an SSM install.
        fleet.onCall = call -> {
            if (call.startsWith("install 2.0 [i-003")) {
                fleet.onCall = c -> { };
                Thread.currentThread().interrupt();
                throw new FleetDeployException("Interrupted while waiting for fleet-agent install 2.0.", "", "");
            }
        };
        OperationRunner.Session<?, ?> first = operations("controller-1").startRollout(push(66, null), new AbortSignal());
        try {
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) {
                    first.tick();
                }
            }).isInstanceOf(OperationInterruptedException.class).hasMessageContaining(first.id());
        } finally {
            Thread.interrupted();
        }
        OperationRecord saved = store.load(first.id());
        assertThat(saved.status()).as("an interrupt is a restart, not a failure").isEqualTo(OperationStatus.RUNNING);
        assertThat(lines).noneMatch(l -> l.contains("Rolling back") || l.contains("undo:"));

        OperationRecord done = operations("controller-2").resume(first.id(), new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.version.values()).containsOnly("2.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void anInterruptDuringTheUndoKeepsTheRestOfTheUndoLogForResume() {
        AbortSignal abort = new AbortSignal();
        fleet.onCall = call -> {
            if (call.startsWith("install 2.0 [i-003")) {
                abort.request("Ctrl-C");
            } else if (call.startsWith("install 1.0")) { // the undo putting 1.0 back, cut off by a stopping process
                fleet.onCall = c -> { };
                Thread.currentThread().interrupt();
                throw new FleetDeployException("Interrupted while waiting for fleet-agent install 1.0.", "", "");
            }
        };
        OperationRunner.Session<?, ?> first = operations("controller-1").startRollout(push(66, null), abort);
        try {
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) {
                    first.tick();
                }
            }).isInstanceOf(OperationInterruptedException.class);
        } finally {
            Thread.interrupted();
        }
        OperationRecord saved = store.load(first.id());
        assertThat(saved.status()).as("still undoing, not an undo failure").isEqualTo(OperationStatus.ABORTING);
        assertThat(saved.undo()).isNotEmpty();

        OperationRecord done = operations("controller-2").resume(first.id(), new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.ABORTED);
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).isEmpty();
        assertThat(fleet.channels.get("web")).isEqualTo("1.0");
        assertThat(leases.read("web")).isEmpty();
    }

    /** The last entry of the persisted undo log: the one being undone. */
    private UndoEntry undoing(String operationId) {
        List<UndoEntry> undo = store.load(operationId).undo();
        return undo.get(undo.size() - 1);
    }

    @Test
    void anUndoWaitsForTheInstallsAcrossTicksAndAResumeWaitsOnTheSameCommand() {
        AbortSignal abort = new AbortSignal();
        fleet.onCall = call -> {
            if (call.startsWith("install 2.0 [i-003")) { // batch 2's install takes long, and the user stops meanwhile
                fleet.commandsRunning = true;
                abort.request("Ctrl-C");
            }
        };
        OperationRunner.Session<?, ?> first = operations("controller-1").startRollout(push(66, null), abort);
        for (int i = 0; i < 100 && undoingIsNull(first); i++) {
            first.tick();
        }
        // The push's own install still runs: the undo must not send 1.0 beside it (it would lose to it).
        for (int i = 0; i < 5; i++) {
            assertThat(first.tick()).as("each tick only looks, then asks to be called again").isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(undoing(first.id()).waiting().step()).isEqualTo("otherCommandsEnd");
        assertThat(first.record().waitingFor()).isEqualTo("the SSM command(s) still running on i-003, i-004 to end before installing 1.0");
        assertThat(fleet.calls).noneMatch(c -> c.startsWith("install 1.0"));

        // The push's install ends; the undo's own install then runs long.
        fleet.commandsRunning = false;
        fleet.onCall = call -> fleet.commandsRunning |= call.startsWith("install 1.0");
        for (int i = 0; i < 5; i++) {
            assertThat(first.tick()).isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(fleet.sentCommands).as("the undo sent its install once, not once per tick").containsExactly("cmd-1", "cmd-2", "cmd-3");
        UndoWait persisted = undoing(first.id()).waiting();
        assertThat(persisted.step()).isEqualTo("installEnds");
        assertThat(persisted.commandIds()).containsOnly(Map.entry("i-003", "cmd-3"), Map.entry("i-004", "cmd-3"));
        assertThat(first.record().waitingFor()).isEqualTo("fleet-agent install 1.0 to end on i-003, i-004 (group web)");
        assertThat(store.load(first.id()).status()).isEqualTo(OperationStatus.ABORTING);

        // "Killed" mid-wait: another process resumes and waits on the same command; it does not send another.
        OperationRunner.Session<?, ?> second = operations("controller-2").startResume(first.id(), new AbortSignal());
        for (int i = 0; i < 5; i++) {
            assertThat(second.tick()).isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(fleet.sentCommands).containsExactly("cmd-1", "cmd-2", "cmd-3");
        fleet.onCall = call -> { };
        fleet.commandsRunning = false;
        OperationRecord done = second.runToEnd();

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ABORTED);
        assertThat(fleet.sentCommands).as("batch 1's undo sent one more").containsExactly("cmd-1", "cmd-2", "cmd-3", "cmd-4");
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));
        assertThat(fleet.suspended).isEmpty();
        assertThat(fleet.channels.get("web")).isEqualTo("1.0");
        assertThat(store.load(done.id()).undo()).isEmpty();
        assertThat(leases.read("web")).isEmpty();
    }

    private boolean undoingIsNull(OperationRunner.Session<?, ?> session) {
        List<UndoEntry> undo = session.record().undo();
        return !session.record().status().isUndoing() || undo.isEmpty() || undo.get(undo.size() - 1).waiting() == null;
    }

    @Test
    void anUndoWaitThatPassesItsBoundFailsNamingWhatItWaitedForAndResumeFinishesTheUndo() {
        AbortSignal abort = new AbortSignal();
        fleet.onCall = call -> {
            if (call.startsWith("install 2.0 [i-003")) { // batch 2's install never ends
                fleet.commandsRunning = true;
                abort.request("Ctrl-C");
            }
        };
        OperationRecord failed = operations("controller-1").rollout(push(66, null), abort);

        assertThat(failed.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.FAILED);
        assertThat(failed.message()).contains(
                "Undo failed at 'install 1.0 on i-003, i-004 (group web)': An SSM command still runs on i-003, i-004 after PT10M30S,"
                        + " so the previous version was not put back there.",
                "Still to put back: install 1.0 on i-003, i-004 (group web); exit Standby: i-003, i-004 (group web);",
                "run `fleet-deploy resume " + failed.id() + "`");
        assertThat(fleet.calls).noneMatch(c -> c.startsWith("install 1.0"));
        OperationRecord saved = store.load(failed.id());
        assertThat(saved.undo()).as("the install, batch 2's Standby, batch 1 (3), processes, channel").hasSize(7);
        assertThat(undoing(failed.id()).waiting()).as("resume begins the failed entry afresh").isNull();
        assertThat(leases.read("web")).isEmpty();

        fleet.onCall = call -> { };
        fleet.commandsRunning = false;
        OperationRecord done = operations("controller-2").resume(failed.id(), new AbortSignal());

        assertThat(done.status()).as(String.join("\n", lines)).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(fleet.version.values()).containsOnly("1.0");
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.capacity).isEqualTo(new GroupView.Capacity(6, 12, 6));
        assertThat(fleet.suspended).isEmpty();
        assertThat(fleet.channels.get("web")).isEqualTo("1.0");
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void aTickThatChangesNothingInTheFleetWritesTheRecordAtMostEveryTenSeconds() {
        OperationRunner.Session<?, ?> session = operations("ci#quiet").startRollout(push(66, null), new AbortSignal());
        OperationRecord stored = store.load(session.id());
        java.time.Instant writtenAt = clock.instant();
        int ticks = 0;
        int writes = 0;
        while (true) {
            int callsBefore = fleet.calls.size();
            Duration wait = session.tick();
            ticks++;
            OperationRecord now = store.load(session.id());
            if (!now.equals(stored)) {
                if (wait != null && fleet.calls.size() == callsBefore) {
                    assertThat(Duration.between(writtenAt, clock.instant())).as("a write on tick %d that changed nothing", ticks)
                            .isGreaterThanOrEqualTo(Duration.ofSeconds(10));
                }
                stored = now;
                writtenAt = clock.instant();
                writes++;
            }
            if (wait == null) {
                break;
            }
            clock.advance(wait);
        }
        assertThat(stored.status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(stored.history()).as("the final record is written with every line").isEqualTo(session.record().history());
        assertThat(writes).as("records written in %d ticks", ticks).isLessThan(ticks);
    }

    @Test
    void resumeWorksFromEveryPersistedStateOfAPush() {
        // Kill after every tick in turn; each time a fresh process resumes and the result is the same.
        for (int killAfter = 1; killAfter < 22; killAfter += 2) {
            setUp();
            OperationRunner.Session<?, ?> session = operations("a").startRollout(push(66, null), new AbortSignal());
            boolean ended = false;
            for (int i = 0; i < killAfter && !ended; i++) {
                ended = session.tick() == null;
            }
            OperationRecord done = ended ? store.load(session.id()) : operations("b").resume(session.id(), new AbortSignal());
            assertThat(done.status()).as("killed after tick %d", killAfter).isEqualTo(OperationStatus.SUCCEEDED);
            assertThat(fleet.version.values()).as("killed after tick %d", killAfter).containsOnly("2.0");
            assertThat(fleet.lifecycle.values()).containsOnly("InService");
            assertThat(fleet.suspended).isEmpty();
        }
    }

    @Test
    void anOperationWhoseLeaseWasForcedAwayStopsChangingTheGroup() {
        fleet.onCall = call -> {
            if (call.startsWith("install 2.0 [i-001")) {
                leases.acquire("web", "operator@bastion", "manual-1", new LeaseOptions(null, null, true), ProgressListener.NONE);
                clock.advance(Duration.ofMinutes(1)); // the next tick's heartbeat is due
            }
        };
        OperationRecord done = operations("ci#11").rollout(push(66, null), new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.HALTED);
        assertThat(done.message()).contains("now held by operator@bastion");
        int callsAtHalt = fleet.calls.size();
        assertThat(fleet.calls.get(callsAtHalt - 1)).startsWith("install 2.0 [i-001");
        assertThat(leases.read("web")).get().extracting(l -> l.holder()).isEqualTo("operator@bastion");
    }

    @Test
    void invalidInputIsRefusedBeforeAnyChange() {
        FleetOperations ops = operations("x");
        assertThatThrownBy(() -> ops.rollout(new RolloutRequest("nope", "2.0", null, null, null, null, 50, false, null, null,
                null, null, null, null, null, null), new AbortSignal())).hasMessageContaining("Auto Scaling group nope does not exist");
        assertThatThrownBy(() -> ops.rollout(RolloutRequest.push("web", "9.9"), new AbortSignal()))
                .hasMessageContaining("Version 9.9 is not published");
        assertThatThrownBy(() -> ops.rollout(push(100, null), new AbortSignal())).hasMessageContaining("impossible");
        assertThatThrownBy(() -> ops.rollout(new RolloutRequest("web", "2.0", null, null, 7, null, null, false, null, null,
                null, null, null, null, null, null), new AbortSignal())).hasMessageContaining("larger than group web");
        assertThatThrownBy(() -> ops.switchTraffic(new SwitchRequest(FakeFleet.LISTENER, "web-nope", null, null, true, null, null, null),
                new AbortSignal())).hasMessageContaining("Target group web-nope does not exist");
        assertThatThrownBy(() -> ops.switchTraffic(new SwitchRequest(FakeFleet.LISTENER, "web-green", null, null, true, null, null, null),
                new AbortSignal())).hasMessageContaining("has no healthy target");
        assertThat(fleet.calls).isEmpty();
        assertThat(store.list()).isEmpty();
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void drainThenRestorePutsBackExactlyWhatTheDrainChanged() {
        fleet.suspended.add("ScheduledActions");
        DrainRequest drain = new DrainRequest("web", 2, null, null, null, null, null, false);
        OperationRecord drained = operations("ops").drain(drain, new AbortSignal());
        assertThat(drained.status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.lifecycle).containsEntry("i-001", "Standby").containsEntry("i-002", "Standby").containsEntry("i-003", "InService");
        assertThat(fleet.suspended).containsExactlyInAnyOrder("ScheduledActions", "AZRebalance", "AlarmNotification", "HealthCheck", "ReplaceUnhealthy");

        OperationRecord restored = operations("ops").drain(new DrainRequest("web", null, null, null, null, null, null, true), new AbortSignal());
        assertThat(restored.status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(fleet.lifecycle.values()).containsOnly("InService");
        assertThat(fleet.suspended).containsExactly("ScheduledActions");
        assertThat(store.load(drained.id()).restoredBy()).isEqualTo(restored.id());
        assertThatThrownBy(() -> operations("ops").drain(new DrainRequest("web", null, null, null, null, null, null, true), new AbortSignal()))
                .hasMessageContaining("no drain to restore");
    }

    @Test
    void switchInWeightedStepsAndUndoRestoresTheOriginalActionExactly() {
        fleet.greenHealth.put("i-101", new TargetState("healthy", null));
        ForwardConfig original = new ForwardConfig(List.of(new ForwardConfig.WeightedTarget(FakeFleet.TG, 1)), false, true, 300);
        fleet.listener = original;
        SwitchRequest request = new SwitchRequest(FakeFleet.LISTENER, "web-green", List.of(10, 50, 100), Duration.ofSeconds(30), true,
                null, null, null);
        fleet.onCall = call -> {
            if (call.contains("weight 50")) {
                fleet.greenHealth.put("i-102", new TargetState("unhealthy", "Target.Timeout"));
            }
        };
        OperationRecord done = operations("ci#8").switchTraffic(request, new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.ROLLED_BACK);
        assertThat(done.message()).contains("health gate", "i-102 unhealthy (Target.Timeout)");
        assertThat(fleet.listener).isEqualTo(original);
        assertThat(fleet.calls).hasSize(4); // 10%, 50%, back to 10%, back to the original
    }

    @Test
    void switchAtOnceSendsAllTrafficToTheNewGroup() {
        fleet.greenHealth.put("i-101", new TargetState("healthy", null));
        OperationRecord done = operations("ci#9").switchTraffic(new SwitchRequest(FakeFleet.LISTENER, "web-green", null, null, true,
                null, null, null), new AbortSignal());
        assertThat(done.status()).isEqualTo(OperationStatus.SUCCEEDED);
        // The old group stays in the action at weight 0, so undoing the switch is a weight change restored exactly.
        assertThat(fleet.listener.allTo(FakeFleet.TG_GREEN)).as(fleet.listener.toString()).isTrue();
        assertThat(fleet.listener.targets()).containsExactly(new ForwardConfig.WeightedTarget(FakeFleet.TG, 0),
                new ForwardConfig.WeightedTarget(FakeFleet.TG_GREEN, 100));
    }

    @Test
    void persistedStateNamesMutationsNotClasses() {
        OperationRecord done = operations("ci#10").rollout(push(66, null), new AbortSignal());
        String json = new String(S3.read("deploys/shop/operations/" + done.id() + ".json"));
        assertThat(json).contains("\"type\" : \"enterStandby\"").doesNotContain("io.fleetdeploy");
        assertThat(Set.of(OperationStatus.SUCCEEDED)).contains(store.load(done.id()).status());
        assertThat(Map.of("ok", true)).isNotEmpty();
    }
}
