package io.fleetdeploy.core.operation;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A change the runner makes in the world. Every mutation knows its inverse, so the runner can
 * write both to the undo log before making the change. Concrete types are registered with the
 * {@link OperationStore}'s mapper by name, so the persisted JSON never carries class names.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface Mutation {

    /** The change that puts back what this one changed; null when nothing can be put back. */
    Mutation inverse();

    /** One line for progress and for the undo log, e.g. "enter Standby: i-1, i-2 (web)". */
    String describe();
}
