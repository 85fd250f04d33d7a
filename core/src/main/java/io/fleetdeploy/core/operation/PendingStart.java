package io.fleetdeploy.core.operation;

import java.io.Serializable;
import java.time.Instant;

/**
 * An operation validated and named but waiting for its group's lease: nothing of it has been written
 * yet. Serializable, so that a Jenkins step keeps it in its saved execution and, after a controller
 * restart, goes on waiting ({@link OperationRunner#continueStart}) within the same bound.
 *
 * @param operationId  the id the operation gets (and keeps once it starts)
 * @param kind         the operation definition's kind
 * @param group        the group whose lease it waits for
 * @param initialState the operation's initial state as JSON
 * @param onFailure    rollback or halt
 * @param giveUpAt     when it stops waiting and fails naming the holder
 */
public record PendingStart(String operationId, String kind, String group, String initialState, OnFailure onFailure,
                           Instant giveUpAt) implements Serializable {

    private static final long serialVersionUID = 1L;
}
