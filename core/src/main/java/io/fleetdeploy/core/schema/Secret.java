package io.fleetdeploy.core.schema;

import java.util.Objects;

/**
 * A password or IAM authentication token. It prints as {@code ****} wherever it ends up by
 * accident (a record's toString, a log line, JSON through a getter-less record component), and
 * {@link #redact(String)} removes it from text that came from elsewhere (a driver's message).
 */
public final class Secret {

    private static final String MASK = "****";

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /** @throws IllegalArgumentException when empty: an empty password is a missing one */
    public static Secret of(String value) {
        Objects.requireNonNull(value, "secret");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("An empty secret was given.");
        }
        return new Secret(value);
    }

    /** The value, for the one place that must send it (the JDBC driver). */
    public String reveal() {
        return value;
    }

    /** {@code text} with every occurrence of the secret replaced by {@code ****}. */
    public String redact(String text) {
        return text == null ? null : text.replace(value, MASK);
    }

    @Override
    public String toString() {
        return MASK;
    }
}
