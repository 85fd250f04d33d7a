package io.jenkins.plugins.fleetdeploy.steps;

import hudson.AbortException;
import hudson.Extension;
import hudson.FilePath;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.schema.MigrateRequest;
import io.fleetdeploy.core.schema.MigrateResult;
import io.fleetdeploy.core.schema.MigrationSource;
import io.fleetdeploy.core.schema.ReleaseBundleSource;
import io.fleetdeploy.core.schema.SchemaMigrator;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
     * Migrates on a timer thread. With {@code snapshot: true} it holds no thread while RDS copies the
     * database: CreateDBSnapshot, then a poll from {@link Timer} every few seconds (the SleepStep
     * pattern: the snapshot id and deadline are fields saved with the Pipeline), then the migration.
     * A controller restart during the snapshot wait goes on waiting; a restart during the migration
     * itself fails the step, and running it again is safe: Flyway applies only what is still
     * pending, under its lock.
     */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;
        private static final Logger LOGGER = Logger.getLogger(Execution.class.getName());
        private static final Duration SNAPSHOT_POLL = Duration.ofSeconds(2);

        private final Plan plan;
        private final FleetSettings settings;
        private final long startedMillis;
        private volatile String snapshotId;
        private volatile long snapshotDeadlineMillis;
        private volatile boolean migrating;

        private transient volatile ScheduledFuture<?> task;

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
            schedule(Duration.ZERO, plan.takesSnapshot() ? this::startSnapshot : this::migrate);
            return false;
        }

        @Override
        public void onResume() {
            if (snapshotId != null && !migrating) {
                log("taken back after a controller restart: still waiting for RDS snapshot " + snapshotId);
                schedule(Duration.ZERO, this::pollSnapshot);
                return;
            }
            getContext().onFailure(new AbortException("Jenkins restarted while migrateSchema was "
                    + (migrating ? "migrating" : "starting") + "; "
                    + (snapshotId != null ? "RDS snapshot " + snapshotId + " was taken first. " : "")
                    + "Run the build again: Flyway applies only the migrations that are still pending, under its lock."));
        }

        @Override
        public void stop(Throwable cause) throws Exception {
            ScheduledFuture<?> pending = task;
            if (pending != null) {
                // A migration in progress is let finish (cancel(false)): cutting Flyway off mid-script helps no one.
                pending.cancel(false);
            }
            getContext().onFailure(cause);
        }

        @Override
        public String getStatus() {
            if (migrating) {
                return "migrateSchema: migrating" + (snapshotId != null ? " (after RDS snapshot " + snapshotId + ")" : "");
            }
            if (snapshotId != null) {
                return "migrateSchema: waiting for RDS snapshot " + snapshotId + " to become available (until "
                        + Instant.ofEpochMilli(snapshotDeadlineMillis) + ")";
            }
            return "migrateSchema: starting";
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
        private void startSnapshot() {
            run(() -> {
                String id = withMigrator((migrator, request) -> {
                    if (migrator.migrate(request.withDryRun(true), progress()).pending().isEmpty()) {
                        return null; // nothing to apply: no snapshot needed, as the engine's own migrate decides
                    }
                    String name = migrator.snapshotName(request);
                    log("Taking RDS snapshot " + name + " of " + request.database().rdsInstanceId() + " before migrating");
                    migrator.rds().startSnapshot(request.database().rdsInstanceId(), name);
                    snapshotDeadlineMillis = System.currentTimeMillis() + request.snapshotTimeout().toMillis();
                    return name;
                });
                if (id == null) {
                    migrate();
                    return;
                }
                snapshotId = id;
                getContext().saveState();
                schedule(SNAPSHOT_POLL, this::pollSnapshot);
            });
        }

        private void pollSnapshot() {
            run(() -> {
                String status = withMigrator((migrator, request) -> migrator.rds().snapshotStatus(snapshotId));
                if ("available".equals(status)) {
                    log("RDS snapshot " + snapshotId + " is available");
                    migrate();
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

        private void migrate() {
            run(() -> {
                migrating = true;
                MigrateResult result = withMigrator((migrator, request) -> snapshotId != null
                        ? migrator.migrateAfterSnapshot(request, snapshotId, progress())
                        : migrator.migrate(request, progress()));
                record(result.database(), result.dryRun() ? "DRY RUN" : result.applied().isEmpty() ? "UNCHANGED" : "SUCCEEDED",
                        describe(result));
                getContext().onSuccess(toMap(result));
            });
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

        private void run(Work work) {
            try {
                work.run();
            } catch (FleetDeployException e) {
                recordQuietly("FAILED", e.getMessage());
                getContext().onFailure(StepFailures.abort(e));
            } catch (Exception e) {
                recordQuietly("FAILED", e.getMessage());
                getContext().onFailure(e);
            }
        }

        private void schedule(Duration delay, Runnable next) {
            if (Thread.currentThread().isInterrupted()) {
                return; // a timer thread interrupted by Timer.shutdown(): Jenkins is stopping; onResume() goes on
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

        private static String describe(MigrateResult r) {
            return "schema " + (r.versionBefore() == null ? "(empty)" : r.versionBefore()) + " -> "
                    + (r.versionAfter() == null ? "(empty)" : r.versionAfter()) + ", "
                    + (r.dryRun() ? r.pending().size() + " pending" : r.applied().size() + " applied")
                    + (r.snapshotId() != null ? ", snapshot " + r.snapshotId() : "");
        }

        private static Map<String, Object> toMap(MigrateResult r) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("database", r.database());
            out.put("versionBefore", r.versionBefore());
            out.put("versionAfter", r.versionAfter());
            out.put("applied", r.applied().stream().map(MigrateResult.AppliedMigration::version).toList());
            out.put("pending", r.pending().stream().map(MigrateResult.PendingMigration::version).toList());
            out.put("snapshotId", r.snapshotId());
            out.put("dryRun", r.dryRun());
            return out;
        }

        private record Migrator(SchemaMigrator schema, RdsDatabases rds) {
            MigrateResult migrate(MigrateRequest request, ListenerProgress progress) {
                return schema.migrate(request, progress);
            }

            MigrateResult migrateAfterSnapshot(MigrateRequest request, String snapshot, ListenerProgress progress) {
                return schema.migrateAfterSnapshot(request, snapshot, progress);
            }

            String snapshotName(MigrateRequest request) {
                return schema.snapshotName(request);
            }
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
