package io.fleetdeploy.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.operation.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Single transitions, pure: a hand-made observation in, the next state and the mutations out. */
class TransitionsTest {

    private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
    private static final String TG = FakeFleet.TG;

    /** A group of InService instances ("i-1" -> "healthy"/"unhealthy"), all reporting {@code runs}. */
    private static FleetObservation seen(Map<String, String> lifecycle, Map<String, String> health, String runs, String channel) {
        List<GroupView.InstanceView> instances = lifecycle.entrySet().stream()
                .map(e -> new GroupView.InstanceView(e.getKey(), e.getValue(), "Healthy")).sorted((a, b) -> a.id().compareTo(b.id())).toList();
        GroupView group = new GroupView("web", new GroupView.Capacity(1, 10, instances.size()), instances, List.of(), List.of(TG));
        Map<String, List<TargetState>> targets = new HashMap<>();
        health.forEach((id, state) -> targets.put(id, List.of(new TargetState(state, null))));
        Map<String, InstanceStatus> statuses = new HashMap<>();
        lifecycle.keySet().forEach(id -> statuses.put(id, new InstanceStatus(id, "web", "shop", runs, null, T0, "installed", null)));
        return new FleetObservation(Optional.of(group), targets, statuses, Optional.ofNullable(channel));
    }

    private static PushRollout.State pushAt(PushRollout.Phase phase, List<List<String>> batches, int batch, int required) {
        RolloutRequest r = new RolloutRequest("web", "2.0", null, null, null, null, 50, false, null, 2, Duration.ofMinutes(5),
                null, null, null, null, null);
        return new PushRollout.State(r, "1.0", required, List.of("AZRebalance"), batches, batch, phase, 0, T0, T0, Map.of(), List.of());
    }

    private final PushRollout push = new PushRollout(null);

