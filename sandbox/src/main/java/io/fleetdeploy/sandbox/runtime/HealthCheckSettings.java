package io.fleetdeploy.sandbox.runtime;

import java.time.Duration;
import java.util.Objects;

/** A target group's health check, as ELBv2 configures it (the matcher is ELB's default, HTTP 200). */
public record HealthCheckSettings(String path, Duration interval, Duration timeout, int healthyThreshold,
                                  int unhealthyThreshold, Duration deregistrationDelay) {
    public HealthCheckSettings {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("health check path must start with '/', was '" + path + "'");
        }
        requirePositive("interval", interval);
        requirePositive("timeout", timeout);
        Objects.requireNonNull(deregistrationDelay, "deregistrationDelay");
        if (deregistrationDelay.isNegative()) {
            throw new IllegalArgumentException("deregistration delay must not be negative, was " + deregistrationDelay);
        }
        if (healthyThreshold < 1 || unhealthyThreshold < 1) {
            throw new IllegalArgumentException("health check thresholds must be at least 1, were healthy "
                    + healthyThreshold + " and unhealthy " + unhealthyThreshold);
        }
    }

    private static void requirePositive(String field, Duration value) {
        Objects.requireNonNull(value, field);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("health check " + field + " must be positive, was " + value);
        }
    }
}
