package io.jenkins.plugins.fleetdeploy.steps;

import hudson.Extension;
import hudson.FilePath;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.schema.MigrateRequest;
import io.fleetdeploy.core.schema.MigrateResult;
import io.fleetdeploy.core.schema.MigrationStop;
import io.fleetdeploy.core.schema.MigrationSource;
import io.fleetdeploy.core.schema.ReleaseBundleSource;
import io.fleetdeploy.core.schema.SchemaMigrator;
import io.jenkins.plugins.fleetdeploy.BackgroundWork;
import io.jenkins.plugins.fleetdeploy.FleetConnection;
import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.ListenerProgress;
import io.jenkins.plugins.fleetdeploy.StepFailures;
import io.jenkins.plugins.fleetdeploy.Workspaces;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.util.Timer;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * {@code migrateSchema migrations: 'db/migration', jdbcUrl: ..., databaseCredentialsId: 'db'}: runs
 * the pending Flyway migrations (expand-only unless allowContract), after an RDS snapshot when
 * asked. Returns a map: database, versionBefore, versionAfter, applied, pending, snapshotId, dryRun.
 */
public final class MigrateSchemaStep extends DatabaseStep {

    private final String migrations;
    private String version;
    private boolean dryRun;
    private boolean allowContract;
    private boolean snapshot;
    private int snapshotTimeoutMinutes;
    private String historyTable;
    private int lockWaitMinutes;

    @DataBoundConstructor
    public MigrateSchemaStep(String migrations) {
        this.migrations = migrations;
    }

    public String getMigrations() {
        return migrations;
    }

    public String getVersion() {
        return version;
    }

    @DataBoundSetter
    public void setVersion(String version) {
        this.version = version;
    }

    public boolean isDryRun() {
        return dryRun;
    }

    @DataBoundSetter
    public void setDryRun(boolean dryRun) {
        this.dryRun = dryRun;
    }

    public boolean isAllowContract() {
        return allowContract;
    }

    @DataBoundSetter
    public void setAllowContract(boolean allowContract) {
        this.allowContract = allowContract;
    }

    public boolean isSnapshot() {
        return snapshot;
    }

    @DataBoundSetter
    public void setSnapshot(boolean snapshot) {
        this.snapshot = snapshot;
    }

    public int getSnapshotTimeoutMinutes() {
        return snapshotTimeoutMinutes;
    }

    @DataBoundSetter
    public void setSnapshotTimeoutMinutes(int snapshotTimeoutMinutes) {
        this.snapshotTimeoutMinutes = snapshotTimeoutMinutes;
    }

    public String getHistoryTable() {
        return historyTable;
    }

    @DataBoundSetter
    public void setHistoryTable(String historyTable) {
        this.historyTable = historyTable;
    }

    public int getLockWaitMinutes() {
        return lockWaitMinutes;
    }

    @DataBoundSetter
    public void setLockWaitMinutes(int lockWaitMinutes) {
        this.lockWaitMinutes = lockWaitMinutes;
    }

    @Override
    boolean needsAws() {
        return plan().needsAws();
    }

    @Override
    public StepExecution start(StepContext context) throws Exception {
        return new Execution(context, this);
    }

    /** The arguments as a running step keeps them (saved with the Pipeline; no secret). */
    record Plan(String migrations, String version, boolean dryRun, boolean allowContract, boolean snapshot,
                int snapshotTimeoutMinutes, String historyTable, int lockWaitMinutes, Database database) implements Serializable {

        boolean needsAws() {
            return database.needsAws() || snapshot;
        }

        boolean takesSnapshot() {
            return snapshot && !dryRun;
        }

        MigrateRequest request(String app, Run<?, ?> run, Path scripts) {
            return new MigrateRequest(app, version, database.target(run), new MigrationSource.Directory(scripts), dryRun, allowContract,
                    snapshot, minutes(snapshotTimeoutMinutes), historyTable, minutes(lockWaitMinutes));
        }

        private static Duration minutes(int minutes) {
            return minutes > 0 ? Duration.ofMinutes(minutes) : null;
        }
    }

