package io.fleetdeploy.core.fleet;

import java.util.List;

/** The Auto Scaling processes an operation suspends, and the rule that it suspends only what was not already suspended. */
public final class Processes {

    /** Would replace, rebalance or rescale instances while a rollout has some of them out of service. */
    public static final List<String> ROLLOUT = List.of("AZRebalance", "AlarmNotification", "ScheduledActions", "ReplaceUnhealthy");

    /** Would rescale a group being retired. */
    public static final List<String> SCALE_TO_ZERO = List.of("AZRebalance", "AlarmNotification", "ScheduledActions");

    private Processes() {
    }

    /** The ones of {@code wanted} that are not suspended yet: exactly these are suspended, and later resumed. */
    public static List<String> toSuspend(List<String> wanted, GroupView group) {
        return wanted.stream().filter(p -> !group.suspendedProcesses().contains(p)).toList();
    }
}
