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
     * Sleeps for real, but returns early when {@code abort} is requested. Once it has been requested
     * it sleeps the whole time: the waits that follow pace the undo's polls (an SSM install put
     * back, a group coming back to its version), which must not turn into a busy loop.
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
