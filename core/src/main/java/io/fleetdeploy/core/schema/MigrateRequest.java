package io.fleetdeploy.core.schema;

import java.time.Duration;

/**
 * One migrateSchema call.
 *
 * @param app             the application (names the snapshot; the release's app)
 * @param version         the release version being deployed (names the snapshot); taken from the
 *                        source when migrating from a release; may be null for a directory
 * @param database        where to migrate
 * @param source          where the scripts are
 * @param dryRun          list what would be applied, change nothing
 * @param allowContract   let migrations marked {@code -- fleet:contract} run
 * @param snapshot        take an RDS snapshot (the database must be given as an RDS instance) first
 * @param snapshotTimeout how long to wait for the snapshot to become available
 * @param historyTable    Flyway's schema history table
 * @param lockWait        how long to wait for another migration holding Flyway's lock
 */
public record MigrateRequest(
        String app,
        String version,
        DatabaseTarget database,
        MigrationSource source,
        boolean dryRun,
        boolean allowContract,
        boolean snapshot,
        Duration snapshotTimeout,
        String historyTable,
        Duration lockWait) {

    public static final String DEFAULT_HISTORY_TABLE = "flyway_schema_history";
    public static final Duration DEFAULT_SNAPSHOT_TIMEOUT = Duration.ofMinutes(30);
    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofMinutes(10);

    public MigrateRequest {
        snapshotTimeout = snapshotTimeout == null ? DEFAULT_SNAPSHOT_TIMEOUT : snapshotTimeout;
        historyTable = historyTable == null || historyTable.isBlank() ? DEFAULT_HISTORY_TABLE : historyTable;
        lockWait = lockWait == null ? DEFAULT_LOCK_WAIT : lockWait;
        if (source instanceof MigrationSource.Release release && version == null) {
            version = release.version();
        }
    }

    public static MigrateRequest of(String app, DatabaseTarget database, MigrationSource source) {
        return new MigrateRequest(app, null, database, source, false, false, false, null, null, null);
    }

    public MigrateRequest withVersion(String newVersion) {
        return new MigrateRequest(app, newVersion, database, source, dryRun, allowContract, snapshot, snapshotTimeout, historyTable, lockWait);
    }

    public MigrateRequest withDryRun(boolean newDryRun) {
        return new MigrateRequest(app, version, database, source, newDryRun, allowContract, snapshot, snapshotTimeout, historyTable, lockWait);
    }

    public MigrateRequest withAllowContract(boolean allow) {
        return new MigrateRequest(app, version, database, source, dryRun, allow, snapshot, snapshotTimeout, historyTable, lockWait);
    }

    public MigrateRequest withSnapshot(boolean take, Duration timeout) {
        return new MigrateRequest(app, version, database, source, dryRun, allowContract, take, timeout, historyTable, lockWait);
    }

    public MigrateRequest withHistoryTable(String table) {
        return new MigrateRequest(app, version, database, source, dryRun, allowContract, snapshot, snapshotTimeout, table, lockWait);
    }
}
