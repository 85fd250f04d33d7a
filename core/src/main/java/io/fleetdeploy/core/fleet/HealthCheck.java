package io.fleetdeploy.core.fleet;

import java.time.Duration;

/**
 * A target group's health check settings, as DescribeTargetGroups gives them.
 *
 * @param interval           HealthCheckIntervalSeconds
 * @param timeout            HealthCheckTimeoutSeconds
 * @param unhealthyThreshold UnhealthyThresholdCount: consecutive failed checks before a target is reported unhealthy
 */
public record HealthCheck(Duration interval, Duration timeout, int unhealthyThreshold) {

    /**
     * The longest a target that starts failing can still be reported healthy: the first check of the new code comes
     * within one interval, and the target turns unhealthy after unhealthyThreshold failures, the last one possibly a
     * timeout. Code changed in place (a pull) has not proved itself healthy before this long has passed.
     */
    public Duration failureDetection() {
        return interval.multipliedBy(unhealthyThreshold).plus(timeout);
    }
}
