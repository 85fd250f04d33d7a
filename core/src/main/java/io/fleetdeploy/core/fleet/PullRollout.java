package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * rolloutGroup pull: move the channel pointer (compare-and-set) and wait until convergePercent of
 * the InService instances serve healthy and report the version, healthyChecks times in a row;
 * stragglers are named; while the group replaces or launches an instance it is not converged (the
 * replacement boots into the version and must serve it too); an instance on the version its target
 * group keeps reporting unhealthy fails the pull at once ({@link FailFast}). Undo moves the pointer
 * back, waits until the instances report the previous version again and serve healthy, and only then
 * resumes the processes it suspended.
 */
public final class PullRollout implements OperationDefinition<PullRollout.State, FleetObservation> {

    public static final String KIND = "rollout-pull";

    public enum Phase { PREPARE, CONVERGE, FINISH }

    /**
     * @param converged     how many InService instances served healthy on the version at the last line printed
     * @param healthyStreak consecutive observations in which enough instances served healthy on the version
     * @param unhealthyStreak consecutive observations in which an instance reporting the version was reported
     *                        unhealthy by a target group (see {@link FailFast}; absent in older saved states: 0)
     */
    public record State(RolloutRequest request, String previousVersion, List<String> suspendedByUs, Phase phase,
                        Instant waitSince, int converged, int total, int healthyStreak, int unhealthyStreak) {
        public State {
            suspendedByUs = suspendedByUs == null ? List.of() : List.copyOf(suspendedByUs);
        }

        /** A state with no unhealthy streak (every phase but CONVERGE). */
        public State(RolloutRequest request, String previousVersion, List<String> suspendedByUs, Phase phase,
                     Instant waitSince, int converged, int total, int healthyStreak) {
            this(request, previousVersion, suspendedByUs, phase, waitSince, converged, total, healthyStreak, 0);
        }

        public static State start(RolloutRequest request) {
            return new State(request, null, List.of(), Phase.PREPARE, null, 0, 0, 0);
        }
    }

    private final FleetObserver observer;

    public PullRollout(FleetObserver observer) {
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
        return observer.observe(state.request().group(), state.phase() == Phase.CONVERGE ? null : List.of(),
                state.phase() == Phase.PREPARE ? state.request().channel() : null);
    }

