package io.fleetdeploy.core.operation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock the test moves; its sleeper advances it instead of sleeping. */
public final class TestClock extends Clock {

    private Instant now = Instant.parse("2026-11-26T12:00:00Z");

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public synchronized Instant instant() {
        return now;
    }

    public synchronized void advance(Duration duration) {
        now = now.plus(duration);
    }

    public Sleeper sleeper() {
        return this::advance;
    }
}
