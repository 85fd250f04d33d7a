package io.fleetdeploy.core.operation;

import java.time.Duration;
import java.util.List;

/**
 * The result of one pure step: the next state, the mutations to make (in order), and whether the
 * operation is done, failed or waiting (and for what).
 *
 * @param progress   one line for the progress listener when the state changed in a way a user
 *                   cares about (batch i/n, instance, state); null when nothing worth a line happened
 * @param waitingFor what the next poll waits for, for status displays (Jenkins getStatus); may be null
 * @param nextPoll   how long to wait before the next observation: zero at once (a step that acted goes on);
 *                   null: the runner's poll interval; longer: that long, never less than the poll interval
 *                   (a wait that knows nothing can have changed sooner, see {@link #pollingAfter})
 * @param observedAgain whether a resume from the state before the actions comes to this state again by observing
 *                      (see {@link #observedAgainOnResume}): the runner then need not write it right after them
 */
public record Transition<S>(S state, List<Mutation> actions, Outcome outcome, String failure,
                            String progress, String waitingFor, Duration nextPoll, boolean observedAgain) {

    public enum Outcome { CONTINUE, DONE, FAILED }

    public Transition {
        actions = List.copyOf(actions);
    }

    public Transition(S state, List<Mutation> actions, Outcome outcome, String failure, String progress, String waitingFor,
                      Duration nextPoll) {
        this(state, actions, outcome, failure, progress, waitingFor, nextPoll, false);
    }

    public static <S> Transition<S> act(S state, String progress, Mutation... actions) {
        return new Transition<>(state, List.of(actions), Outcome.CONTINUE, null, progress, null, Duration.ZERO);
    }

    public static <S> Transition<S> act(S state, String progress, List<Mutation> actions) {
        return new Transition<>(state, actions, Outcome.CONTINUE, null, progress, null, Duration.ZERO);
    }

    public static <S> Transition<S> waitFor(S state, String waitingFor) {
        return new Transition<>(state, List.of(), Outcome.CONTINUE, null, null, waitingFor, null);
    }

    public static <S> Transition<S> waitFor(S state, String progress, String waitingFor) {
        return new Transition<>(state, List.of(), Outcome.CONTINUE, null, progress, waitingFor, null);
    }

    /**
     * The same wait, its next observation no sooner than {@code after} (nor than the runner's poll interval):
     * for waits whose end is not expected before then, so polling sooner would only spend API calls.
     */
    public Transition<S> pollingAfter(Duration after) {
        return new Transition<>(state, actions, outcome, failure, progress, waitingFor, after, observedAgain);
    }

    /**
     * The same step, whose state after its actions holds nothing a new look could not tell: a resume from the
     * state before them (each effect skipping what is already done) observes the fleet and comes to this state
     * again, or waits for the same thing. The runner then writes it as it writes a wait (at the next change, or
     * after {@code CHECKPOINT_INTERVAL}) instead of at once; the undo entry is still written before each action.
     * Not for a state holding what only the look before the actions could tell (processes suspended by us).
     */
    public Transition<S> observedAgainOnResume() {
        return new Transition<>(state, actions, outcome, failure, progress, waitingFor, nextPoll, true);
    }

    public static <S> Transition<S> done(S state, String progress) {
        return new Transition<>(state, List.of(), Outcome.DONE, null, progress, null, Duration.ZERO);
    }

    public static <S> Transition<S> fail(S state, String failure) {
        return new Transition<>(state, List.of(), Outcome.FAILED, failure, null, null, Duration.ZERO);
    }
}
