package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.operation.OnFailure;
import java.time.Duration;
import java.util.List;

/**
 * switchTraffic: move a listener's default action (or a rule's) to a target group.
 *
 * @param listenerOrRuleArn a listener ARN or a rule ARN
 * @param targetGroup       the target group to send traffic to (name or ARN)
 * @param steps             percentages sent to the new group, ascending, ending at 100; default [100] (at once)
 * @param bakeTime          wait after each step, with the health gate checked during it
 * @param healthGate        fail (and restore) when the new group has unhealthy targets or no healthy one
 * @param lockGroup         the name under which the lease is taken; default: the target group's name
 */
public record SwitchRequest(String listenerOrRuleArn, String targetGroup, List<Integer> steps, Duration bakeTime,
                            boolean healthGate, Duration timeout, OnFailure onFailure, String lockGroup) {

    public SwitchRequest {
        steps = steps == null || steps.isEmpty() ? List.of(100) : List.copyOf(steps);
        bakeTime = bakeTime == null ? Duration.ZERO : bakeTime;
        timeout = timeout == null ? Duration.ofMinutes(10) : timeout;
        onFailure = onFailure == null ? OnFailure.ROLLBACK : onFailure;
    }

    public SwitchRequest checked() {
        if (listenerOrRuleArn == null || !listenerOrRuleArn.startsWith("arn:") || !(listenerOrRuleArn.contains(":listener/")
                || listenerOrRuleArn.contains(":listener-rule/"))) {
            throw FleetDeployException.invalidInput("'" + listenerOrRuleArn + "' is not a listener or rule ARN.",
                    "Give the ARN of an ELBv2 listener (arn:...:listener/...) or rule (arn:...:listener-rule/...).");
        }
        if (targetGroup == null || targetGroup.isBlank()) {
            throw FleetDeployException.invalidInput("The target group is missing.", "Give the target group to switch traffic to.");
        }
        int last = 0;
        for (int step : steps) {
            if (step <= last || step > 100) {
                throw FleetDeployException.invalidInput("The steps " + steps + " are not ascending percentages in 1..100.",
                        "Give steps like 10, 50, 100.");
            }
            last = step;
        }
        if (last != 100) {
            throw FleetDeployException.invalidInput("The steps " + steps + " do not end at 100.", "End the steps with 100.");
        }
        if (bakeTime.isNegative()) {
            throw FleetDeployException.invalidInput("bakeTime " + bakeTime + " is negative.", "Give zero or more.");
        }
        RolloutRequest.requirePositive("timeout", timeout);
        return this;
    }
}
