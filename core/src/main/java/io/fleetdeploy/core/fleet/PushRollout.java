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

    /**
     * @param outcomes instance id -> what happened to it ("installed 1.2", "terminated during batch 2", ...)
     * @param waitSince when the current wait began (its deadline is waitSince + timeout)
     * @param commands  INSTALLING: instance id -> the SSM command sent to it for this batch, so a resumed
     *                  operation observes that command instead of sending another
     * @param unhealthyStreak consecutive health-gate observations in which an instance of the batch, its
     *                        install done, was reported unhealthy by a target group (absent in older saved states: 0)
     */
    public record State(RolloutRequest request, String previousVersion, int required, List<String> suspendedByUs,
                        List<List<String>> batches, int batch, Phase phase, int healthyStreak, Instant waitSince,
                        Instant batchStarted, Map<String, String> outcomes, List<BatchTiming> timings,
                        Map<String, String> commands, int unhealthyStreak) {

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
                    outcomes, timings, Map.of(), 0);
        }

        /** INSTALLING: the SSM commands under way. */
        State(RolloutRequest request, String previousVersion, int required, List<String> suspendedByUs,
              List<List<String>> batches, int batch, Phase phase, int healthyStreak, Instant waitSince,
              Instant batchStarted, Map<String, String> outcomes, List<BatchTiming> timings, Map<String, String> commands) {
            this(request, previousVersion, required, suspendedByUs, batches, batch, phase, healthyStreak, waitSince, batchStarted,
                    outcomes, timings, commands, 0);
        }

        /** HEALTH: how many looks in a row reported the batch unhealthy. */
        State(RolloutRequest request, String previousVersion, int required, List<String> suspendedByUs,
              List<List<String>> batches, int batch, Phase phase, int healthyStreak, Instant waitSince,
              Instant batchStarted, Map<String, String> outcomes, List<BatchTiming> timings, int unhealthyStreak) {
            this(request, previousVersion, required, suspendedByUs, batches, batch, phase, healthyStreak, waitSince, batchStarted,
                    outcomes, timings, Map.of(), unhealthyStreak);
        }

        public static State start(RolloutRequest request) {
            return new State(request, null, 0, List.of(), List.of(), 0, Phase.PREPARE, 0, null, null, Map.of(), List.of());
        }

        State with(Phase newPhase, Instant since) {
            return new State(request, previousVersion, required, suspendedByUs, batches, batch, newPhase, 0, since,
                    batchStarted, outcomes, timings);
        }

        State withCommands(Map<String, String> sent) {
            Map<String, String> all = new LinkedHashMap<>(commands);
            all.putAll(sent);
            return new State(request, previousVersion, required, suspendedByUs, batches, batch, phase, healthyStreak, waitSince,
                    batchStarted, outcomes, timings, all);
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
        FleetObservation seen = observer.observe(state.request().group(), statusOf,
                state.phase() == Phase.PREPARE ? state.request().channel() : null);
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
            case INSTALL -> lostInStandby(s, seen, group, now).orElseGet(() -> Transition.act(s.with(Phase.INSTALLING, now), null,
                    new FleetChange.Install(r.group(), s.current(), r.version(), s.previousVersion(), r.commandTimeout())));
            case INSTALLING -> lostInStandby(s, seen, group, now).orElseGet(() -> installing(s, seen, now));
            case EXIT_STANDBY -> lostInStandby(s, seen, group, now).orElseGet(() -> exitStandby(s, now));
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
                Phase.WAIT_STANDBY, 0, now, now, next.outcomes(), next.timings());
        return Transition.act(next, s.label() + ": " + String.join(", ", batch) + " leaving traffic",
                new FleetChange.EnterStandby(r.group(), batch));
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
            return Transition.act(s.with(Phase.INSTALL, now), s.label() + ": drained; installing " + s.request().version());
        }
        if (timedOut(s, now)) {
            return Transition.fail(s, s.label() + ": not drained into Standby within " + s.request().timeout() + ": "
                    + describeAll(seen, notYet));
        }
        return Transition.waitFor(s, s.label() + ": draining " + String.join(", ", notYet));
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
            return exitStandby(s, now);
        }
        Duration bound = r.commandTimeout().plus(COMMAND_MARGIN);
        if (!now.isBefore(s.waitSince().plus(bound))) {
            List<String> commandIds = running.stream().map(id -> s.commands().get(id)).distinct().toList();
            return new Transition<>(s, List.of(new FleetChange.CancelCommands(r.group(), commandIds)), Transition.Outcome.FAILED,
                    FleetPorts.Commands.installNotEnded(r.version(), r.group(), bound, running).whatFailed(), null, null, Duration.ZERO);
        }
        return Transition.waitFor(s, s.label() + ": fleet-agent install " + r.version() + " on " + String.join(", ", running)
                + " (SSM command " + String.join(", ", running.stream().map(id -> s.commands().get(id)).distinct().toList())
                + ") until " + s.waitSince().plus(bound));
    }

    private Transition<State> exitStandby(State s, Instant now) {
        return Transition.act(s.with(Phase.HEALTH, now), null, new FleetChange.ExitStandby(s.request().group(), s.current()));
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
                        streak, s.waitSince(), s.batchStarted(), s.outcomes(), s.timings());
                return Transition.waitFor(next, s.label() + ": healthy check " + streak + "/" + r.healthyChecks());
            }
            Map<String, String> outcomes = new LinkedHashMap<>(s.outcomes());
            present.forEach(id -> outcomes.put(id, "installed " + r.version()));
            s.current().stream().filter(id -> !present.contains(id)).forEach(id -> outcomes.put(id, "terminated during " + s.label()));
            List<BatchTiming> timings = new ArrayList<>(s.timings());
            timings.add(new BatchTiming(s.batch() + 1, s.current(), s.batchStarted(), now));
            State done = new State(r, s.previousVersion(), s.required(), s.suspendedByUs(), s.batches(), s.batch(), Phase.HEALTH,
                    0, s.waitSince(), s.batchStarted(), outcomes, timings);
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
                failFast.streak());
        return Transition.waitFor(reset, s.label() + ": health gate for " + String.join(", ", unhealthy) + failFast.progress(r));
    }

    private Transition<State> advance(State s, Instant now, String progress) {
        RolloutRequest r = s.request();
        boolean last = s.batch() + 1 >= s.batches().size();
        Phase phase = last ? Phase.FINISH : !r.pauseBetweenBatches().isZero() ? Phase.PAUSE : Phase.STANDBY;
        State next = new State(r, s.previousVersion(), s.required(), s.suspendedByUs(), s.batches(), last ? s.batch() : s.batch() + 1,
                phase, 0, now, null, s.outcomes(), s.timings());
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
                s.healthyStreak(), s.waitSince(), s.batchStarted(), outcomes, s.timings(), s.commands(), s.unhealthyStreak());
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
