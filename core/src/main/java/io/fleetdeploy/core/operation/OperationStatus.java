package io.fleetdeploy.core.operation;

/** Where an operation stands. The last five are final. */
public enum OperationStatus {
    RUNNING,
    /** Abort was requested; the undo log is being replayed. */
    ABORTING,
    /** A step failed; the undo log is being replayed. */
    ROLLING_BACK,
    SUCCEEDED,
    ABORTED,
    ROLLED_BACK,
    /** Failed with {@code onFailure: halt}: left as it was when it failed, undo log kept for an operator. */
    HALTED,
    /** Undo itself failed: the message names what is left behind. */
    FAILED;

    public boolean isFinal() {
        return ordinal() >= SUCCEEDED.ordinal();
    }

    public boolean isUndoing() {
        return this == ABORTING || this == ROLLING_BACK;
    }
}
