package io.fleetdeploy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.schema.MigrateRequest;
import io.fleetdeploy.core.schema.MigrateResult;
import io.fleetdeploy.core.schema.MigrationSource;
import io.fleetdeploy.core.schema.MigrationStop;
import io.fleetdeploy.core.schema.ReleaseBundleSource;
import io.fleetdeploy.core.schema.ReleaseStoreBundles;
import io.fleetdeploy.core.schema.SchemaMigrator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code fleet-deploy migrate}: migrateSchema from the command line. Ctrl-C stops the migration
 * through {@link MigrationStop} (the statement running on the server is cancelled, no further
 * migration starts); the shutdown hook waits, bounded, for the migrating thread to say where the
 * database was left, since the JVM would otherwise exit while the server goes on with the statement.
 */
@Command(name = "migrate",
        description = {
            "Applies the pending Flyway migrations of a directory or of a published release to a database, after validating"
                    + " the applied ones and refusing contract migrations unless allowed.",
            "Exit code 0: migrated (or nothing pending); 1: refused or failed (the message says what was left as it was);"
                    + " 130: stopped by Ctrl-C (the message says at which version the database was left)."})
final class MigrateCommand implements Callable<Integer> {

    /** How long Ctrl-C waits for the stopped migration to end. */
    static final Duration STOP_WAIT = MigrationStop.REPORT_WITHIN;

    @ParentCommand
    FleetDeployCli root;

    @Spec
    CommandSpec spec;

    // No mixinStandardHelpOptions: its --version would take the release version's option name.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--app", required = true, paramLabel = "APP", description = "The application (names the snapshot; the release's app).")
    String app;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--dir", paramLabel = "DIR", description = "Migrations directory (V<version>__<description>.sql files).")
        Path directory;

