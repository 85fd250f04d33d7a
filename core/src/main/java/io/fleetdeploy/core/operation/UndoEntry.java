package io.fleetdeploy.core.operation;

import java.time.Instant;

/** One mutation and its inverse, written to the persisted state before the mutation is made. */
public record UndoEntry(Mutation change, Mutation inverse, Instant at) {
}
