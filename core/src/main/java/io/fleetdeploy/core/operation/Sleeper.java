package io.fleetdeploy.core.operation;

import java.time.Duration;

/**
 * How the runner waits between polls. Injected so that tests advance a clock instead of sleeping
 * and the CLI wakes up at once on Ctrl-C.
 */
@FunctionalInterface
public interface Sleeper {

    void sleep(Duration duration) throws InterruptedException;

    /** Sleeps for real, but returns early when {@code abort} is requested. */
    static Sleeper interruptibleBy(AbortSignal abort) {
        return abort::awaitRequested;
    }
}
