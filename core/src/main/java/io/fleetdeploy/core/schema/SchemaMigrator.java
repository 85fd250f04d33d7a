package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.schema.MigrateResult.AppliedMigration;
import io.fleetdeploy.core.schema.MigrateResult.PendingMigration;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.ValidateOutput;
import org.flywaydb.core.api.output.ValidateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;

/**
 * migrateSchema: Flyway (community) migrations from a directory or a release bundle, after
 * validation, the expand/contract guard and an optional RDS snapshot. Two callers on one database
 * are serialised for the whole run by {@link MigrationLock} (Flyway locks per migration only);
 * the second waits and then finds nothing left to do.
 */
public final class SchemaMigrator {

    /** The first line that marks a migration as a contract step (it may break the previous code). */
    public static final String CONTRACT_MARKER = "-- fleet:contract";

    private static final Pattern CONTRACT_LINE = Pattern.compile("^\\uFEFF?--\\s*fleet:contract\\b.*");
    private static final Pattern SQL_MIGRATION = Pattern.compile("[VR][^/]*__.*\\.sql");
    private static final Pattern HISTORY_TABLE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Duration SNAPSHOT_POLL = Duration.ofSeconds(5);

    private final DatabaseConnector connector;
    private final RdsDatabases rds;
    private final ReleaseBundleSource releases;
    private final Clock clock;

    public SchemaMigrator(RdsDatabases rds, ReleaseBundleSource releases, Clock clock) {
        this(rds, releases, clock, new DatabaseConnector(rds));
    }

