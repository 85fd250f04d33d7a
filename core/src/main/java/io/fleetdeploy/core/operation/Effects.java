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

    void apply(Mutation mutation, boolean undoing);

    /**
     * Makes a mutation of a running operation (not an undo). A mutation that starts work going on after
     * it returned (an SSM command) returns what identifies that work (instance id -> command id), which
     * the runner hands to {@link OperationDefinition#started} and persists, so later ticks observe that
     * work instead of waiting for it here. By default: {@link #apply}, nothing started.
     */
    default Map<String, String> start(Mutation mutation) {
        apply(mutation, false);
        return Map.of();
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
