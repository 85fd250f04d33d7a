package io.fleetdeploy.core.operation;

/**
 * The thread ticking an operation was interrupted: its process is stopping (a Jenkins controller
 * shuts its timer down, which interrupts the tick in progress). This is not a failure of the
 * operation: its status and undo log stay as last persisted, nothing is rolled back, and resuming
 * it goes on from there (a change that was in progress is made again; every change is idempotent).
 */
public final class OperationInterruptedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    OperationInterruptedException(String operationId, Throwable cause) {
        super("Operation " + operationId + " was interrupted; it keeps its state and goes on when resumed.", cause);
    }
}
