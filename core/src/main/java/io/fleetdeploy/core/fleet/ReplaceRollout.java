package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * rolloutGroup replace (the blue/green building block): point an idle group's channel at the
 * version, scale it to a capacity (or the size of matchGroup) and wait until that many instances
 * serve healthy on the version; an instance on the version its target group keeps reporting unhealthy
 * fails the replace at once ({@link FailFast}). Undo scales it back exactly and moves the pointer back.
 */
public final class ReplaceRollout implements OperationDefinition<ReplaceRollout.State, ReplaceRollout.Seen> {

    public static final String KIND = "rollout-replace";

    public enum Phase { PREPARE, WAIT, FINISH }

    /**
     * @param unhealthyStreak consecutive observations in which an instance reporting the version was reported
     *                        unhealthy by a target group (see {@link FailFast}; absent in older saved states: 0)
     */
    public record State(RolloutRequest request, String previousVersion, List<String> suspendedByUs, Phase phase,
                        int capacity, Instant waitSince, int healthyStreak, int ready, int unhealthyStreak) {
        public State {
            suspendedByUs = suspendedByUs == null ? List.of() : List.copyOf(suspendedByUs);
        }

        /** A state with no unhealthy streak (every phase but WAIT). */
        public State(RolloutRequest request, String previousVersion, List<String> suspendedByUs, Phase phase,
                     int capacity, Instant waitSince, int healthyStreak, int ready) {
            this(request, previousVersion, suspendedByUs, phase, capacity, waitSince, healthyStreak, ready, 0);
        }

        public static State start(RolloutRequest request) {
            return new State(request, null, List.of(), Phase.PREPARE, 0, null, 0, -1);
        }
    }

    /** The idle group, plus the desired capacity of matchGroup when one was given. */
    public record Seen(FleetObservation fleet, Integer matchCapacity) {
    }

    private final FleetObserver observer;

    public ReplaceRollout(FleetObserver observer) {
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
    public Seen observe(State state) {
        RolloutRequest r = state.request();
        boolean preparing = state.phase() == Phase.PREPARE;
        FleetObservation fleet = observer.observe(r.group(), preparing ? List.of() : null, preparing ? r.channel() : null);
        Integer match = preparing && r.matchGroup() != null
                ? observer.group(r.matchGroup()).map(g -> g.capacity().desired()).orElse(null) : null;
        return new Seen(fleet, match);
    }

    @Override
    public Transition<State> next(State s, Seen seenBoth, Instant now) {
        RolloutRequest r = s.request();
        FleetObservation seen = seenBoth.fleet();
        if (seen.group().isEmpty()) {
            return Transition.fail(s, "Group " + r.group() + " no longer exists.");
        }
        GroupView group = seen.group().get();
        switch (s.phase()) {
            case PREPARE: {
                int capacity = r.capacity() != null ? r.capacity() : requireMatch(r, seenBoth.matchCapacity());
                String previous = seen.channelVersion().orElse(null);
                List<String> suspend = Processes.toSuspend(Processes.ROLLOUT, group);
                GroupView.Capacity from = group.capacity();
                GroupView.Capacity to = new GroupView.Capacity(capacity, Math.max(capacity, from.max()), capacity);
                List<Mutation> actions = new ArrayList<>();
                if (!r.version().equals(previous)) {
                    actions.add(new FleetChange.MoveChannel(r.channel(), previous, r.version(), null));
                }
                if (!suspend.isEmpty()) {
                    actions.add(new FleetChange.SuspendProcesses(r.group(), suspend));
                }
                if (!from.equals(to)) {
                    actions.add(new FleetChange.SetCapacity(r.group(), from, to));
                }
                return Transition.act(new State(r, previous, suspend, Phase.WAIT, capacity, now, 0, -1),
                        "replace: group " + r.group() + " to " + capacity + " instance(s) on " + r.version(), actions);
            }
            case WAIT: {
                List<String> inService = group.inServiceIds();
                List<String> ready = inService.stream().filter(id -> seen.servesHealthy(id) && seen.runs(id, r.version())).toList();
                List<String> failed = inService.stream().filter(id -> seen.statuses().containsKey(id) && seen.statuses().get(id).failed()).toList();
                if (!failed.isEmpty()) {
                    return Transition.fail(s, "the agent reported a failure: " + PushRollout.describeAll(seen, failed));
                }
                FailFast failFast = FailFast.look(seen, inService, r.version(), s.unhealthyStreak());
                if (failFast.failed(r)) {
                    return Transition.fail(s, "group " + r.group() + ": " + failFast.failure(seen, r));
                }
                String line = ready.size() != s.ready() ? "group " + r.group() + ": " + ready.size() + "/" + s.capacity() + " healthy on " + r.version() : null;
                if (ready.size() >= s.capacity()) {
                    int streak = s.healthyStreak() + 1;
                    Phase phase = streak >= r.healthyChecks() ? Phase.FINISH : Phase.WAIT;
                    return Transition.act(new State(r, s.previousVersion(), s.suspendedByUs(), phase, s.capacity(), s.waitSince(), streak,
                            ready.size(), failFast.streak()), line);
                }
                State next = new State(r, s.previousVersion(), s.suspendedByUs(), Phase.WAIT, s.capacity(), s.waitSince(), 0, ready.size(),
                        failFast.streak());
                if (!now.isBefore(s.waitSince().plus(r.timeout()))) {
                    List<String> notReady = group.instances().stream().map(GroupView.InstanceView::id).filter(id -> !ready.contains(id)).toList();
                    return Transition.fail(next, "only " + ready.size() + " of " + s.capacity() + " instances of group " + r.group()
                            + " serve healthy on " + r.version() + " after " + r.timeout() + ". Not ready: "
                            + (notReady.isEmpty() ? "(not launched yet)" : PushRollout.describeAll(seen, notReady)));
                }
                Transition<State> waiting = Transition.waitFor(next, ready.size() + "/" + s.capacity() + " healthy on " + r.version()
                        + failFast.progress(r));
                return line == null ? waiting : Transition.waitFor(next, line, waiting.waitingFor());
            }
            default: {
                List<Mutation> actions = s.suspendedByUs().isEmpty() ? List.of()
                        : List.of(new FleetChange.ResumeProcesses(r.group(), s.suspendedByUs()));
                return new Transition<>(s, actions, Transition.Outcome.DONE, null,
                        "group " + r.group() + " serves " + r.version() + " on " + s.capacity() + " instance(s)", null, null);
            }
        }
    }

    private static int requireMatch(RolloutRequest r, Integer matchCapacity) {
        if (matchCapacity == null) {
            throw FleetDeployException.invalidInput("matchGroup " + r.matchGroup() + " does not exist.",
                    "Give the name of an existing Auto Scaling group, or a capacity.");
        }
        if (matchCapacity < 1) {
            throw FleetDeployException.invalidInput("matchGroup " + r.matchGroup() + " has desired capacity " + matchCapacity + ".",
                    "Give a capacity instead, or match a group that runs instances.");
        }
        return matchCapacity;
    }
}
