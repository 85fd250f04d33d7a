package io.fleetdeploy.core.operation;

/**
 * Makes mutations happen through the ports. Every implementation must tolerate a mutation that
 * already happened (a resumed operation may repeat the last one) and, when undoing, one that never
 * happened (the undo entry is written before the mutation is made).
 */
@FunctionalInterface
public interface Effects {

    void apply(Mutation mutation, boolean undoing);
}
