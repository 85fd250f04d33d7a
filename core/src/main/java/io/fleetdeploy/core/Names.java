package io.fleetdeploy.core;

import java.util.regex.Pattern;

/**
 * Validation of the names that end up in S3 keys and in shell commands on instances
 * (app, version, channel, group, schema key). Checked before any request is made.
 */
public final class Names {

    /** The same rule as the agent's: a letter or digit, then up to 127 of letters, digits, '.', '_' and '-'. */
    public static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private Names() {
    }

    public static boolean isSafe(String value) {
        return value != null && SAFE.matcher(value).matches() && !value.contains("..");
    }

    /**
     * Returns {@code value} when it is safe, else throws an error naming the field and the rule.
     *
     * @param field the name the user typed it as, e.g. {@code version}
     */
    public static String requireSafe(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw FleetDeployException.invalidInput(
                    "The " + field + " is missing.",
                    "Give a " + field + " of letters, digits, '.', '_' or '-' (at most 128 characters).");
        }
        if (!isSafe(value)) {
            throw FleetDeployException.invalidInput(
                    "The " + field + " '" + printable(value) + "' is not allowed: it must start with a letter or digit and contain only"
                            + " letters, digits, '.', '_' or '-' (at most 128 characters, no '..').",
                    "Choose a " + field + " that matches [A-Za-z0-9][A-Za-z0-9._-]{0,127}; it becomes part of S3 keys and shell commands.");
        }
        return value;
    }

    /** Shows a rejected value without letting control characters garble a log line. */
    static String printable(String value) {
        String shortened = value.length() > 140 ? value.substring(0, 140) + "..." : value;
        StringBuilder out = new StringBuilder();
        for (char c : shortened.toCharArray()) {
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        return out.toString();
    }
}