        @Option(names = "--release", paramLabel = "VERSION",
                description = "Use the migrations inside this published release's bundle (sha256-checked); needs --bucket.")
        String release;
    }

    @Option(names = "--bucket", paramLabel = "BUCKET", description = "The release store's bucket (with --release).")
    String bucket;

    @Option(names = "--prefix", paramLabel = "PREFIX", defaultValue = "", description = "Key prefix in the bucket (with --release).")
    String prefix;

    @Option(names = "--version", paramLabel = "VERSION", description = "The version being deployed (names the snapshot); default: --release.")
    String version;

    @Option(names = "--dry-run", description = "List the pending migrations; change nothing.")
    boolean dryRun;

    @Option(names = "--allow-contract", description = "Allow migrations marked '-- fleet:contract' (only once no node runs the old code).")
    boolean allowContract;

    @Option(names = "--snapshot", description = "Take an RDS snapshot first (needs --rds-instance) and wait until it is available.")
    boolean snapshot;

    @Option(names = "--snapshot-timeout", paramLabel = "DURATION", defaultValue = "30m", converter = DurationConverter.class,
            description = "How long to wait for the snapshot (default ${DEFAULT-VALUE}).")
    Duration snapshotTimeout;

    @Option(names = "--lock-wait", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "How long to wait for another migration of the same database (default ${DEFAULT-VALUE}).")
    Duration lockWait;

    @Option(names = "--history-table", paramLabel = "TABLE", defaultValue = MigrateRequest.DEFAULT_HISTORY_TABLE,
            description = "Flyway's schema history table (default ${DEFAULT-VALUE}).")
    String historyTable;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws JsonProcessingException {
        PrintWriter err = spec.commandLine().getErr();
        MigrationStop stop = new MigrationStop();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> stopOnCtrlC(stop, finished, err), "fleet-deploy-migrate-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return migrate(stop, err);
        } catch (RuntimeException e) {
            if (!stop.requested()) {
                throw e;
            }
            // Printed here, not by the execution exception handler: the JVM halts as soon as the hook returns.
            err.println("fleet-deploy: " + FleetDeployCli.describe(e));
            if (root.debug) {
                e.printStackTrace(err);
            }
            err.println("fleet-deploy: stopped by Ctrl-C. Running `fleet-deploy migrate` again is safe: Flyway skips the"
                    + " migrations applied and refuses to go on past one it recorded as failed.");
            err.flush();
            return FleetDeployCli.EXIT_INTERRUPTED;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for `finished`.
            }
        }
    }

    private static void stopOnCtrlC(MigrationStop stop, CountDownLatch finished, PrintWriter err) {
        stop.request();
        err.println("fleet-deploy: Ctrl-C: stopping the migration (the statement running on the database is cancelled, no further"
                + " migration starts); waiting up to " + STOP_WAIT.toSeconds() + " s for it to end.");
        err.flush();
        try {
            if (!finished.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                // Which one is not known here: a wait for an RDS snapshot is not cut short, and a statement
                // the database did not cancel goes on after the JVM is gone.
                err.println("fleet-deploy: the migrate command did not end within " + STOP_WAIT.toSeconds() + " s of Ctrl-C: an RDS"
                        + " snapshot it waited for may still complete, or a migration statement the database did not cancel may still"
                        + " run. See where the database is with `fleet-deploy migrate --dry-run` before running again.");
                err.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Integer migrate(MigrationStop stop, PrintWriter err) throws JsonProcessingException {
        CliProgress progress = new CliProgress(err);
        MigrationSource migrations = source.directory != null
                ? MigrationSource.directory(source.directory) : MigrationSource.release(source.release);
        MigrateRequest request = new MigrateRequest(app, version, database.target(), migrations, dryRun, allowContract,
                snapshot, snapshotTimeout, historyTable, lockWait);
        MigrateResult result;
        try (RdsDatabases rds = RdsDatabases.of(root.awsSettings());
             Releases releases = source.release == null ? null : Releases.connect(root.awsSettings(), layout(), progress);
             ReleaseStoreBundles bundles = releases == null ? null : new ReleaseStoreBundles(releases)) {
            ReleaseBundleSource bundleSource = bundles == null ? ReleaseBundleSource.NONE : bundles;
            result = new SchemaMigrator(rds, bundleSource, Clock.systemUTC()).migrate(request, progress, stop);
        }
        print(result, spec.commandLine().getOut());
        if (stop.requested()) {
            err.println("fleet-deploy: Ctrl-C came after the migration had finished: it is complete (the result is on stdout).");
            err.flush();
            return FleetDeployCli.EXIT_INTERRUPTED;
        }
        return 0;
    }

    private S3Layout layout() {
        if (bucket == null || bucket.isBlank()) {
            throw FleetDeployException.invalidInput("--release needs the release store's --bucket.",
                    "Give --bucket (and --prefix if the releases are under one).");
        }
        return S3Layout.of(bucket, prefix, app);
    }

    private void print(MigrateResult result, PrintWriter out) throws JsonProcessingException {
        if (root.json()) {
            out.println(Json.mapper().writeValueAsString(result));
            return;
        }
        if (result.dryRun()) {
            out.println("Dry run: " + result.pending().size() + " pending migration(s) on the " + result.database()
                    + " (at version " + version(result.versionBefore()) + "); nothing was changed.");
            for (MigrateResult.PendingMigration pending : result.pending()) {
                out.println("  " + pending.script() + "  version " + pending.version() + "  \"" + pending.description() + "\"  checksum "
                        + pending.checksum() + (pending.contract() ? "  [contract]" : ""));
            }
            return;
        }
        out.println("Migrated the " + result.database() + ": version " + version(result.versionBefore()) + " -> "
                + version(result.versionAfter()) + ", " + result.applied().size() + " migration(s) applied in "
                + result.duration().toMillis() + " ms.");
        for (MigrateResult.AppliedMigration applied : result.applied()) {
            out.println("  " + applied.script() + "  (" + applied.executionMillis() + " ms)");
        }
        if (result.snapshotId() != null) {
            out.println("RDS snapshot taken before migrating: " + result.snapshotId());
        }
    }

    private static String version(String version) {
        return version == null ? "(empty)" : version;
    }
}
