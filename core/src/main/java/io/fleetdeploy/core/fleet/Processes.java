package io.fleetdeploy.core.fleet;

import java.util.List;

/** The Auto Scaling processes an operation suspends, and the rule that it suspends only what was not already suspended. */
public final class Processes {

    /**
     * Would replace, rebalance or rescale instances while a rollout has some of them out of service.
     * HealthCheck too: Auto Scaling's mark "Unhealthy" sticks, so an instance that failed its target
     * group's check on a bad release (and was then put back on the old one by the undo) would still be
     * replaced once ReplaceUnhealthy is resumed. The rollout gates health itself meanwhile.
     */
    public static final List<String> ROLLOUT = List.of("AZRebalance", "AlarmNotification", "ScheduledActions", "HealthCheck",
            "ReplaceUnhealthy");

    /** Would rescale a group being retired. */
    public static final List<String> SCALE_TO_ZERO = List.of("AZRebalance", "AlarmNotification", "ScheduledActions");

    private Processes() {
    }

    /** The ones of {@code wanted} that are not suspended yet: exactly these are suspended, and later resumed. */
    public static List<String> toSuspend(List<String> wanted, GroupView group) {
        return wanted.stream().filter(p -> !group.suspendedProcesses().contains(p)).toList();
    }
}
