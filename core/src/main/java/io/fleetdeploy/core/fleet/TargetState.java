package io.fleetdeploy.core.fleet;

/** One target's health in one target group: ELBv2's state (initial, healthy, unhealthy, draining, unused, unavailable) and reason. */
public record TargetState(String state, String reason) {

    public boolean healthy() {
        return "healthy".equals(state);
    }

    /** Failed the target group's check (unhealthyThreshold times); "initial", still being checked, is not unhealthy. */
    public boolean unhealthy() {
        return "unhealthy".equals(state);
    }

    public boolean draining() {
        return "draining".equals(state);
    }

    @Override
    public String toString() {
        return reason == null || reason.isBlank() ? state : state + " (" + reason + ")";
    }
}
