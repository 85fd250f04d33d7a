package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * drainGroup with {@code restore: true}: applies the inverses of the group's last drain, newest
 * first, exactly as that drain recorded them, then waits until the instances serve healthy again.
 */
public final class RestoreDrain implements OperationDefinition<RestoreDrain.State, FleetObservation> {

    public static final String KIND = "restore-drain";

    public enum Phase { APPLY, WAIT }

    /** @param changes the drain's inverses, in the order to apply them */
    public record State(String group, String drainId, List<FleetChange> changes, Phase phase, Instant waitSince,
                        java.time.Duration timeout) {
        public State {
            changes = List.copyOf(changes);
        }
    }

    private final FleetObserver observer;

    public RestoreDrain(FleetObserver observer) {
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
        return state.group();
    }

    @Override
    public FleetObservation observe(State state) {
        return observer.observe(state.group(), List.of(), null);
    }

    @Override
    public Transition<State> next(State s, FleetObservation seen, Instant now) {
        if (seen.group().isEmpty()) {
            return Transition.fail(s, "Group " + s.group() + " no longer exists.");
        }
        if (s.phase() == Phase.APPLY) {
            // Auto Scaling refuses to take an instance still EnteringStandby out of Standby: wait (within the timeout),
            // tick by tick, until none of those to put back is; the effect only refuses, it never waits.
            List<String> entering = s.changes().stream().filter(FleetChange.ExitStandby.class::isInstance)
                    .flatMap(exit -> ((FleetChange.ExitStandby) exit).instanceIds().stream())
                    .filter(id -> seen.instance(id).map(GroupView.InstanceView::enteringStandby).orElse(false)).toList();
            if (!entering.isEmpty()) {
                State waiting = s.waitSince() == null ? new State(s.group(), s.drainId(), s.changes(), Phase.APPLY, now, s.timeout()) : s;
                if (!now.isBefore(waiting.waitSince().plus(s.timeout()))) {
                    return Transition.fail(s, "instances " + String.join(", ", entering) + " of group " + s.group()
                            + " did not reach Standby within " + s.timeout() + ", so nothing of drain " + s.drainId() + " was put back");
                }
                return Transition.waitFor(waiting, "instances " + String.join(", ", entering) + " of group " + s.group()
                        + " reach Standby before leaving it");
            }
            return Transition.act(new State(s.group(), s.drainId(), s.changes(), Phase.WAIT, now, s.timeout()),
                    "restore what drain " + s.drainId() + " changed on group " + s.group(), new ArrayList<Mutation>(s.changes()));
        }
        GroupView group = seen.group().get();
        List<String> waiting = new ArrayList<>();
        for (FleetChange change : s.changes()) {
            if (change instanceof FleetChange.ExitStandby exit) {
                exit.instanceIds().stream().filter(id -> seen.instance(id).isPresent() && !seen.servesHealthy(id)).forEach(waiting::add);
            } else if (change instanceof FleetChange.Register register) {
                register.instanceIds().stream().filter(id -> seen.instance(id).isPresent() && !seen.servesHealthy(id)).forEach(waiting::add);
            } else if (change instanceof FleetChange.SetCapacity capacity
                    && group.instances().stream().filter(i -> seen.servesHealthy(i.id())).count() < capacity.to().desired()) {
                waiting.add("capacity " + capacity.to().desired());
            }
        }
        if (waiting.isEmpty()) {
            return Transition.done(s, "group " + s.group() + " restored: drain " + s.drainId() + " put back");
        }
        if (!now.isBefore(s.waitSince().plus(s.timeout()))) {
            return Transition.fail(s, "restored, but not serving healthy within " + s.timeout() + ": " + String.join(", ", waiting));
        }
        return Transition.waitFor(s, "serving healthy again: " + String.join(", ", waiting.stream().distinct().toList()));
    }
}
