package io.fleetdeploy.core.operation;

import java.util.List;
import java.util.Map;

/**
 * Makes mutations happen through the ports. Every implementation must tolerate a mutation that
 * already happened (a resumed operation may repeat the last one) and, when undoing, one that never
 * happened (the undo entry is written before the mutation is made).
 */
@FunctionalInterface
public interface Effects {

    /** Makes a mutation of a running operation (not an undo) and returns when it is made. */
    void apply(Mutation mutation);

    /**
     * Makes a mutation of a running operation (not an undo). A mutation that starts work going on after
     * it returned (an SSM command) returns what identifies that work (instance id -> command id), which
     * the runner hands to {@link OperationDefinition#started} and persists, so later ticks observe that
     * work instead of waiting for it here. By default: {@link #apply}, nothing started.
     */
    default Map<String, String> start(Mutation mutation) {
        apply(mutation);
        return Map.of();
    }

    /**
     * As {@link #start(Mutation)}, given the observation this tick's transition decided the mutation on when no
     * other mutation of the tick came before it (else null): an implementation may take from it what it would
     * otherwise ask the cloud again within the same tick, where a look taken a moment earlier is as good (which
     * instances a change still applies to). What must be refused on a state the look cannot vouch for must still
     * be looked at. By default: {@link #start(Mutation)}.
     */
    default Map<String, String> start(Mutation mutation, Object lookBefore) {
        return start(mutation);
    }

    /**
     * One step of undoing: makes the inverse of an undo-log entry, or looks whether what it waits for
     * has happened, without waiting. {@code waiting} is what the previous step returned (null the first
     * time, and when a resume must begin this entry afresh). Returns null when the inverse is done;
     * otherwise what it now waits for, which the runner persists in the entry before anything else and
     * hands back after {@link UndoWait#pollEvery()}. Work an undo starts (an SSM command) must be in the
     * returned wait, so a resume waits on it instead of starting it again. A wait whose bound passed
     * throws, naming what it waited for; the entry then stays in the undo log for a resume.
     * By default: {@link #apply} the inverse, nothing to wait for.
     */
    default UndoWait undo(Mutation inverse, UndoWait waiting) {
        apply(inverse);
        return null;
    }

    /**
     * What {@code changes} (made in this order) leave in effect, for a user who must decide what to do
     * with a halted operation. By default each change as it was made; implementations that know their
     * mutations say the net result (instances still in Standby, processes still suspended).
     */
    default String describeNetEffect(List<Mutation> changes) {
        return changes.isEmpty() ? "nothing" : String.join("; ", changes.stream().map(Mutation::describe).toList());
    }
}
