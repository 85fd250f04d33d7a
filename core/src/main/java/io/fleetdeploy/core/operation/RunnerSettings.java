package io.fleetdeploy.core.operation;

import java.time.Duration;

/**
 * @param pollInterval how long to wait between observations while the operation waits
 * @param lease        how the group's lease is taken (ttl, waitForLease, force)
 * @param holder       who holds the lease and runs the operation: a build URL, or user@host
 */
public record RunnerSettings(Duration pollInterval, LeaseOptions lease, String holder) {

    public RunnerSettings {
        pollInterval = pollInterval == null ? Duration.ofSeconds(5) : pollInterval;
        lease = lease == null ? LeaseOptions.defaults() : lease;
        if (holder == null || holder.isBlank()) {
            holder = System.getProperty("user.name", "unknown") + "@" + hostName();
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown-host";
        }
    }
}