    @Override
    public Transition<State> next(State s, FleetObservation seen, Instant now) {
        RolloutRequest r = s.request();
        if (seen.group().isEmpty()) {
            return Transition.fail(s, "Group " + r.group() + " no longer exists.");
        }
        GroupView group = seen.group().get();
        switch (s.phase()) {
            case PREPARE: {
                String previous = seen.channelVersion().orElse(null);
                List<String> suspend = Processes.toSuspend(Processes.ROLLOUT, group);
                // Suspend first, so that the undo (in reverse) moves the pointer back and waits until the instances
                // serve healthy on the previous version BEFORE it resumes HealthCheck and ReplaceUnhealthy: resumed
                // while the bad release still runs, they would replace the very instances the rollback is fixing.
                List<Mutation> actions = new ArrayList<>();
                if (!suspend.isEmpty()) {
                    actions.add(new FleetChange.SuspendProcesses(r.group(), suspend));
                }
                if (!r.version().equals(previous)) {
                    actions.add(new FleetChange.MoveChannel(r.channel(), previous, r.version(), r.group()));
                }
                return Transition.act(new State(r, previous, suspend, Phase.CONVERGE, now, -1, group.inServiceIds().size(), 0),
                        "pull " + r.version() + " on group " + r.group() + " (channel " + r.channel() + ", was "
                                + (previous == null ? "unset" : previous) + "): waiting for " + r.convergePercent() + "% of "
                                + group.inServiceIds().size() + " InService instances", actions);
            }
            case CONVERGE: {
                List<String> inService = group.inServiceIds();
                List<String> failed = inService.stream().filter(id -> seen.statuses().containsKey(id)
                        && seen.statuses().get(id).failed() && r.version().equals(seen.statuses().get(id).version())).toList();
                if (!failed.isEmpty()) {
                    return Transition.fail(s, "the agent failed to install " + r.version() + ": "
                            + PushRollout.describeAll(seen, failed));
                }
                // The same gate as push: an instance counts once its target is healthy AND its agent reports the
                // version, and only after healthyChecks observations in a row; a release that installs but fails its
                // health check fails the pull as soon as FailFast says so (not at the timeout), and the pointer moves back.
                List<String> stragglers = inService.stream().filter(id -> !seen.servesHealthy(id) || !seen.runs(id, r.version())).toList();
                FailFast failFast = FailFast.look(seen, stragglers, r.version(), s.unhealthyStreak());
                if (failFast.failed(r)) {
                    return Transition.fail(s, failFast.failure(seen, r));
                }
                int converged = inService.size() - stragglers.size();
                // A group replacing an instance (one terminated while the fleet converges) is not converged until the
                // replacement serves too: it boots into the version the pointer names, and the pull answers for the
                // whole group, not for the instances left while it was short.
                List<String> settling = PushRollout.settling(group);
                boolean enough = settling.isEmpty() && (inService.isEmpty() || converged * 100 >= r.convergePercent() * inService.size());
                int streak = enough ? s.healthyStreak() + 1 : 0;
                boolean done = streak >= r.healthyChecks();
                State next = new State(r, s.previousVersion(), s.suspendedByUs(), done ? Phase.FINISH : Phase.CONVERGE,
                        s.waitSince(), converged, inService.size(), streak, failFast.streak());
                String line = converged != s.converged() || inService.size() != s.total()
                        ? "converged " + converged + "/" + inService.size() + " healthy on " + r.version() : null;
                if (done) {
                    String summary = "converged " + converged + "/" + inService.size() + " healthy on " + r.version()
                            + (stragglers.isEmpty() ? "" : "; stragglers: " + String.join(", ", stragglers));
                    return Transition.act(next, summary);
                }
                if (enough) {
                    return Transition.waitFor(next, line, "healthy check " + streak + "/" + r.healthyChecks() + " on " + r.version());
                }
                String replacing = settling.isEmpty() ? "" : "; the group is replacing or launching instances: " + String.join(", ", settling);
                if (!now.isBefore(s.waitSince().plus(r.timeout()))) {
                    return Transition.fail(next, "only " + converged + " of " + inService.size() + " InService instances serve healthy on "
                            + r.version() + " after " + r.timeout() + " (" + r.convergePercent() + "% needed)" + replacing + ". Stragglers: "
                            + (stragglers.isEmpty() ? "none" : PushRollout.describeAll(seen, stragglers)));
                }
                Transition<State> waiting = Transition.waitFor(next, line, converged + "/" + inService.size() + " healthy on " + r.version()
                        + (stragglers.isEmpty() ? "" : "; waiting for " + String.join(", ", stragglers.subList(0, Math.min(5, stragglers.size())))
                        + (stragglers.size() > 5 ? " and " + (stragglers.size() - 5) + " more" : "")) + replacing + failFast.progress(r));
                // While no instance converged since the last look and none is reported unhealthy, what the pull waits for
                // is the agents' own polls and installs: back off as the push does on its waits (a fifth of the time
                // waited, at most PushRollout.MAX_POLL) instead of three reads per poll interval. Progress, a healthy
                // streak or an unhealthy report brings the looks back to the poll interval.
                return line == null && failFast.streak() == 0
                        ? waiting.pollingAfter(PushRollout.backoff(Duration.between(s.waitSince(), now))) : waiting;
            }
            default: {
                List<Mutation> actions = s.suspendedByUs().isEmpty() ? List.of()
                        : List.of(new FleetChange.ResumeProcesses(r.group(), s.suspendedByUs()));
                return new Transition<>(s, actions, Transition.Outcome.DONE, null,
                        "group " + r.group() + " converged on " + r.version(), null, null);
            }
        }
    }
}