    /** With another connector: tests that follow each login. */
    SchemaMigrator(RdsDatabases rds, ReleaseBundleSource releases, Clock clock, DatabaseConnector connector) {
        this.rds = Objects.requireNonNull(rds, "rds");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.releases = Objects.requireNonNull(releases, "releases");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public MigrateResult migrate(MigrateRequest request, ProgressListener progress) {
        return migrate(request, null, progress, new MigrationStop());
    }

    /** As {@link #migrate(MigrateRequest, ProgressListener)}, stoppable from another thread through {@code stop}. */
    public MigrateResult migrate(MigrateRequest request, ProgressListener progress, MigrationStop stop) {
        return migrate(request, null, progress, stop);
    }

    /**
     * As {@link #migrate}, after an RDS snapshot the caller took and waited for itself (a Jenkins
     * step polls it from a timer instead of holding a thread); the result and any failure name it.
     */
    public MigrateResult migrateAfterSnapshot(MigrateRequest request, String snapshotId, ProgressListener progress) {
        return migrateAfterSnapshot(request, snapshotId, progress, new MigrationStop());
    }

    /** As {@link #migrateAfterSnapshot(MigrateRequest, String, ProgressListener)}, stoppable through {@code stop}. */
    public MigrateResult migrateAfterSnapshot(MigrateRequest request, String snapshotId, ProgressListener progress, MigrationStop stop) {
        Objects.requireNonNull(snapshotId, "snapshotId");
        return migrate(request.withSnapshot(false, request.snapshotTimeout()), snapshotId, progress, stop);
    }

    /** The name {@link #migrate} gives the snapshot it takes first; for callers that take it themselves. */
    public String snapshotName(MigrateRequest request) {
        return RdsDatabases.snapshotName(request.app(), request.version(), clock.instant());
    }

    private MigrateResult migrate(MigrateRequest request, String takenSnapshot, ProgressListener progress, MigrationStop stop) {
        Objects.requireNonNull(stop, "stop");
        Instant started = clock.instant();
        validate(request);
        Path directory = migrationsDirectory(request, progress);
        requireMigrationFiles(directory);
        ConnectedDatabase database = connector.connect(request.database(), progress);
        Flyway flyway = flyway(database, directory, request, stop);

        if (request.dryRun()) {
            return checkAndApply(request, database, flyway, directory, progress, started, takenSnapshot, stop);
        }
        try (MigrationLock lock = MigrationLock.acquire(database, request.historyTable(), request.lockWait(), clock, progress, stop)) {
            return checkAndApply(request, database, flyway, directory, progress, started, takenSnapshot, stop);
        }
    }

    /** Validates, lists and guards; then, unless a dry run, snapshots and migrates (the caller holds the lock). */
    private MigrateResult checkAndApply(MigrateRequest request, ConnectedDatabase database, Flyway flyway, Path directory,
                                        ProgressListener progress, Instant started, String takenSnapshot, MigrationStop stop) {
        MigrationInfoService info = flywayCall(database, "Reading the schema history", flyway::info);
        requireValid(database, flyway, request);
        List<PendingMigration> pending = pending(info, directory);
        String before = highestApplied(info);
        guardContract(pending, request);
        progress.info(database.describe() + " is at version " + printable(before) + "; " + pending.size()
                + " migration(s) pending" + (pending.isEmpty() ? "" : ": " + scripts(pending)));
        if (request.dryRun() || pending.isEmpty()) {
            return new MigrateResult(request.dryRun(), database.describe(), pending, List.of(), before, before,
                    Duration.between(started, clock.instant()), takenSnapshot);
        }
        String snapshotId = takenSnapshot != null ? takenSnapshot : request.snapshot() ? snapshot(request, progress) : null;
        if (stop.requested()) {
            throw new FleetDeployException("migrateSchema was stopped before migrating the " + database.describe() + ".",
                    "Nothing was changed: the database is still at version " + printable(before) + "."
                            + (snapshotId == null ? "" : " RDS snapshot " + snapshotId + " was taken."),
                    "Run migrateSchema again to apply the " + pending.size() + " pending migration(s).");
        }
        org.flywaydb.core.api.output.MigrateResult migrated;
        try {
            migrated = flyway.migrate();
        } catch (FlywayException e) {
            throw stop.requested() ? migrationStopped(database, flyway, request, snapshotId, e)
                    : migrationFailed(database, flyway, request, snapshotId, e);
        }
        List<AppliedMigration> applied = migrated.migrations == null ? List.of() : migrated.migrations.stream()
                .map(m -> new AppliedMigration(m.version, m.description, fileName(m.filepath), m.executionTime))
                .toList();
        String after = highestApplied(flywayCall(database, "Reading the schema history", flyway::info));
        progress.info("Applied " + applied.size() + " migration(s) to " + database.describe() + ": version "
                + printable(before) + " -> " + printable(after));
        return new MigrateResult(false, database.describe(), pending, applied, before, after,
                Duration.between(started, clock.instant()), snapshotId);
    }

    private static void validate(MigrateRequest request) {
        Objects.requireNonNull(request, "request");
        Names.requireSafe("app", request.app());
        if (request.version() != null) {
            Names.requireSafe("version", request.version());
        }
        if (request.database() == null) {
            throw FleetDeployException.invalidInput("No database was given.", "Give a JDBC URL or an RDS instance identifier.");
        }
        request.database().validate();
        if (request.source() == null) {
            throw FleetDeployException.invalidInput("No migrations source was given.", "Give a migrations directory or a release version.");
        }
        if (!HISTORY_TABLE.matcher(request.historyTable()).matches()) {
            throw FleetDeployException.invalidInput(
                    "The schema history table name '" + request.historyTable() + "' is not allowed.",
                    "Use lower-case letters, digits and '_' (at most 63, not starting with a digit).");
        }
        if (request.snapshot() && DatabaseTarget.isBlank(request.database().rdsInstanceId())) {
            throw FleetDeployException.invalidInput(
                    "A snapshot was asked for, but the database was not given as an RDS instance.",
                    "Give the RDS instance identifier (with or without a JDBC URL), or migrate without a snapshot.");
        }
        if (request.snapshotTimeout().isNegative() || request.snapshotTimeout().isZero()
                || request.lockWait().isNegative() || request.lockWait().isZero()) {
            throw FleetDeployException.invalidInput("The snapshot timeout and the lock wait must be positive.",
                    "Give durations greater than zero.");
        }
    }

    private Path migrationsDirectory(MigrateRequest request, ProgressListener progress) {
        if (request.source() instanceof MigrationSource.Directory directory) {
            if (directory.path() == null) {
                throw FleetDeployException.invalidInput("No migrations directory was given.", "Give the directory that holds the migrations.");
            }
            return directory.path().toAbsolutePath().normalize();
        }
        MigrationSource.Release release = (MigrationSource.Release) request.source();
        Names.requireSafe("version", release.version());
        ReleaseBundleSource.VerifiedBundle bundle = releases.fetch(request.app(), release.version());
        Path migrations = bundle.migrations();
        if (!migrations.startsWith(bundle.root().normalize())) {
            throw FleetDeployException.invalidInput(
                    "The migrations path '" + bundle.migrationsPath() + "' of release " + release.version() + " leaves its bundle.",
                    "Publish the release with a migrations path inside the bundle.");
        }
        progress.info("Using the migrations of release " + release.version() + " (" + bundle.migrationsPath() + ")");
        return migrations;
    }

    /** An empty or missing directory is a mistake (a wrong path), not "nothing to do". */
    private static void requireMigrationFiles(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw FleetDeployException.invalidInput(
                    "The migrations directory " + directory + " does not exist.",
                    "Give the directory that holds the V<version>__<description>.sql files.");
        }
        try (Stream<Path> files = Files.walk(directory)) {
            if (files.noneMatch(f -> Files.isRegularFile(f) && SQL_MIGRATION.matcher(f.getFileName().toString()).matches())) {
                throw FleetDeployException.invalidInput(
                        "The migrations directory " + directory + " holds no migrations (files named V<version>__<description>.sql"
                                + " or R__<description>.sql).",
                        "Check the path; a release whose schema does not change still needs its earlier migrations there.");
            }
        } catch (IOException e) {
            throw new FleetDeployException("Reading the migrations directory " + directory + " failed: " + e.getMessage(),
                    "Nothing was changed.", "Check the directory's permissions.", e);
        }
    }

