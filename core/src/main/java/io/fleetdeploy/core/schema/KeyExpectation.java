package io.fleetdeploy.core.schema;

/** What the caller believes the schema key is now: the compare of the compare-and-set. */
public sealed interface KeyExpectation {

    /** The key must be exactly this. */
    record Is(String key) implements KeyExpectation {
    }

    /** No key may be set yet for the app (the first flip). */
    record Unset() implements KeyExpectation {
    }

    /** Whatever it is: an operator's override, recorded as forced in the history. */
    record Anything() implements KeyExpectation {
    }

    static KeyExpectation is(String key) {
        return new Is(key);
    }

    static KeyExpectation unset() {
        return new Unset();
    }

    static KeyExpectation force() {
        return new Anything();
    }
}
