package io.fleetdeploy.core.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** How long one batch took from entering Standby to healthy on the new version. */
public record BatchTiming(int batch, List<String> instanceIds, Instant started, Instant healthy) {

    public Duration duration() {
        return Duration.between(started, healthy);
    }
}