    private static Flyway flyway(ConnectedDatabase database, Path directory, MigrateRequest request, MigrationStop stop) {
        return Flyway.configure(SchemaMigrator.class.getClassLoader())
                .dataSource(stop.tracking(database.dataSource()))
                .callbacks(stop.refusingNextMigration())
                .locations("filesystem:" + directory)
                .table(request.historyTable())
                .failOnMissingLocations(true)
                .validateMigrationNaming(true)
                // Pending ones are what we are about to apply; future ones come from a newer release already applied.
                .ignoreMigrationPatterns("*:pending", "*:future")
                .cleanDisabled(true)
                // Flyway retries its lock about once a second.
                .lockRetryCount((int) Math.min(Integer.MAX_VALUE, request.lockWait().toSeconds()))
                .load();
    }

    /** Applied migrations must still match their files; names every file that does not. */
    private static void requireValid(ConnectedDatabase database, Flyway flyway, MigrateRequest request) {
        ValidateResult result = flywayCall(database, "Validating the applied migrations", flyway::validateWithResult);
        if (result.validationSuccessful) {
            return;
        }
        List<String> problems = new ArrayList<>();
        boolean checksums = false;
        for (ValidateOutput invalid : result.invalidMigrations) {
            String file = invalid.filepath == null || invalid.filepath.isBlank() ? "version " + invalid.version : fileName(invalid.filepath);
            if (invalid.errorDetails != null && invalid.errorDetails.errorCode == CoreErrorCode.CHECKSUM_MISMATCH) {
                checksums = true;
                problems.add(file + " (version " + invalid.version + ") was changed after it was applied");
            } else {
                problems.add(file + ": " + (invalid.errorDetails == null ? "invalid" : database.redact(invalid.errorDetails.errorMessage)));
            }
        }
        if (problems.isEmpty() && result.errorDetails != null) {
            problems.add(database.redact(result.errorDetails.errorMessage));
        }
        throw new FleetDeployException(
                "Validation of the migrations already applied to the " + database.describe() + " failed: " + String.join("; ", problems) + ".",
                "Nothing was changed: no migration ran.",
                checksums
                        ? "Restore the applied migration files exactly as they were applied and put the change in a new migration."
                        : "Repair the schema history (table " + request.historyTable() + ") so that it matches the migration files, then run again.");
    }

