package io.fleetdeploy.core.operation;

import java.time.Duration;

/**
 * How to take a group's lease.
 *
 * @param ttl          how long a lease lives without a heartbeat
 * @param waitForLease how long to wait for a live lease to be released or expire; zero: fail at once
 * @param force        take a live lease held by someone else (the operator knows its holder is gone)
 */
public record LeaseOptions(Duration ttl, Duration waitForLease, boolean force) {

    public static final Duration DEFAULT_TTL = Duration.ofMinutes(2);

    public LeaseOptions {
        ttl = ttl == null ? DEFAULT_TTL : ttl;
        waitForLease = waitForLease == null ? Duration.ZERO : waitForLease;
        if (ttl.isNegative() || ttl.isZero()) {
            throw io.fleetdeploy.core.FleetDeployException.invalidInput(
                    "The lease time-to-live " + ttl + " is not positive.", "Give a lease TTL of a few minutes.");
        }
        if (waitForLease.isNegative()) {
            throw io.fleetdeploy.core.FleetDeployException.invalidInput(
                    "waitForLease " + waitForLease + " is negative.", "Give waitForLease as zero or a positive duration.");
        }
    }

    public static LeaseOptions defaults() {
        return new LeaseOptions(DEFAULT_TTL, Duration.ZERO, false);
    }
}