    @Test
    void prepareRecordsTheDesiredVersionFirstAndSuspendsOnlyWhatWasNotSuspended() {
        FleetObservation s = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "healthy", "i-2", "healthy"), "1.0", "1.0");
        GroupView g = s.group().get();
        s = new FleetObservation(Optional.of(new GroupView("web", g.capacity(), g.instances(), List.of("AZRebalance", "Launch"), List.of(TG))),
                s.targets(), s.statuses(), s.channelVersion());
        Transition<PushRollout.State> t = push.next(PushRollout.State.start(RolloutRequest.push("web", "2.0")), s, T0);
        assertThat(t.actions()).containsExactly(
                new FleetChange.MoveChannel("web", "1.0", "2.0", null),
                new FleetChange.SuspendProcesses("web", List.of("AlarmNotification", "ScheduledActions", "HealthCheck", "ReplaceUnhealthy")));
        assertThat(t.state().phase()).isEqualTo(PushRollout.Phase.STANDBY);
        assertThat(t.state().batches()).containsExactly(List.of("i-1"), List.of("i-2"));
    }

    @Test
    void aPartialPushLeavesTheChannelAndAFullOneSkipsInstancesAlreadyOnTheVersion() {
        Map<String, String> three = Map.of("i-1", "InService", "i-2", "InService", "i-3", "InService");
        Map<String, String> healthy = Map.of("i-1", "healthy", "i-2", "healthy", "i-3", "healthy");
        RolloutRequest canary = RolloutRequest.push("web", "2.0").withInstanceCount(1);
        Transition<PushRollout.State> partial = push.next(PushRollout.State.start(canary), seen(three, healthy, "1.0", "1.0"), T0);
        assertThat(partial.actions()).noneMatch(a -> a instanceof FleetChange.MoveChannel);
        assertThat(partial.state().batches()).containsExactly(List.of("i-1"));
        assertThat(partial.progress()).contains("1 of 3 instances (channel web stays at 1.0)");

        FleetObservation canaryDone = withVersions(seen(three, healthy, "1.0", "1.0"), Map.of("i-1", "2.0"));
        Transition<PushRollout.State> rest = push.next(PushRollout.State.start(RolloutRequest.push("web", "2.0")), canaryDone, T0);
        assertThat(rest.actions()).first().isEqualTo(new FleetChange.MoveChannel("web", "1.0", "2.0", null));
        assertThat(rest.state().batches()).containsExactly(List.of("i-2"), List.of("i-3"));
        assertThat(rest.state().outcomes()).containsEntry("i-1", "already on 2.0");

        FleetObservation allDone = withVersions(canaryDone, Map.of("i-2", "2.0", "i-3", "2.0"));
        Transition<PushRollout.State> nothing = push.next(PushRollout.State.start(RolloutRequest.push("web", "2.0")), allDone, T0);
        assertThat(nothing.actions()).as("nothing to move: nothing suspended").noneMatch(a -> a instanceof FleetChange.SuspendProcesses);
        assertThat(nothing.state().phase()).isEqualTo(PushRollout.Phase.FINISH);
    }

    @Test
    void anInstalledBatchItsTargetGroupReportsUnhealthyFailsAfterHealthyChecksLooksButInitialWaitsForTheTimeout() {
        PushRollout.State s = pushAt(PushRollout.Phase.HEALTH, List.of(List.of("i-1"), List.of("i-2")), 0, 1);
        Map<String, String> two = Map.of("i-1", "InService", "i-2", "InService");
        FleetObservation initial = seen(two, Map.of("i-1", "initial", "i-2", "healthy"), "2.0", null);
        for (int look = 1; look <= 5; look++) {
            Transition<PushRollout.State> t = push.next(s, initial, T0.plusSeconds(look));
            assertThat(t.outcome()).as("a target still in initial is in its grace").isEqualTo(Transition.Outcome.CONTINUE);
            s = t.state();
        }
        FleetObservation unhealthy = seen(two, Map.of("i-1", "unhealthy", "i-2", "healthy"), "2.0", null);
        Transition<PushRollout.State> first = push.next(s, unhealthy, T0.plusSeconds(6));
        assertThat(first.outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        assertThat(first.state().unhealthyStreak()).isEqualTo(1);
        // A look in between with no target reported unhealthy starts the count again.
        Transition<PushRollout.State> healthyAgain = push.next(first.state(), seen(two, Map.of("i-1", "initial", "i-2", "healthy"), "2.0", null),
                T0.plusSeconds(7));
        assertThat(healthyAgain.state().unhealthyStreak()).isZero();
        Transition<PushRollout.State> again = push.next(push.next(healthyAgain.state(), unhealthy, T0.plusSeconds(8)).state(), unhealthy,
                T0.plusSeconds(9));
        assertThat(again.outcome()).as("long before the 5-minute timeout").isEqualTo(Transition.Outcome.FAILED);
        assertThat(again.failure()).contains("batch 1/2: unhealthy on 2.0 in 2 consecutive target health checks after the install",
                "i-1: InService, target unhealthy");
    }

    @Test
    void prepareWaitsWhileTheGroupReplacesAnInstanceAndPlansOnTheWholeGroup() {
        FleetObservation whole = seen(Map.of("i-1", "InService", "i-2", "InService", "i-3", "InService"),
                Map.of("i-1", "healthy", "i-2", "healthy", "i-3", "healthy"), "1.0", "1.0");
        GroupView g = whole.group().get();
        List<GroupView.InstanceView> replacing = List.of(g.instances().get(0), g.instances().get(1),
                new GroupView.InstanceView("i-4", "Pending", "Healthy"));
        FleetObservation healing = new FleetObservation(Optional.of(new GroupView("web", g.capacity(), replacing, List.of(), List.of(TG))),
                whole.targets(), whole.statuses(), whole.channelVersion());
        Transition<PushRollout.State> t = push.next(PushRollout.State.start(RolloutRequest.push("web", "2.0")), healing, T0);
        assertThat(t.actions()).isEmpty();
        assertThat(t.state().phase()).isEqualTo(PushRollout.Phase.PREPARE);
        assertThat(t.waitingFor()).contains("i-4 (Pending, Healthy)", "desired 3, InService 2");
        Transition<PushRollout.State> planned = push.next(t.state(), whole, T0.plusSeconds(20));
        assertThat(planned.state().batches()).hasSize(3);
    }

    @Test
    void aBatchWaitsWhileMinHealthyWouldBeBrokenAndFailsAtTheTimeout() {
        PushRollout.State s = pushAt(PushRollout.Phase.STANDBY, List.of(List.of("i-1"), List.of("i-2"), List.of("i-3")), 1, 2);
        FleetObservation oneUnhealthy = seen(Map.of("i-1", "InService", "i-2", "InService", "i-3", "InService"),
                Map.of("i-1", "healthy", "i-2", "healthy", "i-3", "unhealthy"), "2.0", null);
        Transition<PushRollout.State> waiting = push.next(s, oneUnhealthy, T0.plusSeconds(10));
        assertThat(waiting.actions()).isEmpty();
        assertThat(waiting.waitingFor()).contains("2 instances besides the batch serve healthy (now 1)");

        Transition<PushRollout.State> failed = push.next(s, oneUnhealthy, T0.plus(Duration.ofMinutes(5)));
        assertThat(failed.outcome()).isEqualTo(Transition.Outcome.FAILED);
        assertThat(failed.failure()).contains("batch 2/3: only 1 instance(s)", "2 needed (minHealthyPercent)");

        FleetObservation allHealthy = seen(Map.of("i-1", "InService", "i-2", "InService", "i-3", "InService"),
                Map.of("i-1", "healthy", "i-2", "healthy", "i-3", "healthy"), "2.0", null);
        Transition<PushRollout.State> enter = push.next(s, allHealthy, T0);
        assertThat(enter.actions()).containsExactly(new FleetChange.EnterStandby("web", List.of("i-2")));
        assertThat(enter.observedAgain()).as("a resume from STANDBY checks minHealthyPercent again and waits for the drain").isTrue();
    }

    @Test
    void anInstanceTerminatedMidBatchLeavesTheBatchAndTheRestGoesOn() {
        PushRollout.State s = pushAt(PushRollout.Phase.WAIT_STANDBY, List.of(List.of("i-1", "i-2"), List.of("i-3", "i-4")), 0, 2);
        FleetObservation i1Gone = seen(Map.of("i-2", "Standby", "i-3", "InService", "i-4", "InService", "i-5", "Pending"),
                Map.of("i-3", "healthy", "i-4", "healthy"), "1.0", null);
        Transition<PushRollout.State> t = push.next(s, i1Gone, T0.plusSeconds(5));
        assertThat(t.state().current()).containsExactly("i-2");
        assertThat(t.state().outcomes()).containsEntry("i-1", "terminated during batch 1/2");
        Transition<PushRollout.State> next = push.next(t.state(), i1Gone, T0.plusSeconds(10));
        assertThat(next.actions()).as("sent from the look that saw the rest drained")
                .containsExactly(new FleetChange.Install("web", List.of("i-2"), "2.0", "1.0", Duration.ofMinutes(10)));
        assertThat(next.state().phase()).isEqualTo(PushRollout.Phase.INSTALLING);
    }

    @Test
    void anInstanceTerminatedInStandbyRaisesTheDesiredCapacityBackSoTheGroupReplacesIt() {
        PushRollout.State s = pushAt(PushRollout.Phase.INSTALL, List.of(List.of("i-1", "i-2"), List.of("i-3", "i-4")), 0, 2);
        // Entering Standby lowered the desired capacity to the 3 instances outside it; i-1 then died in Standby.
        FleetObservation i1Lost = seen(Map.of("i-2", "Standby", "i-3", "InService", "i-4", "InService"),
                Map.of("i-3", "healthy", "i-4", "healthy"), "1.0", null);
        Transition<PushRollout.State> t = push.next(s, i1Lost, T0.plusSeconds(5));
        assertThat(t.actions()).containsExactly(new FleetChange.ReplaceLostInStandby("web", List.of("i-1"), 4));
        assertThat(t.actions().get(0).inverse()).as("never lowered again by an undo").isNull();
        assertThat(t.state().current()).containsExactly("i-2");
        assertThat(t.state().phase()).isEqualTo(PushRollout.Phase.INSTALL);
        assertThat(t.state().outcomes()).containsEntry("i-1", "terminated in Standby during batch 1/2; replaced by the group");
        assertThat(push.next(t.state(), i1Lost, T0.plusSeconds(6)).actions())
                .containsExactly(new FleetChange.Install("web", List.of("i-2"), "2.0", "1.0", Duration.ofMinutes(10)));

        PushRollout.State exiting = pushAt(PushRollout.Phase.EXIT_STANDBY, List.of(List.of("i-1"), List.of("i-3")), 0, 1);
        Transition<PushRollout.State> allLost = push.next(exiting, seen(Map.of("i-1", "Terminating", "i-3", "InService"),
                Map.of("i-3", "healthy"), "1.0", null), T0.plusSeconds(5));
        assertThat(allLost.actions()).containsExactly(new FleetChange.ReplaceLostInStandby("web", List.of("i-1"), 3));
        assertThat(allLost.state().batch()).as("an emptied batch is done").isEqualTo(1);
        assertThat(allLost.state().phase()).isEqualTo(PushRollout.Phase.STANDBY);
    }

    @Test
    void theHealthGateNeedsHealthyChecksInARowOnTheNewVersion() {
        PushRollout.State s = pushAt(PushRollout.Phase.HEALTH, List.of(List.of("i-1"), List.of("i-2")), 0, 1);
        FleetObservation good = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "healthy", "i-2", "healthy"), "2.0", null);
        FleetObservation oldVersion = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "healthy", "i-2", "healthy"), "1.0", null);
        Transition<PushRollout.State> first = push.next(s, good, T0.plusSeconds(5));
        assertThat(first.state().healthyStreak()).isEqualTo(1);
        assertThat(push.next(first.state(), oldVersion, T0.plusSeconds(10)).state().healthyStreak()).isZero();
        Transition<PushRollout.State> second = push.next(first.state(), good, T0.plusSeconds(10));
        assertThat(second.state().batch()).isEqualTo(1);
        assertThat(second.state().phase()).isEqualTo(PushRollout.Phase.STANDBY);
        assertThat(second.state().outcomes()).containsEntry("i-1", "installed 2.0");
        assertThat(second.state().timings()).singleElement().extracting(BatchTiming::duration).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void theHealthGateBacksOffOnlyWhileNoTargetOfTheBatchHasBeenCheckedYet() {
        PushRollout.State s = pushAt(PushRollout.Phase.HEALTH, List.of(List.of("i-1"), List.of("i-2")), 0, 1);
        FleetObservation initial = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "initial", "i-2", "healthy"), "2.0", null);
        assertThat(push.next(s, initial, T0.plusSeconds(50)).nextPoll()).as("a fifth of the 50 s waited").isEqualTo(Duration.ofSeconds(10));
        assertThat(push.next(s, initial, T0.plusSeconds(290)).nextPoll()).as("at most").isEqualTo(PushRollout.MAX_POLL);
        FleetObservation unhealthy = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "unhealthy", "i-2", "healthy"), "2.0", null);
        assertThat(push.next(s, unhealthy, T0.plusSeconds(50)).nextPoll()).as("each look counts towards the fail-fast").isNull();
        FleetObservation good = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "healthy", "i-2", "healthy"), "2.0", null);
        assertThat(push.next(s, good, T0.plusSeconds(50)).nextPoll()).as("each look counts towards healthyChecks").isNull();
    }

    @Test
    void aRunningInstallIsFirstLookedAtNearTheTimeTheLastOneTook() {
        Duration bound = Duration.ofMinutes(10);
        assertThat(PushRollout.installPoll(Duration.ZERO, null, bound)).as("nothing known: the poll interval").isNull();
        assertThat(PushRollout.installPoll(Duration.ofSeconds(40), null, bound)).isEqualTo(Duration.ofSeconds(8));
        assertThat(PushRollout.installPoll(Duration.ZERO, Duration.ofSeconds(80), bound)).isEqualTo(Duration.ofSeconds(60));
        assertThat(PushRollout.installPoll(Duration.ofSeconds(60), Duration.ofSeconds(80), bound)).isEqualTo(Duration.ofSeconds(12));
        assertThat(PushRollout.installPoll(Duration.ZERO, Duration.ofSeconds(80), Duration.ofSeconds(20))).as("never past the bound")
                .isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void theLastBatchResumesExactlyTheProcessesItSuspended() {
        PushRollout.State s = pushAt(PushRollout.Phase.FINISH, List.of(List.of("i-1")), 0, 0);
        Transition<PushRollout.State> t = push.next(s, seen(Map.of("i-1", "InService"), Map.of("i-1", "healthy"), "2.0", null), T0);
        assertThat(t.outcome()).isEqualTo(Transition.Outcome.DONE);
        assertThat(t.actions()).containsExactly(new FleetChange.ResumeProcesses("web", List.of("AZRebalance")));
    }

    @Test
    void pullWaitsForConvergePercentAndNamesStragglersAtTheTimeout() {
        PullRollout pull = new PullRollout(null);
        RolloutRequest r = new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PULL, null, null, null, null, false, null, null,
                Duration.ofMinutes(2), null, 75, null, null, null);
        Transition<PullRollout.State> prepared = pull.next(PullRollout.State.start(r),
                seen(Map.of("i-1", "InService"), Map.of(), "1.0", "1.0"), T0);
        // Suspended before the pointer moves: the undo (in reverse) moves it back and waits before it resumes them.
        assertThat(prepared.actions()).containsExactly(
                new FleetChange.SuspendProcesses("web", List.of("AZRebalance", "AlarmNotification", "ScheduledActions", "HealthCheck",
                        "ReplaceUnhealthy")),
                new FleetChange.MoveChannel("web", "1.0", "2.0", "web"));

        Map<String, String> four = Map.of("i-1", "InService", "i-2", "InService", "i-3", "InService", "i-4", "InService");
        Map<String, String> allHealthy = Map.of("i-1", "healthy", "i-2", "healthy", "i-3", "healthy", "i-4", "healthy");
        FleetObservation half = withVersions(seen(four, allHealthy, "1.0", null), Map.of("i-1", "2.0", "i-2", "2.0"));
        Transition<PullRollout.State> waiting = pull.next(prepared.state(), half, T0.plusSeconds(5));
        assertThat(waiting.progress()).isEqualTo("converged 2/4 healthy on 2.0");
        assertThat(pull.next(waiting.state(), half, T0.plusSeconds(10)).progress()).isNull(); // one line per change, not per poll
        // Nothing moved since the last look: the next one backs off (a fifth of the 50 s since the pointer moved); a look
        // that saw progress keeps the poll interval (null), since more instances are likely to follow.
        assertThat(waiting.nextPoll()).as("after progress").isNull();
        assertThat(pull.next(waiting.state(), half, T0.plusSeconds(50)).nextPoll()).as("no progress").isEqualTo(Duration.ofSeconds(10));
        Transition<PullRollout.State> timedOut = pull.next(waiting.state(), half, T0.plus(Duration.ofMinutes(2)));
        assertThat(timedOut.failure()).contains("only 2 of 4", "Stragglers: i-3: InService, target healthy, reports 1.0 installed");

        // Reporting the version is not enough: the target must be healthy too, healthyChecks (2) times in a row.
        FleetObservation threeQuarters = withVersions(half, Map.of("i-3", "2.0"));
        FleetObservation threeQuartersOneUnhealthy = new FleetObservation(threeQuarters.group(),
                Map.of("i-1", List.of(new TargetState("healthy", null)), "i-2", List.of(new TargetState("healthy", null)),
                        "i-3", List.of(new TargetState("unhealthy", "Target.FailedHealthChecks"))), threeQuarters.statuses(), Optional.empty());
        assertThat(pull.next(waiting.state(), threeQuartersOneUnhealthy, T0.plusSeconds(15)).state().phase()).isEqualTo(PullRollout.Phase.CONVERGE);
        assertThat(pull.next(waiting.state(), threeQuartersOneUnhealthy, T0.plusSeconds(50)).nextPoll())
                .as("an unhealthy report counts towards the fail-fast at each poll").isNull();
        Transition<PullRollout.State> firstCheck = pull.next(waiting.state(), threeQuarters, T0.plusSeconds(15));
        assertThat(firstCheck.state().phase()).isEqualTo(PullRollout.Phase.CONVERGE);
        assertThat(firstCheck.nextPoll()).as("healthy check 1/2: the next look counts towards the streak").isNull();
        assertThat(pull.next(firstCheck.state(), threeQuarters, T0.plusSeconds(16)).state().phase()).isEqualTo(PullRollout.Phase.FINISH);
    }

    @Test
    void pullWaitsForTheGroupToReplaceAnInstanceTerminatedWhileItConverges() {
        PullRollout pull = new PullRollout(null);
        RolloutRequest r = new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PULL, null, null, null, null, false, null, 2,
                Duration.ofMinutes(2), null, null, null, null, null);
        PullRollout.State s = pull.next(PullRollout.State.start(r), seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of(), "1.0", "1.0"),
                T0).state();
        // i-2 was terminated (desired capacity 2 kept): i-1, the only one InService, serves 2.0, but the group is short.
        FleetObservation terminating = seen(Map.of("i-1", "InService", "i-2", "Terminating"), Map.of("i-1", "healthy"), "2.0", null);
        FleetObservation launching = seen(Map.of("i-1", "InService", "i-3", "Pending"), Map.of("i-1", "healthy"), "2.0", null);
        FleetObservation whole = seen(Map.of("i-1", "InService", "i-3", "InService"), Map.of("i-1", "healthy", "i-3", "healthy"), "2.0", null);
        Transition<PullRollout.State> first = pull.next(s, terminating, T0.plusSeconds(1));
        Transition<PullRollout.State> second = pull.next(first.state(), launching, T0.plusSeconds(2));
        Transition<PullRollout.State> third = pull.next(second.state(), launching, T0.plusSeconds(3));
        assertThat(List.of(first, second, third)).allSatisfy(t -> assertThat(t.state().phase()).isEqualTo(PullRollout.Phase.CONVERGE));
        assertThat(third.waitingFor()).contains("1/1 healthy on 2.0", "the group is replacing or launching instances: i-3 (Pending, Healthy)");
        assertThat(pull.next(third.state(), launching, T0.plus(Duration.ofMinutes(2))).failure())
                .contains("only 1 of 1", "the group is replacing or launching instances: i-3 (Pending, Healthy)", "Stragglers: none");

        Transition<PullRollout.State> replaced = pull.next(third.state(), whole, T0.plusSeconds(4));
        assertThat(replaced.progress()).isEqualTo("converged 2/2 healthy on 2.0");
        assertThat(pull.next(replaced.state(), whole, T0.plusSeconds(5)).state().phase()).isEqualTo(PullRollout.Phase.FINISH);
    }

    @Test
    void pullFailsFastOnAnInstanceOnTheVersionItsTargetGroupReportsUnhealthyButInitialWaitsForTheTimeout() {
        PullRollout pull = new PullRollout(null);
        RolloutRequest r = new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PULL, null, null, null, null, false, null, 2,
                Duration.ofMinutes(10), null, null, null, null, null);
        Map<String, String> two = Map.of("i-1", "InService", "i-2", "InService");
        PullRollout.State s = pull.next(PullRollout.State.start(r), seen(two, Map.of(), "1.0", "1.0"), T0).state();
        FleetObservation initial = seen(two, Map.of("i-1", "initial", "i-2", "healthy"), "2.0", null);
        FleetObservation unhealthy = seen(two, Map.of("i-1", "unhealthy", "i-2", "healthy"), "2.0", null);
        // A target still in initial is in its grace: the pull waits, up to the timeout.
        assertThat(pull.next(s, initial, T0.plusSeconds(5)).outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        assertThat(pull.next(s, initial, T0.plus(Duration.ofMinutes(10))).failure()).contains("only 1 of 2");
        // An instance still on the old release its target group reports unhealthy is not the new release's fault.
        FleetObservation oldUnhealthy = withVersions(unhealthy, Map.of("i-1", "1.0"));
        assertThat(pull.next(pull.next(s, oldUnhealthy, T0.plusSeconds(5)).state(), oldUnhealthy, T0.plusSeconds(6)).outcome())
                .isEqualTo(Transition.Outcome.CONTINUE);

        Transition<PullRollout.State> first = pull.next(s, unhealthy, T0.plusSeconds(5));
        assertThat(first.outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        assertThat(first.state().unhealthyStreak()).isEqualTo(1);
        assertThat(first.waitingFor()).contains("reported unhealthy 1/2");
        Transition<PullRollout.State> recovering = pull.next(first.state(), initial, T0.plusSeconds(6));
        assertThat(recovering.state().unhealthyStreak()).as("a look with no target reported unhealthy starts the count again").isZero();
        Transition<PullRollout.State> failed = pull.next(pull.next(recovering.state(), unhealthy, T0.plusSeconds(7)).state(), unhealthy,
                T0.plusSeconds(8));
        assertThat(failed.outcome()).as("long before the 10-minute timeout").isEqualTo(Transition.Outcome.FAILED);
        assertThat(failed.failure()).contains("unhealthy on 2.0 in 2 consecutive target health checks after the install",
                "i-1: InService, target unhealthy");
    }

    /**
     * The code changes under targets that stay registered: their "healthy" is the old code's until the target group has
     * checked the new one unhealthyThreshold times. A pull is not done before that long after the instances switched,
     * and a release that fails within it fails the pull instead.
     */
    @Test
    void pullCountsHealthyOnlyOnceTheTargetGroupsCouldHaveSeenTheNewCodeFail() {
        PullRollout pull = new PullRollout(null);
        RolloutRequest r = new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PULL, null, null, null, null, false, null, 2,
                Duration.ofMinutes(10), null, null, null, null, null);
        Map<String, String> two = Map.of("i-1", "InService", "i-2", "InService");
        Duration detection = new HealthCheck(Duration.ofSeconds(10), Duration.ofSeconds(5), 3).failureDetection();
        assertThat(detection).isEqualTo(Duration.ofSeconds(35));
        PullRollout.State s = pull.next(PullRollout.State.start(r),
                seen(two, Map.of(), "1.0", "1.0").withFailureDetection(detection), T0).state();
        assertThat(s.failureDetection()).isEqualTo(detection);

        FleetObservation onNew = seen(two, Map.of("i-1", "healthy", "i-2", "healthy"), "2.0", null);
        Transition<PullRollout.State> first = pull.next(s, onNew, T0.plusSeconds(1));
        Transition<PullRollout.State> second = pull.next(first.state(), onNew, T0.plusSeconds(2));
        assertThat(second.state().phase()).as("healthyChecks reached, but the target groups may not have checked 2.0 yet")
                .isEqualTo(PullRollout.Phase.CONVERGE);
        assertThat(second.waitingFor()).contains("healthy check 2/2 on 2.0", "may take up to 35 s to report a failing target",
                "waiting 34 s more");
        assertThat(pull.next(second.state(), onNew, T0.plusSeconds(35)).state().phase()).isEqualTo(PullRollout.Phase.CONVERGE);
        assertThat(pull.next(second.state(), onNew, T0.plusSeconds(36)).state().phase()).isEqualTo(PullRollout.Phase.FINISH);

        // The bad release is caught inside the window: the streak starts again and the fail-fast fails the pull.
        FleetObservation failing = seen(two, Map.of("i-1", "unhealthy", "i-2", "healthy"), "2.0", null);
        Transition<PullRollout.State> caught = pull.next(second.state(), failing, T0.plusSeconds(20));
        assertThat(caught.state().healthyStreak()).isZero();
        assertThat(caught.state().healthySince()).isNull();
        Transition<PullRollout.State> failed = pull.next(caught.state(), failing, T0.plusSeconds(21));
        assertThat(failed.outcome()).isEqualTo(Transition.Outcome.FAILED);
        assertThat(failed.failure()).contains("unhealthy on 2.0 in 2 consecutive target health checks after the install");
    }

    @Test
    void replaceFailsFastOnAnInstanceOnTheVersionItsTargetGroupReportsUnhealthyButInitialWaitsForTheTimeout() {
        ReplaceRollout replace = new ReplaceRollout(null);
        RolloutRequest r = new RolloutRequest("web", "2.0", RolloutRequest.Strategy.REPLACE, null, null, null, null, false, null, 2,
                Duration.ofMinutes(10), null, null, 2, null, null);
        GroupView idle = new GroupView("web", new GroupView.Capacity(0, 2, 0), List.of(), List.of(), List.of(TG));
        ReplaceRollout.State s = replace.next(ReplaceRollout.State.start(r),
                new ReplaceRollout.Seen(new FleetObservation(Optional.of(idle), Map.of(), Map.of(), Optional.of("1.0")), null), T0).state();
        Map<String, String> two = Map.of("i-1", "InService", "i-2", "InService");
        ReplaceRollout.Seen initial = new ReplaceRollout.Seen(seen(two, Map.of("i-1", "initial", "i-2", "healthy"), "2.0", null), null);
        ReplaceRollout.Seen unhealthy = new ReplaceRollout.Seen(seen(two, Map.of("i-1", "unhealthy", "i-2", "healthy"), "2.0", null), null);
        assertThat(replace.next(s, initial, T0.plusSeconds(5)).outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        assertThat(replace.next(s, initial, T0.plus(Duration.ofMinutes(10))).failure()).contains("only 1 of 2");

        Transition<ReplaceRollout.State> first = replace.next(s, unhealthy, T0.plusSeconds(5));
        assertThat(first.outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        assertThat(first.state().unhealthyStreak()).isEqualTo(1);
        Transition<ReplaceRollout.State> recovering = replace.next(first.state(), initial, T0.plusSeconds(6));
        assertThat(recovering.state().unhealthyStreak()).as("a look with no target reported unhealthy starts the count again").isZero();
        Transition<ReplaceRollout.State> failed = replace.next(replace.next(recovering.state(), unhealthy, T0.plusSeconds(7)).state(),
                unhealthy, T0.plusSeconds(8));
        assertThat(failed.outcome()).as("long before the 10-minute timeout").isEqualTo(Transition.Outcome.FAILED);
        assertThat(failed.failure()).contains("group web: unhealthy on 2.0 in 2 consecutive target health checks after the install",
                "i-1: InService, target unhealthy");
    }

    @Test
    void rolloutStatesSavedBeforeTheUnhealthyStreakReadBackWithNone() throws Exception {
        RolloutRequest r = new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PULL, null, null, null, null, false, null, 2,
                Duration.ofMinutes(10), null, null, null, null, null);
        com.fasterxml.jackson.databind.ObjectMapper json = io.fleetdeploy.core.Json.mapper();
        com.fasterxml.jackson.databind.node.ObjectNode pullSaved = json.valueToTree(new PullRollout.State(r, "1.0", List.of(),
                PullRollout.Phase.CONVERGE, T0, 1, 2, 0, 1, Duration.ofSeconds(7), null));
        pullSaved.remove("unhealthyStreak");
        pullSaved.remove("failureDetection");
        pullSaved.remove("healthySince");
        PullRollout.State pullRead = json.treeToValue(pullSaved, PullRollout.State.class);
        assertThat(pullRead.unhealthyStreak()).isZero();
        assertThat(pullRead.failureDetection()).as("unknown: no wait added").isZero();
        com.fasterxml.jackson.databind.node.ObjectNode replaceSaved = json.valueToTree(new ReplaceRollout.State(r, "1.0", List.of(),
                ReplaceRollout.Phase.WAIT, 2, T0, 0, 1, 1));
        replaceSaved.remove("unhealthyStreak");
        assertThat(json.treeToValue(replaceSaved, ReplaceRollout.State.class).unhealthyStreak()).isZero();
    }

    @Test
    void replaceScalesTheIdleGroupAndUndoRestoresItsCapacityExactly() {
        ReplaceRollout replace = new ReplaceRollout(null);
        RolloutRequest r = new RolloutRequest("green", "2.0", RolloutRequest.Strategy.REPLACE, null, null, null, null, false, null, 1,
                null, null, null, null, "blue", null);
        GroupView idle = new GroupView("green", new GroupView.Capacity(0, 2, 0), List.of(), List.of(), List.of(TG));
        FleetObservation seen = new FleetObservation(Optional.of(idle), Map.of(), Map.of(), Optional.of("1.0"));
        Transition<ReplaceRollout.State> t = replace.next(ReplaceRollout.State.start(r), new ReplaceRollout.Seen(seen, 4), T0);
        FleetChange.SetCapacity scale = new FleetChange.SetCapacity("green", new GroupView.Capacity(0, 2, 0), new GroupView.Capacity(4, 4, 4));
        assertThat(t.actions()).contains(scale);
        assertThat(scale.inverse()).isEqualTo(new FleetChange.SetCapacity("green", new GroupView.Capacity(4, 4, 4), new GroupView.Capacity(0, 2, 0)));
        assertThat(t.state().capacity()).isEqualTo(4);
    }

    @Test
    void drainDeregisterWaitsUntilTargetsAreUnused() {
        DrainGroup drain = new DrainGroup(null);
        DrainRequest r = new DrainRequest("web", null, 50, null, DrainRequest.Mode.DEREGISTER, null, null, false);
        FleetObservation before = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "healthy", "i-2", "healthy"), "1.0", null);
        Transition<DrainGroup.State> t = drain.next(DrainGroup.State.start(r), before, T0);
        assertThat(t.actions()).contains(new FleetChange.Deregister(TG, List.of("i-1")));
        FleetObservation draining = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "draining", "i-2", "healthy"), "1.0", null);
        assertThat(drain.next(t.state(), draining, T0.plusSeconds(5)).outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        FleetObservation unused = seen(Map.of("i-1", "InService", "i-2", "InService"), Map.of("i-1", "unused", "i-2", "healthy"), "1.0", null);
        Transition<DrainGroup.State> done = drain.next(t.state(), unused, T0.plusSeconds(10));
        assertThat(done.outcome()).isEqualTo(Transition.Outcome.DONE);
        assertThat(done.state().outcomes()).containsExactly(Map.entry("i-1", "drained"));
    }

    @Test
    void drainScaleToZeroKeepsMaxAndUndoesToTheOldCapacity() {
        DrainGroup drain = new DrainGroup(null);
        FleetObservation before = seen(Map.of("i-1", "InService"), Map.of("i-1", "healthy"), "1.0", null);
        Transition<DrainGroup.State> t = drain.next(DrainGroup.State.start(
                new DrainRequest("web", null, null, null, DrainRequest.Mode.SCALE_TO_ZERO, null, null, false)), before, T0);
        assertThat(t.actions()).contains(new FleetChange.SetCapacity("web", new GroupView.Capacity(1, 10, 1), new GroupView.Capacity(0, 10, 0)));
    }

    @Test
    void switchRefusesAStepWhenTheNewGroupHasNoHealthyTarget() {
        SwitchTraffic sw = new SwitchTraffic(null);
        SwitchRequest r = new SwitchRequest(FakeFleet.LISTENER, "web-green", List.of(10, 100), null, true, null, null, null);
        SwitchTraffic.State s = SwitchTraffic.State.start(r, FakeFleet.TG_GREEN, "listener-9");
        ForwardConfig blue = ForwardConfig.single(TG);
        Transition<SwitchTraffic.State> prepared = sw.next(s, new SwitchTraffic.Seen(Optional.of(blue), Map.of()), T0);
        Transition<SwitchTraffic.State> refused = sw.next(prepared.state(),
                new SwitchTraffic.Seen(Optional.of(blue), Map.of("i-9", new TargetState("unhealthy", "Target.Timeout"))), T0);
        assertThat(refused.outcome()).isEqualTo(Transition.Outcome.FAILED);
        assertThat(refused.actions()).isEmpty();
        assertThat(refused.failure()).contains("no healthy target", "i-9 unhealthy (Target.Timeout)");
    }

    @Test
    void theBakeGateFailsWhenTheNewGroupLostAHealthyTargetSinceTheStart() {
        SwitchTraffic sw = new SwitchTraffic(null);
        SwitchRequest r = new SwitchRequest(FakeFleet.LISTENER, "web-green", List.of(50, 100), Duration.ofMinutes(1), true, null, null, null);
        ForwardConfig blue = ForwardConfig.single(TG);
        TargetState healthy = new TargetState("healthy", null);
        Transition<SwitchTraffic.State> prepared = sw.next(SwitchTraffic.State.start(r, FakeFleet.TG_GREEN, "listener-9"),
                new SwitchTraffic.Seen(Optional.of(blue), Map.of("i-8", healthy, "i-9", healthy)), T0);
        Transition<SwitchTraffic.State> stepped = sw.next(prepared.state(),
                new SwitchTraffic.Seen(Optional.of(blue), Map.of("i-8", healthy, "i-9", healthy)), T0);
        assertThat(stepped.actions()).hasSize(1);
        // i-9 left the target group without ever being reported unhealthy: one healthy target is not as many as at the start.
        Transition<SwitchTraffic.State> baking = sw.next(stepped.state(), new SwitchTraffic.Seen(Optional.of(blue), Map.of("i-8", healthy)),
                T0.plusSeconds(10));
        assertThat(baking.outcome()).isEqualTo(Transition.Outcome.FAILED);
        assertThat(baking.failure()).contains("health gate", "1 healthy, 2 at the start");
    }

    @Test
    void theInstallOnlySendsTheCommandAndLaterTicksObserveItUntilItSucceeded() throws Exception {
        PushRollout.State s = pushAt(PushRollout.Phase.INSTALL, List.of(List.of("i-1", "i-2"), List.of("i-3", "i-4")), 0, 2);
        FleetObservation inStandby = seen(Map.of("i-1", "Standby", "i-2", "Standby", "i-3", "InService", "i-4", "InService"),
                Map.of("i-3", "healthy", "i-4", "healthy"), "1.0", null);
        Transition<PushRollout.State> send = push.next(s, inStandby, T0.plusSeconds(1));
        assertThat(send.actions()).containsExactly(new FleetChange.Install("web", List.of("i-1", "i-2"), "2.0", "1.0", Duration.ofMinutes(10)));
        assertThat(send.state().phase()).isEqualTo(PushRollout.Phase.INSTALLING);
        assertThat(send.nextPoll()).as("the command is observed on the next tick").isZero();

        // The runner hands what the send started back and persists it; a resumed operation reads it back.
        PushRollout.State sent = push.started(send.state(), send.actions().get(0), Map.of("i-1", "c-1", "i-2", "c-1"));
        var mapper = FleetChange.mapper();
        PushRollout.State resumed = mapper.readValue(mapper.writeValueAsString(sent), PushRollout.State.class);
        assertThat(resumed).isEqualTo(sent);
        assertThat(resumed.commands()).containsOnly(Map.entry("i-1", "c-1"), Map.entry("i-2", "c-1"));

        Transition<PushRollout.State> notListedYet = push.next(resumed, inStandby, T0.plusSeconds(2));
        Transition<PushRollout.State> running = push.next(resumed, commands(inStandby, Map.of("i-1", "Success", "i-2", "InProgress")),
                T0.plusSeconds(3));
        for (Transition<PushRollout.State> waiting : List.of(notListedYet, running)) {
            assertThat(waiting.actions()).as("no command sent again while one runs").isEmpty();
            assertThat(waiting.outcome()).isEqualTo(Transition.Outcome.CONTINUE);
            assertThat(waiting.progress()).as("no line per poll").isNull();
            assertThat(waiting.state()).isEqualTo(resumed);
        }
        assertThat(running.waitingFor()).contains("batch 1/2: fleet-agent install 2.0 on i-2 (SSM command c-1)");

        Transition<PushRollout.State> done = push.next(resumed, commands(inStandby, Map.of("i-1", "Success", "i-2", "Success")),
                T0.plusSeconds(20));
        assertThat(done.actions()).containsExactly(new FleetChange.ExitStandby("web", List.of("i-1", "i-2")));
        assertThat(done.observedAgain()).as("a resume from INSTALLING sees the ended commands and the batch InService again").isTrue();
        assertThat(done.state().phase()).isEqualTo(PushRollout.Phase.HEALTH);
        assertThat(done.state().commands()).isEmpty();
    }

    @Test
    void aFailedCommandFailsTheBatchOnceAllEndedNamingTheInstanceAndItsOutput() {
        PushRollout.State s = installing(List.of("i-1", "i-2"));
        FleetObservation base = seen(Map.of("i-1", "Standby", "i-2", "Standby", "i-3", "InService"), Map.of("i-3", "healthy"), "1.0", null);
        assertThat(push.next(s, commands(base, Map.of("i-1", "Failed", "i-2", "InProgress")), T0.plusSeconds(5)).outcome())
                .as("the other instance's install still runs: wait for it before the undo reinstalls").isEqualTo(Transition.Outcome.CONTINUE);
        for (String status : List.of("Failed", "TimedOut", "Cancelled")) {
            Transition<PushRollout.State> failed = push.next(s, commands(base, Map.of("i-1", status, "i-2", "Success")), T0.plusSeconds(5));
            assertThat(failed.outcome()).isEqualTo(Transition.Outcome.FAILED);
            assertThat(failed.actions()).isEmpty();
            assertThat(failed.failure()).isEqualTo("fleet-agent install 2.0 failed on 1 of 2 instance(s) of group web: i-1 " + status
                    + " (sha256 mismatch for bundle.tar.gz).");
        }
    }

    @Test
    void aCommandNotEndedWithinItsTimeoutPlusTheMarginIsCancelledAndFailsTheBatch() {
        PushRollout.State s = installing(List.of("i-1", "i-2"));
        FleetObservation stuck = commands(seen(Map.of("i-1", "Standby", "i-2", "Standby", "i-3", "InService"), Map.of("i-3", "healthy"),
                "1.0", null), Map.of("i-1", "Success", "i-2", "InProgress"));
        Instant bound = T0.plus(Duration.ofMinutes(10)).plus(PushRollout.COMMAND_MARGIN);
        assertThat(push.next(s, stuck, bound.minusSeconds(1)).outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        Transition<PushRollout.State> failed = push.next(s, stuck, bound);
        assertThat(failed.outcome()).isEqualTo(Transition.Outcome.FAILED);
        assertThat(failed.actions()).containsExactly(new FleetChange.CancelCommands("web", List.of("c-1")));
        assertThat(failed.failure()).isEqualTo("fleet-agent install 2.0 did not end within PT10M30S on i-2 (group web);"
                + " the command was cancelled.");
    }

    @Test
    void anInstanceTerminatedWhileItsCommandRunsLeavesTheBatchAndTheRestIsWaitedFor() {
        PushRollout.State s = installing(List.of("i-1", "i-2"));
        FleetObservation i1Lost = commands(seen(Map.of("i-2", "Standby", "i-3", "InService"), Map.of("i-3", "healthy"), "1.0", null),
                Map.of("i-1", "Terminated", "i-2", "InProgress"));
        Transition<PushRollout.State> t = push.next(s, i1Lost, T0.plusSeconds(5));
        assertThat(t.actions()).containsExactly(new FleetChange.ReplaceLostInStandby("web", List.of("i-1"), 3));
        assertThat(t.state().phase()).isEqualTo(PushRollout.Phase.INSTALLING);
        assertThat(t.state().current()).containsExactly("i-2");
        assertThat(t.state().commands()).as("the command is still observed").containsEntry("i-2", "c-1");
        Transition<PushRollout.State> next = push.next(t.state(), commands(i1Lost, Map.of("i-1", "Terminated", "i-2", "Success")),
                T0.plusSeconds(6));
        assertThat(next.actions()).containsExactly(new FleetChange.ExitStandby("web", List.of("i-2")));
    }

    @Test
    void theBatchLeavesStandbyOnlyOnceNoneOfItIsStillEnteringStandbyWaitingTickByTickWithinTheTimeout() {
        PushRollout.State s = installing(List.of("i-1", "i-2"));
        Map<String, String> ended = Map.of("i-1", "Success", "i-2", "Success");
        FleetObservation i2Entering = commands(seen(Map.of("i-1", "Standby", "i-2", "EnteringStandby", "i-3", "InService"),
                Map.of("i-3", "healthy"), "1.0", null), ended);
        Transition<PushRollout.State> waiting = push.next(s, i2Entering, T0.plusSeconds(20));
        assertThat(waiting.actions()).as("no exit from Standby Auto Scaling would refuse").isEmpty();
        assertThat(waiting.outcome()).isEqualTo(Transition.Outcome.CONTINUE);
        assertThat(waiting.state().phase()).isEqualTo(PushRollout.Phase.EXIT_STANDBY);
        assertThat(waiting.state().waitSince()).as("the timeout counts from here").isEqualTo(T0.plusSeconds(20));
        assertThat(waiting.progress()).isEqualTo("batch 1/2: i-2 still EnteringStandby");
        assertThat(waiting.waitingFor()).isEqualTo("batch 1/2: instances i-2 of group web reach Standby before leaving it");

        FleetObservation stillEntering = seen(Map.of("i-1", "Standby", "i-2", "EnteringStandby", "i-3", "InService"),
                Map.of("i-3", "healthy"), "1.0", null);
        Transition<PushRollout.State> again = push.next(waiting.state(), stillEntering, T0.plusSeconds(25));
        assertThat(again.actions()).isEmpty();
        assertThat(again.state()).isEqualTo(waiting.state());
        assertThat(again.progress()).as("no line per poll").isNull();
        assertThat(again.waitingFor()).contains("i-2");

        FleetObservation inStandby = seen(Map.of("i-1", "Standby", "i-2", "Standby", "i-3", "InService"), Map.of("i-3", "healthy"), "1.0", null);
        Transition<PushRollout.State> exits = push.next(waiting.state(), inStandby, T0.plusSeconds(30));
        assertThat(exits.actions()).containsExactly(new FleetChange.ExitStandby("web", List.of("i-1", "i-2")));
        assertThat(exits.state().phase()).isEqualTo(PushRollout.Phase.HEALTH);

        Transition<PushRollout.State> timedOut = push.next(waiting.state(), stillEntering, T0.plusSeconds(20).plus(Duration.ofMinutes(5)));
        assertThat(timedOut.outcome()).isEqualTo(Transition.Outcome.FAILED);
        assertThat(timedOut.actions()).isEmpty();
        assertThat(timedOut.failure()).isEqualTo("batch 1/2: instances i-2 of group web did not reach Standby within PT5M,"
                + " so they could not leave it: i-2: EnteringStandby, reports 1.0 installed");
    }

    @Test
    void restoringADrainWaitsUntilNoInstanceToPutBackIsStillEnteringStandby() {
        RestoreDrain restore = new RestoreDrain(null);
        List<FleetChange> inverses = List.of(new FleetChange.ExitStandby("web", List.of("i-1")),
                new FleetChange.ResumeProcesses("web", List.of("AZRebalance")));
        RestoreDrain.State s = new RestoreDrain.State("web", "drain-1", inverses, RestoreDrain.Phase.APPLY, null, Duration.ofMinutes(5));
        FleetObservation entering = seen(Map.of("i-1", "EnteringStandby", "i-2", "InService"), Map.of("i-2", "healthy"), "1.0", null);
        Transition<RestoreDrain.State> waiting = restore.next(s, entering, T0);
        assertThat(waiting.actions()).isEmpty();
        assertThat(waiting.waitingFor()).isEqualTo("instances i-1 of group web reach Standby before leaving it");
        assertThat(waiting.state().waitSince()).isEqualTo(T0);
        assertThat(restore.next(waiting.state(), entering, T0.plus(Duration.ofMinutes(5))).failure())
                .isEqualTo("instances i-1 of group web did not reach Standby within PT5M, so nothing of drain drain-1 was put back");
        Transition<RestoreDrain.State> applies = restore.next(waiting.state(),
                seen(Map.of("i-1", "Standby", "i-2", "InService"), Map.of("i-2", "healthy"), "1.0", null), T0.plusSeconds(5));
        assertThat(applies.actions()).containsExactlyElementsOf(inverses);
        assertThat(applies.state().phase()).isEqualTo(RestoreDrain.Phase.WAIT);
    }

    /** A batch whose install command c-1 was sent at T0. */
    private PushRollout.State installing(List<String> batch) {
        PushRollout.State s = pushAt(PushRollout.Phase.INSTALLING, List.of(batch, List.of("i-3")), 0, 1);
        Map<String, String> sent = new HashMap<>();
        batch.forEach(id -> sent.put(id, "c-1"));
        return push.started(s, new FleetChange.Install("web", batch, "2.0", "1.0", Duration.ofMinutes(10)), sent);
    }

    /** The observation with command c-1's invocations in these states (a failed one with the agent's output). */
    private static FleetObservation commands(FleetObservation seen, Map<String, String> status) {
        Map<String, FleetPorts.CommandInvocation> invocations = new HashMap<>();
        status.forEach((id, st) -> invocations.put(id, new FleetPorts.CommandInvocation(id, "c-1", st,
                st.equals("Success") || st.equals("InProgress") ? "" : "sha256 mismatch for bundle.tar.gz")));
        return seen.withCommands(invocations);
    }

    private static FleetObservation withVersions(FleetObservation seen, Map<String, String> versions) {
        Map<String, InstanceStatus> statuses = new HashMap<>(seen.statuses());
        versions.forEach((id, v) -> statuses.put(id, new InstanceStatus(id, "web", "shop", v, null, T0, "installed", null)));
        return new FleetObservation(seen.group(), seen.targets(), statuses, seen.channelVersion());
    }
}