    private static List<PendingMigration> pending(MigrationInfoService info, Path directory) {
        return Arrays.stream(info.pending())
                .map(m -> new PendingMigration(
                        m.getVersion() == null ? null : m.getVersion().getVersion(),
                        m.getDescription(),
                        m.getScript(),
                        m.getChecksum(),
                        isContract(directory.resolve(m.getScript()))))
                .toList();
    }

    static boolean isContract(Path script) {
        if (!Files.isRegularFile(script)) {
            return false;
        }
        try (BufferedReader reader = Files.newBufferedReader(script, StandardCharsets.UTF_8)) {
            String first = reader.readLine();
            return first != null && CONTRACT_LINE.matcher(first.strip()).matches();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void guardContract(List<PendingMigration> pending, MigrateRequest request) {
        List<String> contracts = pending.stream().filter(PendingMigration::contract).map(PendingMigration::script).toList();
        if (contracts.isEmpty() || request.allowContract()) {
            return;
        }
        throw FleetDeployException.invalidInput(
                "Refused to apply contract migration(s) " + String.join(", ", contracts) + ": they are marked '" + CONTRACT_MARKER
                        + "', so they remove or change schema that the previous release's code may still use. Instances still"
                        + " running that code would fail against the migrated schema.",
                "Run contract migrations only once no instance runs the old code (after the rollout and the schema key flip),"
                        + " and then pass allowContract (--allow-contract). Until then, ship only expand migrations.");
    }

    private String snapshot(MigrateRequest request, ProgressListener progress) {
        String instance = request.database().rdsInstanceId();
        String name = snapshotName(request);
        progress.info("Taking RDS snapshot " + name + " of " + instance + " before migrating");
        return rds.snapshot(instance, name, request.snapshotTimeout(), SNAPSHOT_POLL, progress);
    }

    private static FleetDeployException migrationFailed(
            ConnectedDatabase database, Flyway flyway, MigrateRequest request, String snapshotId, FlywayException e) {
        if (e.getErrorCode() == CoreErrorCode.NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE) {
            return new FleetDeployException(
                    "The " + database.describe() + " already has tables but no schema history table (" + request.historyTable()
                            + "), so Flyway cannot tell which migrations it already has.",
                    "Nothing was changed.",
                    "Baseline the database with Flyway first (flyway baseline -baselineVersion=<version it is at>), or use an empty schema.", e);
        }
        MigrationInfoService after;
        try {
            after = flyway.info();
        } catch (FlywayException infoFailure) {
            after = null;
        }
        MigrationInfo failed = after == null ? null : Stream.concat(
                        Arrays.stream(after.all()).filter(m -> m.getState().isFailed()),
                        Arrays.stream(after.pending()))
                .findFirst().orElse(null);
        String file = e instanceof FlywayMigrateException m && m.getMigration() != null
                ? m.getMigration().getScript() : failed != null ? failed.getScript() : "(unknown migration)";
        SQLException statementError = deepestSqlException(e);
        String error = statementError != null
                ? database.redact(statementError.getMessage()) + " (SQL state " + statementError.getSQLState() + ")"
                : database.redact(firstLine(e.getMessage()));
        String leftAt = after == null ? "unknown (the schema history could not be read)" : printable(highestApplied(after));
        boolean rolledBack = database.engine() == Engine.POSTGRESQL
                && !(e instanceof FlywayMigrateException m && !m.isExecutableInTransaction());
        String left = "The database was left at version " + leftAt + ". "
                + (rolledBack
                        ? "PostgreSQL rolled the failed migration back: nothing of " + file + " remains."
                        : database.engine() == Engine.MARIADB
                                ? "MariaDB/MySQL cannot roll back DDL: statements of " + file + " before the failing one may have"
                                        + " taken effect, and " + request.historyTable() + " marks it as failed."
                                : "The failed migration ran outside a transaction: statements before the failing one may remain.")
                + (snapshotId == null ? "" : " RDS snapshot " + snapshotId + " was taken before migrating.");
        String todo = rolledBack
                ? "Fix " + file + " (or the data it trips over) and run migrate again."
                : "Undo by hand what " + file + " changed, delete its failed row from " + request.historyTable()
                        + ", fix the script and run migrate again" + (snapshotId == null ? "." : " (or restore the snapshot).");
        return new FleetDeployException("Migration " + file + " failed on the " + database.describe() + ": " + error, left, todo, e);
    }

    /**
     * A stop requested while Flyway ran: either the running statement was cancelled (that migration
     * failed and, on PostgreSQL, was rolled back) or the next migration was refused before it began.
     */
    private static FleetDeployException migrationStopped(
            ConnectedDatabase database, Flyway flyway, MigrateRequest request, String snapshotId, FlywayException e) {
        if (e instanceof FlywayMigrateException) {
            FleetDeployException failed = migrationFailed(database, flyway, request, snapshotId, e);
            return new FleetDeployException("migrateSchema was stopped while migrating: " + failed.whatFailed(),
                    failed.leftUnchanged(), database.engine() == Engine.POSTGRESQL
                            ? "Run migrateSchema again to apply the migrations still pending." : failed.whatToDo(), e);
        }
        String leftAt;
        try {
            leftAt = printable(highestApplied(flyway.info()));
        } catch (FlywayException infoFailure) {
            leftAt = "unknown (the schema history could not be read)";
        }
        return new FleetDeployException("migrateSchema was stopped while migrating the " + database.describe() + ".",
                "The database was left at version " + leftAt + ": every migration up to it was applied whole, the next one"
                        + " was not started." + (snapshotId == null ? "" : " RDS snapshot " + snapshotId + " was taken before migrating."),
                "Run migrateSchema again to apply the migrations still pending.", e);
    }

    private static SQLException deepestSqlException(Throwable e) {
        SQLException deepest = null;
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                deepest = sql;
            }
        }
        return deepest;
    }