    Plan plan() {
        return new Plan(migrations, version, dryRun, allowContract, snapshot, snapshotTimeoutMinutes, historyTable, lockWaitMinutes,
                database());
    }

    /**
     * Runs the migration on a {@link BackgroundWork} thread, never on {@link Timer}'s small shared
     * pool. With {@code snapshot: true} it holds no thread while RDS copies the database:
     * CreateDBSnapshot, then a poll from {@link Timer} every few seconds (the SleepStep pattern: the
     * snapshot id and deadline are fields saved with the Pipeline), then the migration.
     *
     * <p>A controller restart during the snapshot wait goes on waiting; one during the migration
     * runs the migration again, which is safe on PostgreSQL: Flyway skips what is applied, the
     * migration cut off by the restart was never committed (rolled back with the lost session), and
     * the migration lock makes the re-run wait until the old session is gone. (MariaDB/MySQL cannot
     * roll back DDL: a re-run of a migration cut off half-way fails with the engine's message.) What the step first saw
     * (version, pending migrations) is saved, so the result is that of the whole step.
     *
     * <p>{@link #stop} cancels the statement running on the database and lets no further migration
     * start; the step then fails saying at which version the database was left.
     */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;
        private static final Logger LOGGER = Logger.getLogger(Execution.class.getName());
        private static final Duration SNAPSHOT_POLL = Duration.ofSeconds(2);
        /** How long a stopped migration may take to end before the step fails without knowing where the database was left. */
        private static final Duration STOP_WAIT = MigrationStop.REPORT_WITHIN;

        private final Plan plan;
        private final FleetSettings settings;
        private final long startedMillis;
        private volatile String snapshotId;
        private volatile long snapshotDeadlineMillis;
        private volatile boolean migrating;
        /** What the database had when this step first looked, so that a re-run after a restart reports the whole step. */
        private volatile FirstLook firstLook;

        private transient volatile ScheduledFuture<?> task;
        private transient volatile Future<?> work;
        private transient volatile MigrationStop migrationStop;
        private transient volatile String threadName;
        private transient volatile Throwable stopCause;
        private transient volatile boolean reported;

        Execution(StepContext context, MigrateSchemaStep step) throws IOException, InterruptedException {
            super(context);
            this.plan = step.plan();
            this.settings = FleetSteps.effective(context, step);
            this.startedMillis = System.currentTimeMillis();
        }

        @Override
        public boolean start() throws Exception {
            try {
                validate();
            } catch (FleetDeployException e) {
                record(settings.getApp(), "FAILED", e.getMessage());
                throw StepFailures.abort(e);
            }
            if (plan.takesSnapshot()) {
                inBackground(this::startSnapshot);
            } else {
                migrating = true;
                inBackground(() -> migrate(false));
            }
            return false;
        }

        @Override
        public void onResume() {
            if (migrating) {
                log("Jenkins restarted during the migration: running it again. Flyway skips the migrations already applied;"
                        + " on PostgreSQL the one the restart cut off was rolled back.");
                inBackground(() -> migrate(true));
            } else if (snapshotId != null) {
                log("taken back after a controller restart: still waiting for RDS snapshot " + snapshotId);
                schedule(Duration.ZERO, this::requestSnapshotIfMissing);
            } else {
                log("Jenkins restarted before the RDS snapshot was asked for: starting again (no migration ran)");
                inBackground(this::startSnapshot);
            }
        }

