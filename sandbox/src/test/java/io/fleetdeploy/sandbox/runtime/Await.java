package io.fleetdeploy.sandbox.runtime;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline, polling briefly; fails with what it waited for. */
public final class Await {
    private static final Duration DEFAULT_POLL = Duration.ofMillis(10);

    private Await() {
    }

    public static void until(String description, Duration max, BooleanSupplier condition) {
        until(description, max, DEFAULT_POLL, condition);
    }

    /** As {@link #until(String, Duration, BooleanSupplier)}, for conditions that are costly to check (AWS calls). */
    public static void until(String description, Duration max, Duration poll, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + max + " waiting for: " + description);
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + description, e);
            }
        }
    }
}
