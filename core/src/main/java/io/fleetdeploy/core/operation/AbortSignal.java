package io.fleetdeploy.core.operation;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The abort flag the runner checks between ticks (Ctrl-C in the CLI, stop() in Jenkins). Once
 * requested it stays requested.
 */
public final class AbortSignal {

    private final CountDownLatch requested = new CountDownLatch(1);
    private volatile String reason;

    public void request(String why) {
        if (requested.getCount() > 0) {
            reason = why;
            requested.countDown();
        }
    }

    public boolean isRequested() {
        return requested.getCount() == 0;
    }

    public String reason() {
        return reason;
    }

    /** Waits up to {@code max}; returns early (true) once abort is requested. */
    public boolean awaitRequested(Duration max) throws InterruptedException {
        return requested.await(Math.max(0, max.toMillis()), TimeUnit.MILLISECONDS);
    }
}
