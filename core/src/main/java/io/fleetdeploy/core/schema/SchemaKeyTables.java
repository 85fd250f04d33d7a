package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import java.util.regex.Pattern;

/**
 * The two tables of the schema key protocol. Names are SQL identifiers we put into statements, so
 * they are restricted to lower-case letters, digits and '_', optionally with a schema:
 * {@code ops.fleet_schema_key}.
 */
public record SchemaKeyTables(String keyTable, String historyTable) {

    // Before DEFAULT: the constructor of DEFAULT uses it.
    private static final Pattern NAME = Pattern.compile("([a-z_][a-z0-9_]{0,62}\\.)?[a-z_][a-z0-9_]{0,62}");

    public static final SchemaKeyTables DEFAULT = new SchemaKeyTables("fleet_schema_key", "fleet_schema_key_history");

    public SchemaKeyTables {
        keyTable = keyTable == null || keyTable.isBlank() ? "fleet_schema_key" : keyTable;
        historyTable = historyTable == null || historyTable.isBlank() ? keyTable + "_history" : historyTable;
        for (String name : new String[] {keyTable, historyTable}) {
            if (!NAME.matcher(name).matches()) {
                throw FleetDeployException.invalidInput(
                        "The table name '" + name + "' is not allowed.",
                        "Use lower-case letters, digits and '_' (at most 63, not starting with a digit), optionally as schema.table.");
            }
        }
        if (keyTable.equals(historyTable)) {
            throw FleetDeployException.invalidInput("The key table and the history table are both '" + keyTable + "'.",
                    "Give them different names.");
        }
    }

    /** The key table and {@code <key table>_history}. */
    public static SchemaKeyTables named(String keyTable) {
        return new SchemaKeyTables(keyTable, null);
    }
}
