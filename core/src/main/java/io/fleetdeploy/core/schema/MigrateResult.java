package io.fleetdeploy.core.schema;

import java.time.Duration;
import java.util.List;

/**
 * What a migrateSchema call did (or, for a dry run, would do).
 *
 * @param database      engine, database, host and port (no credentials)
 * @param pending       the migrations that were pending when the call looked (before the lock)
 * @param applied       the migrations this call applied; empty for a dry run, and for the loser of
 *                      a race that found them already applied
 * @param versionBefore the schema version before (null: an empty schema)
 * @param versionAfter  the schema version after (for a dry run: the same as before)
 * @param snapshotId    the RDS snapshot taken first, or null
 */
public record MigrateResult(
        boolean dryRun,
        String database,
        List<PendingMigration> pending,
        List<AppliedMigration> applied,
        String versionBefore,
        String versionAfter,
        Duration duration,
        String snapshotId) {

    public MigrateResult {
        pending = List.copyOf(pending);
        applied = List.copyOf(applied);
    }

    /** A migration not yet applied; {@code contract} when its first line is {@code -- fleet:contract}. */
    public record PendingMigration(String version, String description, String script, Integer checksum, boolean contract) {
    }

    public record AppliedMigration(String version, String description, String script, long executionMillis) {
    }
}
