package io.fleetdeploy.core.operation;

/** What a failed operation does: put everything back (the default) or stay where it stopped. */
public enum OnFailure {
    ROLLBACK, HALT;

    public static OnFailure parse(String value) {
        if (value == null || value.isBlank() || value.equalsIgnoreCase("rollback")) {
            return ROLLBACK;
        }
        if (value.equalsIgnoreCase("halt")) {
            return HALT;
        }
        throw io.fleetdeploy.core.FleetDeployException.invalidInput(
                "onFailure '" + value + "' is not known.", "Use onFailure 'rollback' (default) or 'halt'.");
    }
}
