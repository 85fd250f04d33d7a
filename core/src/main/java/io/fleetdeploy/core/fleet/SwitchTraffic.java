package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.Transition;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * switchTraffic: at once or in weighted steps with a bake time and a health gate between steps.
 * Never sends traffic to a target group without a healthy target. Each step's undo entry holds the
 * action as it was found, so undo restores it exactly.
 */
public final class SwitchTraffic implements OperationDefinition<SwitchTraffic.State, SwitchTraffic.Seen> {

    public static final String KIND = "switch-traffic";

    public enum Phase { PREPARE, STEP, BAKE, DONE }

    /**
     * @param targetGroupArn the resolved new target group
     * @param original       the forward action as found before the first step
     * @param from           the target group traffic is moved away from
     * @param healthyAtStart healthy targets of the new group before the first step; the health gate fails below it
     */
    public record State(SwitchRequest request, String targetGroupArn, String lockGroup, ForwardConfig original, String from,
                        int step, Phase phase, Instant waitSince, int healthyAtStart) {
        public static State start(SwitchRequest request, String targetGroupArn, String lockGroup) {
            return new State(request, targetGroupArn, lockGroup, null, null, 0, Phase.PREPARE, null, 0);
        }

        State at(int newStep, Phase newPhase, Instant since) {
            return new State(request, targetGroupArn, lockGroup, original, from, newStep, newPhase, since, healthyAtStart);
        }
    }

    public record Seen(Optional<ForwardConfig> current, Map<String, TargetState> newGroupHealth) {
        long healthy() {
            return newGroupHealth.values().stream().filter(TargetState::healthy).count();
        }

        long unhealthy() {
            return newGroupHealth.values().stream().filter(t -> "unhealthy".equals(t.state())).count();
        }
    }

    private final FleetPorts.Traffic traffic;

    public SwitchTraffic(FleetPorts.Traffic traffic) {
        this.traffic = traffic;
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
        return state.lockGroup();
    }

    @Override
    public Seen observe(State state) {
        return new Seen(traffic.forward(state.request().listenerOrRuleArn()), traffic.targetHealth(state.targetGroupArn()));
    }

    @Override
    public Transition<State> next(State s, Seen seen, Instant now) {
        SwitchRequest r = s.request();
        if (seen.current().isEmpty()) {
            return Transition.fail(s, "The listener or rule " + r.listenerOrRuleArn() + " no longer exists.");
        }
        ForwardConfig current = seen.current().get();
        String to = ForwardConfig.shortName(s.targetGroupArn());
        switch (s.phase()) {
            case PREPARE: {
                String from = current.targets().stream().filter(t -> !t.targetGroupArn().equals(s.targetGroupArn()))
                        .map(ForwardConfig.WeightedTarget::targetGroupArn).findFirst().orElse(s.targetGroupArn());
                State next = new State(r, s.targetGroupArn(), s.lockGroup(), current, from, 0, Phase.STEP, now, (int) seen.healthy());
                return Transition.act(next, "switch traffic of " + r.listenerOrRuleArn() + " from " + ForwardConfig.shortName(from)
                        + " to " + to + " in steps " + r.steps());
            }
            case STEP: {
                if (seen.healthy() == 0) {
                    return Transition.fail(s, "target group " + to + " has no healthy target (" + describe(seen) + "); no traffic was sent to it.");
                }
                int percent = r.steps().get(s.step());
                ForwardConfig wanted = s.original().weighted(s.from(), s.targetGroupArn(), percent);
                return Transition.act(s.at(s.step(), Phase.BAKE, now), "traffic step " + (s.step() + 1) + "/" + r.steps().size() + ": "
                        + percent + "% to " + to, new FleetChange.SetForward(r.listenerOrRuleArn(), current, wanted));
            }
            case BAKE: {
                // A target that left the group or stopped answering is as bad as one reported unhealthy: the gate
                // wants at least as many healthy targets as the new group had before the first step.
                if (r.healthGate() && (seen.healthy() == 0 || seen.unhealthy() > 0 || seen.healthy() < s.healthyAtStart())) {
                    return Transition.fail(s, "health gate: target group " + to + " is not healthy during the bake ("
                            + seen.healthy() + " healthy, " + s.healthyAtStart() + " at the start: " + describe(seen) + ").");
                }
                if (now.isBefore(s.waitSince().plus(r.bakeTime()))) {
                    return Transition.waitFor(s, "bake at " + r.steps().get(s.step()) + "% until " + s.waitSince().plus(r.bakeTime()));
                }
                if (s.step() + 1 < r.steps().size()) {
                    return Transition.act(s.at(s.step() + 1, Phase.STEP, now), null);
                }
                return Transition.done(s.at(s.step(), Phase.DONE, now), "all traffic of " + r.listenerOrRuleArn() + " goes to " + to);
            }
            default:
                return Transition.done(s, null);
        }
    }

    private static String describe(Seen seen) {
        return seen.newGroupHealth().isEmpty() ? "no registered targets"
                : seen.newGroupHealth().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).sorted()
                .reduce((a, b) -> a + ", " + b).orElse("");
    }
}
