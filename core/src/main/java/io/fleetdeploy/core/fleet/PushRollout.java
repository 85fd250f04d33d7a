package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * rolloutGroup push: per batch Standby -> SSM install -> exit Standby -> health gate, keeping
 * minHealthyPercent at every moment. Before the first change a full rollout moves the channel pointer
 * (so instances launched meanwhile boot into the new version); a partial one (instanceCount,
 * instanceIds: a canary) leaves it. It suspends only the processes that were not suspended and resumes
 * exactly those at the end. Instances that already run the version are skipped, so "the rest" after a
 * canary touches only the others. Failure undoes every batch already moved.
 */
public final class PushRollout implements OperationDefinition<PushRollout.State, FleetObservation> {

    public static final String KIND = "rollout-push";

    /** INSTALL sends the SSM command; INSTALLING observes it until it ended everywhere (no thread waits for it). */
    public enum Phase { PREPARE, STANDBY, WAIT_STANDBY, INSTALL, INSTALLING, EXIT_STANDBY, HEALTH, PAUSE, FINISH }

    /** Time SSM may take beyond the command's own timeout to report it ended, before the batch fails. */
    static final Duration COMMAND_MARGIN = Duration.ofSeconds(30);
    /** The longest wait between two looks at a running install, a drain or targets still in their first checks. */
    static final Duration MAX_POLL = Duration.ofSeconds(30);

    /**
     * @param outcomes instance id -> what happened to it ("installed 1.2", "terminated during batch 2", ...)
     * @param waitSince when the current wait began (its deadline is waitSince + timeout)
     * @param commands  INSTALLING: instance id -> the SSM command sent to it for this batch, so a resumed
     *                  operation observes that command instead of sending another
     * @param unhealthyStreak consecutive health-gate observations in which an instance of the batch, its
     *                        install done, was reported unhealthy by a target group (absent in older saved states: 0)
     * @param installTook how long the last batch's install took, from sending the SSM command until it had ended
     *                    everywhere; null before the first (and in older saved states). The next install is not
     *                    polled much before it could end: see {@link #installPoll}
     */
    public record State(RolloutRequest request, String previousVersion, int required, List<String> suspendedByUs,
                        List<List<String>> batches, int batch, Phase phase, int healthyStreak, Instant waitSince,
                        Instant batchStarted, Map<String, String> outcomes, List<BatchTiming> timings,
                        Map<String, String> commands, int unhealthyStreak, Duration installTook) {

        public State {
            suspendedByUs = suspendedByUs == null ? List.of() : List.copyOf(suspendedByUs);
            batches = batches == null ? List.of() : List.copyOf(batches);
            outcomes = outcomes == null ? Map.of() : Map.copyOf(outcomes);
            timings = timings == null ? List.of() : List.copyOf(timings);
            commands = commands == null ? Map.of() : Map.copyOf(commands);
        }

        /** A state with no SSM command under way and no unhealthy streak (every phase but INSTALLING and HEALTH). */
        public State(RolloutRequest request, String previousVersion, int required, List<String> suspendedByUs,
                     List<List<String>> batches, int batch, Phase phase, int healthyStreak, Instant waitSince,
                     Instant batchStarted, Map<String, String> outcomes, List<BatchTiming> timings) {
            this(request, previousVersion, required, suspendedByUs, batches, batch, phase, healthyStreak, waitSince, batchStarted,
                    outcomes, timings, Map.of(), 0, null);
        }

        public static State start(RolloutRequest request) {
            return new State(request, null, 0, List.of(), List.of(), 0, Phase.PREPARE, 0, null, null, Map.of(), List.of());
        }

        State with(Phase newPhase, Instant since) {
            return new State(request, previousVersion, required, suspendedByUs, batches, batch, newPhase, 0, since,
                    batchStarted, outcomes, timings, Map.of(), 0, installTook);
        }

        State withCommands(Map<String, String> sent) {
            Map<String, String> all = new LinkedHashMap<>(commands);
            all.putAll(sent);
            return new State(request, previousVersion, required, suspendedByUs, batches, batch, phase, healthyStreak, waitSince,
                    batchStarted, outcomes, timings, all, unhealthyStreak, installTook);
        }

        State withInstallTook(Duration took) {
            return new State(request, previousVersion, required, suspendedByUs, batches, batch, phase, healthyStreak, waitSince,
                    batchStarted, outcomes, timings, commands, unhealthyStreak, took);
        }

        List<String> current() {
            return batches.get(batch);
        }

        String label() {
            return "batch " + (batch + 1) + "/" + batches.size();
        }
    }

