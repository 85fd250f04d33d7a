package io.fleetdeploy.core;

/**
 * Where the engine reports progress: a Jenkins TaskListener, the CLI's stderr, or a test.
 * One line per state change, never one per poll. Never pass a secret.
 */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = line -> { };

    void info(String line);

    default void warn(String line) {
        info("WARNING: " + line);
    }
}
