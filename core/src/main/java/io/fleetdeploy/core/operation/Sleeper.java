package io.fleetdeploy.core.operation;

import java.time.Duration;

/**
 * How the runner waits between polls. Injected so that tests advance a clock instead of sleeping
 * and the CLI wakes up at once on Ctrl-C.
 */
@FunctionalInterface
public interface Sleeper {

    void sleep(Duration duration) throws InterruptedException;

    /**
     * Sleeps for real, but returns early when {@code abort} is requested. Once abort was requested,
     * sleeps in full again: the waits after that are the undo's (an instance reaching Standby, a
     * health gate), which must really wait instead of spinning through their bounds at once.
     */
    static Sleeper interruptibleBy(AbortSignal abort) {
        return duration -> {
            if (abort.isRequested()) {
                Thread.sleep(Math.max(0, duration.toMillis()));
            } else {
                abort.awaitRequested(duration);
            }
        };
    }
}
