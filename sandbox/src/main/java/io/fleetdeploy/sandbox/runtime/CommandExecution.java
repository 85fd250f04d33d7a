package io.fleetdeploy.sandbox.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/** One run of an SSM AWS-RunShellScript command on one instance. */
public interface CommandExecution {
    enum Status {
        PENDING, IN_PROGRESS, SUCCESS, FAILED, TIMED_OUT, CANCELLED;

        public boolean done() {
            return this != PENDING && this != IN_PROGRESS;
        }
    }

    String instanceId();

    Status status();

    /** The script's exit code once it exited by itself; empty while running, and after a timeout or cancel. */
    OptionalInt exitCode();

    /** Standard output so far, its first 24,000 characters (as SSM returns it). */
    String stdout();

    /** Standard error so far, its first 24,000 characters. */
    String stderr();

    /** Pending: never runs. In progress: the whole process tree is killed. Done: no effect. */
    void cancel();

    /** Waits at most {@code max} for the execution to finish; true when it has. */
    boolean awaitDone(Duration max);

    /** When the command was accepted. */
    Instant started();

    Optional<Instant> ended();
}
