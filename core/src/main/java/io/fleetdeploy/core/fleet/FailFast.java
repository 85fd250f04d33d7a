package io.fleetdeploy.core.fleet;

import java.util.List;

/**
 * The fail-fast rule push, pull and replace share: an instance that reports the new version installed and
 * that a target group reports unhealthy (not merely "initial": the target group's own checks are the grace)
 * on healthyChecks looks in a row will not recover by waiting out the timeout, so the operation fails now
 * and its undo puts the fleet back while the bad release would otherwise keep serving errors.
 *
 * @param unhealthy the instances reported unhealthy on the version at this look
 * @param streak    consecutive looks, this one included, with at least one such instance (0 when none now)
 */
record FailFast(List<String> unhealthy, int streak) {

    /** This look at {@code ids}, continuing the streak counted so far. */
    static FailFast look(FleetObservation seen, List<String> ids, String version, int previousStreak) {
        List<String> unhealthy = ids.stream().filter(id -> seen.runs(id, version) && seen.reportedUnhealthy(id)).toList();
        return new FailFast(unhealthy, unhealthy.isEmpty() ? 0 : previousStreak + 1);
    }

    boolean failed(RolloutRequest r) {
        return streak >= r.healthyChecks();
    }

    String failure(FleetObservation seen, RolloutRequest r) {
        return "unhealthy on " + r.version() + " in " + streak + " consecutive target health checks after the install: "
                + PushRollout.describeAll(seen, unhealthy);
    }

    /** For a waiting line: empty while no instance is reported unhealthy. */
    String progress(RolloutRequest r) {
        return streak == 0 ? "" : " (reported unhealthy " + streak + "/" + r.healthyChecks() + ")";
    }
}
