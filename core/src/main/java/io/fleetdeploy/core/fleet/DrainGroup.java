package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * drainGroup: suspends the processes that would undo the drain (only those not already suspended),
 * takes the instances out of traffic and waits until no target group drains them any more. What it
 * changed stays changed, recorded in its undo log, until {@code restore} puts it back.
 */
public final class DrainGroup implements OperationDefinition<DrainGroup.State, FleetObservation> {

    public static final String KIND = "drain";

    public enum Phase { PREPARE, WAIT, DONE }

    /** @param outcomes instance id -> "drained" / "terminated" / what it still was at the timeout */
    public record State(DrainRequest request, Phase phase, List<String> instanceIds, Instant waitSince, int drained,
                        Map<String, String> outcomes) {
        public State {
            instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
            outcomes = outcomes == null ? Map.of() : Map.copyOf(outcomes);
        }

        public static State start(DrainRequest request) {
            return new State(request, Phase.PREPARE, List.of(), null, -1, Map.of());
        }
    }

    private final FleetObserver observer;

    public DrainGroup(FleetObserver observer) {
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
        return observer.observe(state.request().group(), List.of(), null);
    }

    @Override
    public Transition<State> next(State s, FleetObservation seen, Instant now) {
        DrainRequest r = s.request();
        if (seen.group().isEmpty()) {
            return Transition.fail(s, "Group " + r.group() + " no longer exists.");
        }
        GroupView group = seen.group().get();
        if (s.phase() == Phase.PREPARE) {
            List<Mutation> actions = new ArrayList<>();
            List<String> ids;
            List<String> suspend;
            if (r.mode() == DrainRequest.Mode.SCALE_TO_ZERO) {
                ids = group.instances().stream().map(GroupView.InstanceView::id).sorted().toList();
                suspend = Processes.toSuspend(Processes.SCALE_TO_ZERO, group);
            } else {
                ids = r.select(group.inServiceIds());
                suspend = Processes.toSuspend(Processes.ROLLOUT, group);
            }
            if (!suspend.isEmpty()) {
                actions.add(new FleetChange.SuspendProcesses(r.group(), suspend));
            }
            switch (r.mode()) {
                case STANDBY -> {
                    if (!ids.isEmpty()) {
                        actions.add(new FleetChange.EnterStandby(r.group(), ids));
                    }
                }
                case DEREGISTER -> group.targetGroupArns().forEach(arn -> actions.add(new FleetChange.Deregister(arn, ids)));
                case SCALE_TO_ZERO -> actions.add(new FleetChange.SetCapacity(r.group(), group.capacity(), new GroupView.Capacity(0, group.capacity().max(), 0)));
            }
            return Transition.act(new State(r, Phase.WAIT, ids, now, -1, Map.of()),
                    "drain (" + r.mode().name().toLowerCase() + ") " + ids.size() + " instance(s) of group " + r.group()
                            + (ids.isEmpty() ? "" : ": " + String.join(", ", ids)), actions);
        }
        if (s.phase() == Phase.DONE) {
            return Transition.done(s, null);
        }
        Map<String, String> outcomes = new LinkedHashMap<>();
        List<String> waiting = new ArrayList<>();
        for (String id : s.instanceIds()) {
            var instance = seen.instance(id);
            boolean done = switch (r.mode()) {
                case STANDBY -> instance.isEmpty() || instance.get().inStandby() && seen.drained(id);
                case DEREGISTER -> instance.isEmpty() || !seen.targets().containsKey(id) || seen.targets().get(id).stream()
                        .allMatch(t -> "unused".equals(t.state()));
                case SCALE_TO_ZERO -> instance.isEmpty();
            };
            outcomes.put(id, instance.isEmpty() ? (r.mode() == DrainRequest.Mode.SCALE_TO_ZERO ? "terminated" : "left the group")
                    : done ? "drained" : seen.describe(id));
            if (!done) {
                waiting.add(id);
            }
        }
        int drained = s.instanceIds().size() - waiting.size();
        State next = new State(r, waiting.isEmpty() ? Phase.DONE : Phase.WAIT, s.instanceIds(), s.waitSince(), drained, outcomes);
        String line = drained != s.drained() ? "drained " + drained + "/" + s.instanceIds().size() : null;
        if (waiting.isEmpty()) {
            return Transition.done(next, "group " + r.group() + ": " + drained + " instance(s) out of traffic");
        }
        if (!now.isBefore(s.waitSince().plus(r.timeout()))) {
            return Transition.fail(next, "not drained within " + r.timeout() + ": " + PushRollout.describeAll(seen, waiting));
        }
        return Transition.waitFor(next, line, "draining " + String.join(", ", waiting.subList(0, Math.min(5, waiting.size())))
                + (waiting.size() > 5 ? " and " + (waiting.size() - 5) + " more" : ""));
    }
}
