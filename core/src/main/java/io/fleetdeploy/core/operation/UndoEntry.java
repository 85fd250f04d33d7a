package io.fleetdeploy.core.operation;

import java.time.Instant;

/**
 * One mutation and its inverse, written to the persisted state before the mutation is made.
 *
 * @param waiting while the inverse is being undone: what it waits for (see {@link UndoWait}); null before
 *                the undo of this entry began, or when it must begin afresh (a resume after it failed)
 */
public record UndoEntry(Mutation change, Mutation inverse, Instant at, UndoWait waiting) {

    public UndoEntry(Mutation change, Mutation inverse, Instant at) {
        this(change, inverse, at, null);
    }

    public UndoEntry waitingOn(UndoWait newWaiting) {
        return new UndoEntry(change, inverse, at, newWaiting);
    }
}