    /** The highest version applied successfully; null for an empty schema. */
    private static String highestApplied(MigrationInfoService info) {
        return Arrays.stream(info.applied())
                .filter(m -> m.getVersion() != null && m.getState().isApplied() && !m.getState().isFailed())
                .max(Comparator.comparing(MigrationInfo::getVersion))
                .map(m -> m.getVersion().getVersion())
                .orElse(null);
    }

    private static <T> T flywayCall(ConnectedDatabase database, String what, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (FlywayException e) {
            SQLException cause = deepestSqlException(e);
            if (cause != null && cause.getSQLState() != null && (cause.getSQLState().startsWith("08") || cause.getSQLState().startsWith("28"))) {
                throw database.connectFailure(cause);
            }
            throw new FleetDeployException(what + " on the " + database.describe() + " failed: " + database.redact(firstLine(e.getMessage())),
                    "Nothing was changed: no migration ran.", "Check the migrations and the database, then run again.", e);
        }
    }

    private static String scripts(List<PendingMigration> pending) {
        return pending.stream().map(PendingMigration::script).collect(Collectors.joining(", "));
    }

    private static String printable(String version) {
        return version == null ? "(empty)" : version;
    }

    private static String fileName(String path) {
        if (path == null) {
            return null;
        }
        return Path.of(path).getFileName().toString();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        return message.strip().lines().findFirst().orElse("");
    }
}