    private final FleetObserver observer;

    public PushRollout(FleetObserver observer) {
        this.observer = observer;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public String group(State state) {
        return state.request().group();
    }

    @Override
    public FleetObservation observe(State state) {
        // PREPARE reads every InService instance's status (null), to skip those that already run the version.
        List<String> statusOf = state.phase() == Phase.HEALTH ? state.current() : state.phase() == Phase.PREPARE ? null : List.of();
        // Only Standby (minHealthyPercent), its drain and the health gate decide on target health; the other
        // phases need the group alone, so they spare the DescribeTargetHealth calls.
        boolean targetHealth = state.phase() == Phase.STANDBY || state.phase() == Phase.WAIT_STANDBY || state.phase() == Phase.HEALTH;
        FleetObservation seen = observer.observe(state.request().group(), statusOf,
                state.phase() == Phase.PREPARE ? state.request().channel() : null, targetHealth);
        return state.phase() == Phase.INSTALLING ? seen.withCommands(observer.invocations(state.commands())) : seen;
    }

    /** The Install of INSTALL sent its SSM commands: record them (persisted at once by the runner). */
    @Override
    public State started(State state, Mutation action, Map<String, String> started) {
        return action instanceof FleetChange.Install && state.phase() == Phase.INSTALLING ? state.withCommands(started) : state;
    }

    @Override
    public Transition<State> next(State s, FleetObservation seen, Instant now) {
        RolloutRequest r = s.request();
        if (seen.group().isEmpty()) {
            return Transition.fail(s, "Group " + r.group() + " no longer exists.");
        }
        GroupView group = seen.group().get();
        return switch (s.phase()) {
            case PREPARE -> prepare(s, seen, group, now);
            case STANDBY -> standby(s, seen, group, now);
            case WAIT_STANDBY -> waitStandby(s, seen, now);
            case INSTALL -> lostInStandby(s, seen, group, now).orElseGet(() -> install(s, now, null));
            case INSTALLING -> lostInStandby(s, seen, group, now).orElseGet(() -> installing(s, seen, now));
            case EXIT_STANDBY -> lostInStandby(s, seen, group, now).orElseGet(() -> exitStandby(s, seen, now));
            case HEALTH -> health(s, seen, now);
            case PAUSE -> now.isBefore(s.waitSince().plus(r.pauseBetweenBatches()))
                    ? Transition.waitFor(s, "pause between batches until " + s.waitSince().plus(r.pauseBetweenBatches()))
                    : Transition.act(s.with(Phase.STANDBY, now), null);
            case FINISH -> finish(s);
        };
    }

    private Transition<State> prepare(State s, FleetObservation seen, GroupView group, Instant now) {
        RolloutRequest r = s.request();
        // A group replacing an instance (one terminated or marked unhealthy, e.g. while a canary had ReplaceUnhealthy
        // suspended) would be planned on too few InService instances; wait, within the timeout, until it is whole.
        List<String> settling = settling(group);
        if (!settling.isEmpty() && !timedOut(s, now)) {
            State waiting = s.waitSince() == null ? s.with(Phase.PREPARE, now) : s;
            return Transition.waitFor(waiting, "group " + r.group() + " to replace or launch instances before planning (desired "
                    + group.capacity().desired() + ", InService " + group.inServiceIds().size() + "): " + String.join(", ", settling));
        }
        List<String> inService = group.inServiceIds();
        List<String> alreadyOn = inService.stream().filter(id -> seen.runs(id, r.version())).toList();
        BatchPlan plan = BatchPlan.of(r, inService, alreadyOn);
        String previous = seen.channelVersion().orElse(null);
        List<Mutation> actions = new ArrayList<>();
        // Only a full rollout records the group's desired version: after a partial one (a canary) the
        // instances launched meanwhile must still boot into the version the rest of the group runs.
        if (!r.partial() && !r.version().equals(previous)) {
            actions.add(new FleetChange.MoveChannel(r.channel(), previous, r.version(), null));
        }
        List<String> suspend = plan.batches().isEmpty() ? List.of() : Processes.toSuspend(Processes.ROLLOUT, group);
        if (!suspend.isEmpty()) {
            actions.add(new FleetChange.SuspendProcesses(r.group(), suspend));
        }
        Map<String, String> outcomes = new LinkedHashMap<>();
        plan.skipped().forEach(id -> outcomes.put(id, "already on " + r.version()));
        Phase first = plan.batches().isEmpty() ? Phase.FINISH : Phase.STANDBY;
        State next = new State(r, previous, plan.required(), suspend, plan.batches(), 0, first, 0, now, null, outcomes, List.of());
        String scope = r.partial() ? plan.moved() + " of " + plan.groupSize() + " instances (channel " + r.channel() + " stays at "
                + (previous == null ? "unset" : previous) + ")" : plan.moved() + " of " + plan.groupSize() + " instances";
        return Transition.act(next, "push " + r.version() + " to group " + r.group() + " (was " + (previous == null ? "unset" : previous)
                + "): " + scope + " in " + plan.batches().size() + " batch(es) of " + plan.batchSize()
                + (r.canary() ? " after a canary" : "") + ", " + plan.required() + " keep serving"
                + (plan.skipped().isEmpty() ? "" : "; already on " + r.version() + ": " + String.join(", ", plan.skipped())), actions);
    }

    private Transition<State> standby(State s, FleetObservation seen, GroupView group, Instant now) {
        RolloutRequest r = s.request();
        List<String> batch = s.current().stream().filter(id -> seen.instance(id).isPresent()).toList();
        Map<String, String> outcomes = new LinkedHashMap<>(s.outcomes());
        s.current().stream().filter(id -> !batch.contains(id)).forEach(id -> outcomes.put(id, "left the group before " + s.label()));
        if (batch.isEmpty()) {
            return advance(withBatch(s, batch, outcomes), now, s.label() + ": every instance left the group; skipped");
        }
        long healthyOthers = group.instances().stream()
                .filter(i -> !batch.contains(i.id()) && seen.servesHealthy(i.id())).count();
        if (healthyOthers < s.required()) {
            if (timedOut(s, now)) {
                List<String> notServing = group.instances().stream().map(GroupView.InstanceView::id)
                        .filter(id -> !batch.contains(id) && !seen.servesHealthy(id)).limit(5).toList();
                return Transition.fail(s, s.label() + ": only " + healthyOthers + " instance(s) of group " + r.group()
                        + " serve healthy besides the batch, " + s.required() + " needed (minHealthyPercent), for " + r.timeout()
                        + ". Not serving: " + describeAll(seen, notServing) + ".");
            }
            return Transition.waitFor(s, s.label() + ": waiting until " + s.required() + " instances besides the batch serve healthy (now "
                    + healthyOthers + ")");
        }
        State next = withBatch(s, batch, outcomes);
        next = new State(r, next.previousVersion(), next.required(), next.suspendedByUs(), next.batches(), next.batch(),
                Phase.WAIT_STANDBY, 0, now, now, next.outcomes(), next.timings(), Map.of(), 0, s.installTook());
        // A resume from STANDBY finds the batch in Standby, checks minHealthyPercent again and goes on waiting for the drain.
        return Transition.act(next, s.label() + ": " + String.join(", ", batch) + " leaving traffic",
                new FleetChange.EnterStandby(r.group(), batch)).observedAgainOnResume();
    }

    private Transition<State> waitStandby(State s, FleetObservation seen, Instant now) {
        List<String> gone = s.current().stream().filter(id -> seen.instance(id).isEmpty()).toList();
        if (!gone.isEmpty()) {
            Map<String, String> outcomes = new LinkedHashMap<>(s.outcomes());
            gone.forEach(id -> outcomes.put(id, "terminated during " + s.label()));
            List<String> rest = s.current().stream().filter(id -> !gone.contains(id)).toList();
            State next = withBatch(s, rest, outcomes);
            if (rest.isEmpty()) {
                return advance(next, now, s.label() + ": " + String.join(", ", gone) + " terminated; the group's replacement boots into "
                        + s.request().version());
            }
            return Transition.waitFor(next, s.label() + ": " + String.join(", ", gone) + " terminated", "Standby of " + String.join(", ", rest));
        }
        List<String> notYet = s.current().stream()
                .filter(id -> !seen.instance(id).map(GroupView.InstanceView::inStandby).orElse(false) || !seen.drained(id)).toList();
        if (notYet.isEmpty()) {
            // Sent from this look, which saw the batch drained in Standby: another look first could not tell more.
            return install(s, now, s.label() + ": drained; installing " + s.request().version());
        }
        if (timedOut(s, now)) {
            return Transition.fail(s, s.label() + ": not drained into Standby within " + s.request().timeout() + ": "
                    + describeAll(seen, notYet));
        }
        // A drain lasts up to the target group's deregistration delay (300 s by default in AWS): back off.
        return Transition.waitFor(s, s.label() + ": draining " + String.join(", ", notYet))
                .pollingAfter(backoff(Duration.between(s.waitSince(), now)));
    }

    /**
     * Instances of the batch terminated while in Standby: entering Standby lowered the desired capacity,
     * so the group would not replace them. Raises it back by as many (its replacements boot into the
     * channel's version, moved before the first change) and goes on with the rest of the batch.
     */
    private java.util.Optional<Transition<State>> lostInStandby(State s, FleetObservation seen, GroupView group, Instant now) {
        List<String> lost = s.current().stream()
                .filter(id -> seen.instance(id).map(i -> i.lifecycleState().startsWith("Terminat")).orElse(true)).toList();
        if (lost.isEmpty()) {
            return java.util.Optional.empty();
        }
        Map<String, String> outcomes = new LinkedHashMap<>(s.outcomes());
        lost.forEach(id -> outcomes.put(id, "terminated in Standby during " + s.label() + "; replaced by the group"));
        State next = withBatch(s, s.current().stream().filter(id -> !lost.contains(id)).toList(), outcomes);
        // The lost instances leave the batch in this same step, so the raise is made once (a kill between the
        // call and the state's save would repeat it on resume).
        int desired = group.capacity().desired() + lost.size();
        if (next.current().isEmpty()) {
            next = advance(next, now, null).state();
        }
        return java.util.Optional.of(Transition.act(next, s.label() + ": " + String.join(", ", lost) + " terminated in Standby; the group"
                + " replaces it on " + s.request().version(), new FleetChange.ReplaceLostInStandby(s.request().group(), lost, desired)));
    }

    /**
     * Waits, tick by tick, until the batch's SSM commands ended on every instance still in it (an
     * instance with no command already ran the version), bounded by the command's timeout + a margin.
     * Any that did not succeed fails the batch (so its undo puts the previous version back).
     */
    private Transition<State> installing(State s, FleetObservation seen, Instant now) {
        RolloutRequest r = s.request();
        List<String> sentTo = s.current().stream().filter(id -> s.commands().containsKey(id)).toList();
        List<String> running = sentTo.stream().filter(id -> !seen.commands().containsKey(id) || !seen.commands().get(id).ended()).toList();
        if (running.isEmpty()) {
            List<String> failures = sentTo.stream().map(id -> seen.commands().get(id)).filter(inv -> !inv.succeeded())
                    .map(FleetPorts.CommandInvocation::describe).toList();
            if (!failures.isEmpty()) {
                return Transition.fail(s, FleetPorts.Commands.installFailed(r.version(), r.group(), failures, sentTo.size()).whatFailed());
            }
            return exitStandby(s.withInstallTook(Duration.between(s.waitSince(), now)), seen, now);
        }
        Duration bound = r.commandTimeout().plus(COMMAND_MARGIN);
        if (!now.isBefore(s.waitSince().plus(bound))) {
            List<String> commandIds = running.stream().map(id -> s.commands().get(id)).distinct().toList();
            return new Transition<>(s, List.of(new FleetChange.CancelCommands(r.group(), commandIds)), Transition.Outcome.FAILED,
                    FleetPorts.Commands.installNotEnded(r.version(), r.group(), bound, running).whatFailed(), null, null, Duration.ZERO);
        }
        return Transition.waitFor(s, s.label() + ": fleet-agent install " + r.version() + " on " + String.join(", ", running)
                + " (SSM command " + String.join(", ", running.stream().map(id -> s.commands().get(id)).distinct().toList())
                + ") until " + s.waitSince().plus(bound))
                .pollingAfter(installPoll(Duration.between(s.waitSince(), now), s.installTook(), Duration.between(now, s.waitSince().plus(bound))));
    }

    /** Sends the batch's install (state INSTALL: a resumed operation that had not sent it yet; or from WAIT_STANDBY). */
    private Transition<State> install(State s, Instant now, String progress) {
        RolloutRequest r = s.request();
        return Transition.act(s.with(Phase.INSTALLING, now), progress,
                new FleetChange.Install(r.group(), s.current(), r.version(), s.previousVersion(), r.commandTimeout()));
    }

    /**
     * When to look at a running install again: not before three quarters of the time the last batch's install
     * took, then after a fifth of the time it has run so far ({@link #backoff}), never past the install's bound
     * (the runner also waits no longer than a third of the lease's time-to-live, so the heartbeat goes on). The runner never polls sooner than its
     * poll interval. So an install is observed a few times, not once per poll interval: a batch of 10 taking
     * 60 s cost 60 ListCommandInvocations and 60 DescribeAutoScalingGroups at a 1 s poll.
     *
     * @return null: the poll interval
     */
    static Duration installPoll(Duration elapsed, Duration expected, Duration untilBound) {
        Duration wait = expected != null && elapsed.compareTo(expected.multipliedBy(3).dividedBy(4)) < 0
                ? expected.multipliedBy(3).dividedBy(4).minus(elapsed)
                : backoff(elapsed);
        if (wait == null) {
            return null;
        }
        wait = wait.compareTo(untilBound) > 0 ? untilBound : wait;
        return wait.isNegative() || wait.isZero() ? null : wait;
    }

    /**
     * The wait before the next look at something that has been under way for {@code elapsed} and whose end is not
     * known: a fifth of that time (so a look comes at most about 20 % after the end), at most {@link #MAX_POLL}.
     * The runner never waits less than its poll interval, so short waits are still seen at once.
     *
     * @return null: the poll interval
     */
    static Duration backoff(Duration elapsed) {
        Duration wait = elapsed.dividedBy(5);
        return wait.isNegative() || wait.isZero() ? null : wait.compareTo(MAX_POLL) > 0 ? MAX_POLL : wait;
    }

    /**
     * Moves the batch back to InService once this look shows none of it still EnteringStandby: Auto Scaling refuses
     * to take such an instance out of Standby (and skipping it would leave it there for good). Until then it waits
     * in EXIT_STANDBY, tick by tick, within the timeout; the effect itself only refuses, it never waits.
     */
    private Transition<State> exitStandby(State s, FleetObservation seen, Instant now) {
        RolloutRequest r = s.request();
        List<String> entering = s.current().stream()
                .filter(id -> seen.instance(id).map(GroupView.InstanceView::enteringStandby).orElse(false)).toList();
        if (entering.isEmpty()) {
            // A resume from INSTALLING sees the same ended commands and the batch InService, and goes on to the health gate.
            return Transition.act(s.with(Phase.HEALTH, now), null, new FleetChange.ExitStandby(r.group(), s.current()))
                    .observedAgainOnResume();
        }
        boolean began = s.phase() != Phase.EXIT_STANDBY;
        State waiting = began ? s.with(Phase.EXIT_STANDBY, now) : s;
        if (timedOut(waiting, now)) {
            return Transition.fail(s, s.label() + ": instances " + String.join(", ", entering) + " of group " + r.group()
                    + " did not reach Standby within " + r.timeout() + ", so they could not leave it: " + describeAll(seen, entering));
        }
        String reachStandby = s.label() + ": instances " + String.join(", ", entering) + " of group " + r.group()
                + " reach Standby before leaving it";
        return Transition.waitFor(waiting, began ? s.label() + ": " + String.join(", ", entering) + " still EnteringStandby" : null,
                reachStandby);
    }

    private Transition<State> health(State s, FleetObservation seen, Instant now) {
        RolloutRequest r = s.request();
        List<String> failed = s.current().stream().filter(id -> seen.statuses().containsKey(id) && seen.statuses().get(id).failed()).toList();
        if (!failed.isEmpty()) {
            return Transition.fail(s, s.label() + ": the agent reported a failure: " + describeAll(seen, failed));
        }
        List<String> present = s.current().stream().filter(id -> seen.instance(id).isPresent()).toList();
        List<String> unhealthy = present.stream().filter(id -> !seen.servesHealthy(id) || !seen.runs(id, r.version())).toList();
        if (unhealthy.isEmpty()) {
            int streak = s.healthyStreak() + 1;
            if (streak < r.healthyChecks()) {
                State next = new State(r, s.previousVersion(), s.required(), s.suspendedByUs(), s.batches(), s.batch(), Phase.HEALTH,
                        streak, s.waitSince(), s.batchStarted(), s.outcomes(), s.timings(), Map.of(), 0, s.installTook());
                return Transition.waitFor(next, s.label() + ": healthy check " + streak + "/" + r.healthyChecks());
            }
            Map<String, String> outcomes = new LinkedHashMap<>(s.outcomes());
            present.forEach(id -> outcomes.put(id, "installed " + r.version()));
            s.current().stream().filter(id -> !present.contains(id)).forEach(id -> outcomes.put(id, "terminated during " + s.label()));
            List<BatchTiming> timings = new ArrayList<>(s.timings());
            timings.add(new BatchTiming(s.batch() + 1, s.current(), s.batchStarted(), now));
            State done = new State(r, s.previousVersion(), s.required(), s.suspendedByUs(), s.batches(), s.batch(), Phase.HEALTH,
                    0, s.waitSince(), s.batchStarted(), outcomes, timings, Map.of(), 0, s.installTook());
            return advance(done, now, s.label() + ": " + String.join(", ", present) + " healthy on " + r.version());
        }
        FailFast failFast = FailFast.look(seen, unhealthy, r.version(), s.unhealthyStreak());
        if (failFast.failed(r)) {
            return Transition.fail(s, s.label() + ": " + failFast.failure(seen, r));
        }
        if (timedOut(s, now)) {
            return Transition.fail(s, s.label() + ": not healthy on " + r.version() + " within " + r.timeout() + ": " + describeAll(seen, unhealthy));
        }
        State reset = s.healthyStreak() == 0 && s.unhealthyStreak() == failFast.streak() ? s : new State(r, s.previousVersion(), s.required(),
                s.suspendedByUs(), s.batches(), s.batch(), Phase.HEALTH, 0, s.waitSince(), s.batchStarted(), s.outcomes(), s.timings(),
                Map.of(), failFast.streak(), s.installTook());
        Transition<State> waiting = Transition.waitFor(reset, s.label() + ": health gate for " + String.join(", ", unhealthy) + failFast.progress(r));
        // While no instance of the batch has passed a check and none failed one (targets still "initial" after leaving
        // Standby: at least the health check interval x the healthy threshold, 150 s by AWS's defaults), nothing the
        // gate decides on can change at the next poll: back off. From the first healthy or unhealthy report on, every
        // poll counts towards healthyChecks in a row or the fail-fast.
        boolean firstChecks = failFast.streak() == 0 && present.stream().noneMatch(id -> seen.servesHealthy(id) || seen.reportedUnhealthy(id));
        return firstChecks ? waiting.pollingAfter(backoff(Duration.between(s.waitSince(), now))) : waiting;
    }

    private Transition<State> advance(State s, Instant now, String progress) {
        RolloutRequest r = s.request();
        boolean last = s.batch() + 1 >= s.batches().size();
        Phase phase = last ? Phase.FINISH : !r.pauseBetweenBatches().isZero() ? Phase.PAUSE : Phase.STANDBY;
        State next = new State(r, s.previousVersion(), s.required(), s.suspendedByUs(), s.batches(), last ? s.batch() : s.batch() + 1,
                phase, 0, now, null, s.outcomes(), s.timings(), Map.of(), 0, s.installTook());
        return Transition.act(next, progress);
    }

    private Transition<State> finish(State s) {
        RolloutRequest r = s.request();
        List<Mutation> actions = s.suspendedByUs().isEmpty() ? List.of() : List.of(new FleetChange.ResumeProcesses(r.group(), s.suspendedByUs()));
        Transition<State> resumed = Transition.act(s, null, actions);
        return new Transition<>(s, resumed.actions(), Transition.Outcome.DONE, null,
                (r.partial() ? s.batches().stream().mapToInt(List::size).sum() + " instance(s) of group " + r.group() + " run "
                        : "group " + r.group() + " runs ") + r.version() + " (" + s.timings().size() + " batch(es))", null, null);
    }

    private static State withBatch(State s, List<String> batch, Map<String, String> outcomes) {
        List<List<String>> batches = new ArrayList<>(s.batches());
        batches.set(s.batch(), batch);
        return new State(s.request(), s.previousVersion(), s.required(), s.suspendedByUs(), batches, s.batch(), s.phase(),
                s.healthyStreak(), s.waitSince(), s.batchStarted(), outcomes, s.timings(), s.commands(), s.unhealthyStreak(), s.installTook());
    }

    /**
     * Instances the group is launching, terminating or about to replace (InService but Unhealthy for Auto Scaling),
     * plus a marker when fewer instances are InService or in Standby than the desired capacity.
     */
    static List<String> settling(GroupView group) {
        List<String> settling = new ArrayList<>(group.instances().stream()
                .filter(i -> i.lifecycleState().startsWith("Pending") || i.lifecycleState().startsWith("Terminating")
                        || i.inService() && "Unhealthy".equalsIgnoreCase(i.healthStatus()) && !group.suspendedProcesses().contains("ReplaceUnhealthy"))
                .map(i -> i.id() + " (" + i.lifecycleState() + ", " + i.healthStatus() + ")").toList());
        long counted = group.instances().stream().filter(i -> i.inService() || i.inStandby() || i.lifecycleState().startsWith("Pending")).count();
        if (counted < group.capacity().desired()) {
            settling.add((group.capacity().desired() - counted) + " instance(s) still to launch");
        }
        return settling;
    }

    private static boolean timedOut(State s, Instant now) {
        return s.waitSince() != null && !now.isBefore(s.waitSince().plus(s.request().timeout()));
    }

    static String describeAll(FleetObservation seen, List<String> ids) {
        return String.join("; ", ids.stream().map(seen::describe).toList());
    }
}
