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
 * group keeps reporting unhealthy fails the pull at once ({@link FailFast}). The code changes in place,
 * under a target that stays registered and healthy until its checks fail often enough, so "healthy"
 * only counts once the target groups have had the time to see a failing release
 * ({@link HealthCheck#failureDetection()}, read once before the pointer moves). Undo moves the pointer
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
     * @param failureDetection how long the group's target groups may take to report a failing target (zero when
     *                         unknown: absent in older saved states, or a look that did not read it)
     * @param healthySince    the first observation of the current healthy streak (null while there is none)
     */
    public record State(RolloutRequest request, String previousVersion, List<String> suspendedByUs, Phase phase,
                        Instant waitSince, int converged, int total, int healthyStreak, int unhealthyStreak,
                        Duration failureDetection, Instant healthySince) {
        public State {
            suspendedByUs = suspendedByUs == null ? List.of() : List.copyOf(suspendedByUs);
            failureDetection = failureDetection == null ? Duration.ZERO : failureDetection;
        }

        public static State start(RolloutRequest request) {
            return new State(request, null, List.of(), Phase.PREPARE, null, 0, 0, 0, 0, null, null);
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
        FleetObservation seen = observer.observe(state.request().group(), state.phase() == Phase.CONVERGE ? null : List.of(),
                state.phase() == Phase.PREPARE ? state.request().channel() : null);
        return state.phase() == Phase.PREPARE ? seen.withFailureDetection(observer.failureDetection(seen.group())) : seen;
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
                return Transition.act(new State(r, previous, suspend, Phase.CONVERGE, now, -1, group.inServiceIds().size(), 0, 0,
                                seen.failureDetection(), null),
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
                Instant healthySince = !enough ? null : s.healthyStreak() > 0 && s.healthySince() != null ? s.healthySince() : now;
                // Every instance counted had switched its code by the streak's first look: from then on the target
                // groups check the new code, and a failing one is reported unhealthy within failureDetection.
                Instant provenAt = healthySince == null ? null : healthySince.plus(s.failureDetection());
                boolean done = streak >= r.healthyChecks() && !now.isBefore(provenAt); // healthyChecks >= 1: provenAt is set
                State next = new State(r, s.previousVersion(), s.suspendedByUs(), done ? Phase.FINISH : Phase.CONVERGE,
                        s.waitSince(), converged, inService.size(), streak, failFast.streak(), s.failureDetection(), healthySince);
                String line = converged != s.converged() || inService.size() != s.total()
                        ? "converged " + converged + "/" + inService.size() + " healthy on " + r.version() : null;
                if (done) {
                    String summary = "converged " + converged + "/" + inService.size() + " healthy on " + r.version()
                            + (stragglers.isEmpty() ? "" : "; stragglers: " + String.join(", ", stragglers));
                    return Transition.act(next, summary);
                }
                if (enough) {
                    String proving = streak < r.healthyChecks() ? "" : "; the target groups may take up to "
                            + seconds(s.failureDetection()) + " to report a failing target (health check interval x unhealthy"
                            + " threshold + timeout): waiting " + seconds(Duration.between(now, provenAt)) + " more";
                    return Transition.waitFor(next, line, "healthy check " + Math.min(streak, r.healthyChecks()) + "/"
                            + r.healthyChecks() + " on " + r.version() + proving);
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

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
