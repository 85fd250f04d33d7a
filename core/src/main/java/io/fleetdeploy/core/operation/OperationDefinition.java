package io.fleetdeploy.core.operation;

import java.time.Instant;

/**
 * One kind of operation: how to observe the world for a state (through ports, read-only) and the
 * pure transition. Keeping {@link #next} free of I/O is what makes every step unit-testable and
 * every persisted state resumable.
 *
 * @param <S> the persisted state, a record tree that Jackson can write and read
 * @param <O> what one observation returns
 */
public interface OperationDefinition<S, O> {

    String kind();

    Class<S> stateType();

    /** The group the operation changes; the lease is taken on it. */
    String group(S state);

    /** Describe* calls only; never changes anything. */
    O observe(S state);

    /** Pure: same inputs, same output; no I/O, no clock of its own. */
    Transition<S> next(S state, O observation, Instant now);

    /**
     * Pure: the state once {@code action}, one of the actions of the last transition, started work that goes
     * on ({@code started}: what {@link Effects#start} returned, e.g. instance id -> SSM command id). The
     * runner persists it at once, so a resumed operation observes that work instead of starting it again.
     */
    default S started(S state, Mutation action, java.util.Map<String, String> started) {
        return state;
    }
}