        @Override
        public void stop(Throwable cause) throws Exception {
            stopCause = cause;
            ScheduledFuture<?> pending = task;
            if (pending != null) {
                pending.cancel(false);
            }
            Future<?> running = work;
            MigrationStop stopping = migrationStop;
            if (running != null && !running.isDone() && stopping != null) {
                log("Stopping migrateSchema: cancelling the statement running on the database; no further migration starts");
                // No interrupt: the stop acts on the database, and the thread still needs it to read where it was left.
                stopping.request();
                // The migrating thread reports where the database was left; a database that does not answer is not waited for.
                Timer.get().schedule(() -> {
                    if (!reported) {
                        log("migrateSchema: the migration did not end within " + STOP_WAIT.toSeconds() + " s of the stop; it may"
                                + " still run on the database. Check its schema history before running again.");
                        report(() -> getContext().onFailure(cause));
                    }
                }, STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            if (snapshotId != null && !migrating) {
                log("migrateSchema stopped while waiting for RDS snapshot " + snapshotId + ": no migration ran. The snapshot"
                        + " may still complete (delete it if unwanted).");
                recordQuietly("ABORTED", "stopped while waiting for RDS snapshot " + snapshotId + "; no migration ran");
            }
            report(() -> getContext().onFailure(cause));
        }

        @Override
        public String getStatus() {
            String thread = threadName;
            String where = thread != null ? " (in thread " + thread + ")" : "";
            if (migrating) {
                return "migrateSchema: migrating" + (snapshotId != null ? " after RDS snapshot " + snapshotId : "") + where;
            }
            if (thread != null) {
                return "migrateSchema: checking what is pending and asking RDS for a snapshot" + where;
            }
            if (snapshotId != null) {
                return "migrateSchema: waiting for RDS snapshot " + snapshotId + " to become available (until "
                        + Instant.ofEpochMilli(snapshotDeadlineMillis) + ")";
            }
            return "migrateSchema: starting";
        }

        /** A safe restart waits for a running migration rather than cutting it off (it would be run again afterwards). */
        @Override
        public boolean blocksRestart() {
            Future<?> running = work;
            return running != null && !running.isDone();
        }

        private void validate() {
            if (plan.migrations() == null || plan.migrations().isBlank()) {
                throw FleetDeployException.invalidInput("migrateSchema needs migrations: the directory of migration scripts.",
                        "Pass migrations: 'db/migration' (relative to the workspace).");
            }
            if (settings.getApp() == null) {
                throw FleetDeployException.invalidInput("No app was given.", "Pass app: to the step or to an enclosing withFleet block.");
            }
            if (plan.version() != null) {
                Names.requireSafe("version", plan.version());
            }
        }

        /** Checks what is pending (a dry run), then asks RDS for the snapshot; the timer polls it. */
        private void startSnapshot() throws Exception {
            String name = withMigrator((migrator, request) -> {
                MigrateResult look = migrator.schema().migrate(request.withDryRun(true), progress());
                firstLook = FirstLook.of(look);
                if (look.pending().isEmpty()) {
                    return null; // nothing to apply: no snapshot needed, as the engine's own migrate decides
                }
                String id = migrator.schema().snapshotName(request);
                snapshotDeadlineMillis = System.currentTimeMillis() + request.snapshotTimeout().toMillis();
                // Saved before the request: a restart right after it polls this snapshot instead of asking for a second one.
                snapshotId = id;
                getContext().saveState();
                log("Taking RDS snapshot " + id + " of " + request.database().rdsInstanceId() + " before migrating");
                migrator.rds().startSnapshot(request.database().rdsInstanceId(), id);
                return id;
            });
            if (name == null) {
                migrating = true;
                migrate(false);
                return;
            }
            if (BackgroundWork.controllerStopping()) {
                return; // the snapshot id is saved: the resumed step polls it
            }
            Throwable stopped = stopCause;
            if (stopped != null) {
                log("migrateSchema stopped before migrating: no migration ran. RDS snapshot " + name
                        + " was asked for and may still complete (delete it if unwanted).");
                recordQuietly("ABORTED", "stopped before migrating; RDS snapshot " + name + " was asked for");
                report(() -> getContext().onFailure(stopped));
                return;
            }
            schedule(SNAPSHOT_POLL, this::pollSnapshot);
        }

        /**
         * After a restart: the snapshot's identifier is saved before it is asked for, so the restart may have come
         * between the two. A snapshot RDS does not have is asked for now, under the same identifier; one it has
         * (the first request got through) is polled as it is.
         */
        private void requestSnapshotIfMissing() {
            onTimer(() -> {
                boolean asked = withMigrator((migrator, request) -> {
                    String instance = request.database().rdsInstanceId();
                    if (migrator.rds().findSnapshot(snapshotId).isPresent()) {
                        return false;
                    }
                    log("RDS has no snapshot " + snapshotId + ": Jenkins restarted before it was asked for. Taking it now, under"
                            + " the same name, of " + instance + " before migrating");
                    return migrator.rds().startSnapshotIfMissing(instance, snapshotId);
                });
                schedule(asked ? SNAPSHOT_POLL : Duration.ZERO, this::pollSnapshot);
            });
        }

        private void pollSnapshot() {
            onTimer(() -> {
                String status = withMigrator((migrator, request) -> migrator.rds().snapshotStatus(snapshotId));
                if ("available".equals(status)) {
                    log("RDS snapshot " + snapshotId + " is available");
                    migrating = true;
                    getContext().saveState();
                    inBackground(() -> migrate(false));
                } else if ("failed".equals(status) || "deleted".equals(status) || "incompatible-restore".equals(status)) {
                    throw new FleetDeployException("RDS snapshot " + snapshotId + " ended " + status + ".",
                            "No migration ran.", "Check the snapshot in the RDS console, then run again.");
                } else if (System.currentTimeMillis() >= snapshotDeadlineMillis) {
                    throw new FleetDeployException("RDS snapshot " + snapshotId + " did not become available within "
                            + (plan.snapshotTimeoutMinutes() > 0 ? plan.snapshotTimeoutMinutes() + " minute(s)" : "the snapshot timeout")
                            + " (it is " + status + ").", "No migration ran. The snapshot request stands and may still complete.",
                            "Check the snapshot in the RDS console (delete it if unwanted), then run again, with a longer"
                                    + " snapshotTimeoutMinutes if needed.");
                } else {
                    schedule(SNAPSHOT_POLL, this::pollSnapshot);
                }
            });
        }

        /** On a {@link BackgroundWork} thread: the migration, then the step's outcome. */
        private void migrate(boolean afterRestart) throws Exception {
            MigrationStop stopping = migrationStop;
            MigrateResult result = withMigrator((migrator, request) -> {
                if (firstLook == null && !plan.dryRun()) {
                    firstLook = FirstLook.of(migrator.schema().migrate(request.withDryRun(true), ProgressListener.NONE));
                    getContext().saveState();
                }
                return snapshotId != null
                        ? migrator.schema().migrateAfterSnapshot(request, snapshotId, progress(), stopping)
                        : migrator.schema().migrate(request, progress(), stopping);
            });
            if (BackgroundWork.controllerStopping()) {
                return; // the migration finished as Jenkins stopped: the resumed step runs it again and finds it applied
            }
            Map<String, Object> outcome = toMap(result, firstLook);
            String summary = describe(outcome, result.snapshotId());
            if (stopCause != null) {
                log("migrateSchema was stopped, but the migration had already finished: " + summary);
                recordQuietly("ABORTED", "stopped after the migration finished: " + summary);
                report(() -> getContext().onFailure(stopCause));
                return;
            }
            if (afterRestart) {
                log("migrateSchema re-ran the migration after a controller restart: " + summary);
            }
            record(result.database(), result.dryRun() ? "DRY RUN" : ((List<?>) outcome.get("applied")).isEmpty()
                    ? "UNCHANGED" : "SUCCEEDED", summary);
            report(() -> getContext().onSuccess(outcome));
        }

        /** Runs {@code work} on a {@link BackgroundWork} thread; a failure fails the step, unless Jenkins is stopping. */
        private void inBackground(Work next) {
            if (Thread.currentThread().isInterrupted()) {
                return; // a timer thread interrupted by Timer.shutdown(): Jenkins is stopping; onResume() goes on
            }
            if (stopCause != null) {
                return; // stopped while a timer task decided to go on: stop() has ended the step
            }
            MigrationStop stopping = new MigrationStop();
            migrationStop = stopping;
            try {
                work = BackgroundWork.submit(() -> {
                    threadName = Thread.currentThread().getName();
                    try {
                        next.run();
                    } catch (Exception e) {
                        if (!BackgroundWork.controllerStopping()) {
                            fail(e);
                        }
                    } finally {
                        threadName = null;
                    }
                }, stopping::request);
                if (stopCause != null) {
                    stopping.request(); // a stop() that came in while this was being submitted did not see it
                }
            } catch (RejectedExecutionException e) {
                LOGGER.log(Level.FINE, "migrateSchema: Jenkins is stopping; waiting for onResume()", e);
            }
        }

        /** Runs a short {@link Timer} task; a failure fails the step. */
        private void onTimer(Work next) {
            try {
                next.run();
            } catch (Exception e) {
                fail(e);
            }
        }

        private void fail(Exception e) {
            Throwable stopped = stopCause;
            if (stopped != null) {
                log(e instanceof FleetDeployException ? e.getMessage() : "migrateSchema stopped: " + e.getMessage());
                recordQuietly("ABORTED", e.getMessage());
                stopped.addSuppressed(e);
                report(() -> getContext().onFailure(stopped));
            } else {
                recordQuietly("FAILED", e.getMessage());
                report(() -> getContext().onFailure(e instanceof FleetDeployException f ? StepFailures.abort(f) : e));
            }
        }

        /** The step ends once: the migrating thread and a stop's deadline may both try. */
        private synchronized void report(Runnable outcome) {
            if (!reported) {
                reported = true;
                outcome.run();
            }
        }

        /** Runs {@code call} with a migrator and this step's request, the migrations copied from the workspace. */
        private <T> T withMigrator(MigratorCall<T> call) throws IOException, InterruptedException {
            StepContext context = getContext();
            Run<?, ?> run = context.get(Run.class);
            FilePath source = Workspaces.existing(context.get(FilePath.class), plan.migrations(), "migrations");
            Path local = Files.createTempDirectory("fleet-deploy-migrations-");
            try (FleetConnection connection = plan.needsAws() ? FleetSteps.connect(context, settings) : null;
                 RdsDatabases rds = rds(connection)) {
                Path scripts = Workspaces.copyToController(source, local);
                MigrateRequest request = plan.request(settings.getApp(), run, scripts);
                return call.apply(new Migrator(new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC()), rds), request);
            } finally {
                Workspaces.deleteRecursively(local);
            }
        }

        private void schedule(Duration delay, Runnable next) {
            if (Thread.currentThread().isInterrupted()) {
                return; // a timer thread interrupted by Timer.shutdown(): Jenkins is stopping; onResume() goes on
            }
            if (stopCause != null) {
                return; // stopped meanwhile: stop() has ended the step
            }
            try {
                task = Timer.get().schedule(next, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // Jenkins is stopping: onResume() goes on from the saved fields.
                LOGGER.log(Level.FINE, "migrateSchema: the timer is stopped; waiting for onResume()", e);
            }
        }

        private ListenerProgress progress() throws IOException, InterruptedException {
            return new ListenerProgress(getContext().get(TaskListener.class));
        }

        private void log(String line) {
            try {
                FleetSteps.log(getContext(), line);
            } catch (IOException | InterruptedException e) {
                LOGGER.log(Level.FINE, "no log for migrateSchema", e);
            }
        }

        private void record(String target, String outcome, String detail) throws IOException, InterruptedException {
            FleetSummaryAction.record(getContext().get(Run.class), new FleetOperationRecord("migrateSchema", target, plan.version(),
                    outcome, detail, startedMillis, System.currentTimeMillis() - startedMillis, List.of()));
        }

        private void recordQuietly(String outcome, String detail) {
            try {
                record(settings.getApp(), outcome, detail);
            } catch (IOException | InterruptedException | RuntimeException e) {
                LOGGER.log(Level.FINE, "no summary for migrateSchema", e);
            }
        }

        private static String describe(Map<String, Object> r, String snapshot) {
            boolean dryRun = Boolean.TRUE.equals(r.get("dryRun"));
            return "schema " + (r.get("versionBefore") == null ? "(empty)" : r.get("versionBefore")) + " -> "
                    + (r.get("versionAfter") == null ? "(empty)" : r.get("versionAfter")) + ", "
                    + (dryRun ? ((List<?>) r.get("pending")).size() + " pending" : ((List<?>) r.get("applied")).size() + " applied")
                    + (snapshot != null ? ", snapshot " + snapshot : "");
        }

        /**
         * The step's result. After a re-run, versionBefore and pending are what the step first saw, and
         * applied is every migration pending then that is applied now (before or after the restart).
         */
        private static Map<String, Object> toMap(MigrateResult r, FirstLook first) {
            List<String> applied = r.applied().stream().map(MigrateResult.AppliedMigration::version).toList();
            List<String> pending = r.pending().stream().map(MigrateResult.PendingMigration::version).toList();
            String before = r.versionBefore();
            if (first != null && !r.dryRun()) {
                Set<String> stillPending = new HashSet<>(r.pending().stream().map(MigrateResult.PendingMigration::script).toList());
                r.applied().forEach(m -> stillPending.remove(m.script()));
                List<String> appliedByStep = new ArrayList<>();
                for (int i = 0; i < first.scripts().size(); i++) {
                    if (!stillPending.contains(first.scripts().get(i))) {
                        appliedByStep.add(first.versions().get(i));
                    }
                }
                applied = appliedByStep;
                pending = first.versions();
                before = first.versionBefore();
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("database", r.database());
            out.put("versionBefore", before);
            out.put("versionAfter", r.versionAfter());
            out.put("applied", applied);
            out.put("pending", pending);
            out.put("snapshotId", r.snapshotId());
            out.put("dryRun", r.dryRun());
            return out;
        }

        /** The schema version and the pending migrations (versions and scripts, in order) when the step first looked. */
        private record FirstLook(String versionBefore, List<String> versions, List<String> scripts) implements Serializable {
            static FirstLook of(MigrateResult look) {
                return new FirstLook(look.versionBefore(),
                        new ArrayList<>(look.pending().stream().map(MigrateResult.PendingMigration::version).toList()),
                        new ArrayList<>(look.pending().stream().map(MigrateResult.PendingMigration::script).toList()));
            }
        }

        private record Migrator(SchemaMigrator schema, RdsDatabases rds) {
        }

        @FunctionalInterface
        private interface MigratorCall<T> {
            T apply(Migrator migrator, MigrateRequest request) throws IOException, InterruptedException;
        }

        @FunctionalInterface
        private interface Work {
            void run() throws Exception;
        }
    }

    @Extension
    @Symbol("migrateSchema")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "migrateSchema";
        }

        @Override
        public String getDisplayName() {
            return "Run the release's database migrations";
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class, hudson.EnvVars.class, FilePath.class);
        }

        public FormValidation doCheckMigrations(@QueryParameter String value) {
            return value == null || value.isBlank()
                    ? FormValidation.error("Required: the directory of migration scripts, relative to the workspace.")
                    : FormValidation.ok();
        }

        public FormValidation doCheckVersion(@QueryParameter String value) {
            return checkName("version", value);
        }
    }
}
