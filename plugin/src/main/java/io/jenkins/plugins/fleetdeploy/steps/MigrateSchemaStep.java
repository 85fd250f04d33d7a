package io.jenkins.plugins.fleetdeploy.steps;

import hudson.Extension;
import hudson.FilePath;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.jenkinsci.plugins.workflow.steps.SynchronousNonBlockingStepExecution;
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
        return super.needsAws() || snapshot;
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(context, this);
    }

    /**
     * The engine's migrate is one blocking call (the snapshot wait included), so this holds a
     * background thread; after a restart it fails, and running again is safe: Flyway applies only
     * what is still pending, under its lock.
     */
    static final class Execution extends SynchronousNonBlockingStepExecution<Map<String, Object>> {

        private static final long serialVersionUID = 1L;

        private final transient MigrateSchemaStep step;

        Execution(StepContext context, MigrateSchemaStep step) {
            super(context);
            this.step = step;
        }

        @Override
        protected Map<String, Object> run() throws Exception {
            StepContext context = getContext();
            Run<?, ?> run = context.get(Run.class);
            ListenerProgress progress = new ListenerProgress(context.get(TaskListener.class));
            long started = System.currentTimeMillis();
            FleetSettings settings = FleetSteps.effective(context, step);
            String target = settings.getApp();
            try {
                validate(settings);
                FilePath source = Workspaces.existing(context.get(FilePath.class), step.migrations, "migrations");
                Path local = Files.createTempDirectory("fleet-deploy-migrations-");
                try (FleetConnection connection = step.needsAws() ? FleetSteps.connect(context, settings) : null) {
                    Path scripts = Workspaces.copyToController(source, local);
                    MigrateRequest request = new MigrateRequest(settings.getApp(), step.version, step.target(run),
                            new MigrationSource.Directory(scripts), step.dryRun, step.allowContract, step.snapshot,
                            minutes(step.snapshotTimeoutMinutes), step.historyTable, minutes(step.lockWaitMinutes));
                    MigrateResult result = new SchemaMigrator(rds(connection), ReleaseBundleSource.NONE, Clock.systemUTC())
                            .migrate(request, progress);
                    target = result.database();
                    FleetSummaryAction.record(run, new FleetOperationRecord("migrateSchema", target, step.version,
                            result.dryRun() ? "DRY RUN" : result.applied().isEmpty() ? "UNCHANGED" : "SUCCEEDED",
                            describe(result), started, System.currentTimeMillis() - started, List.of()));
                    return toMap(result);
                } finally {
                    Workspaces.deleteRecursively(local);
                }
            } catch (FleetDeployException e) {
                FleetSummaryAction.record(run, new FleetOperationRecord("migrateSchema", target, step.version, "FAILED",
                        e.getMessage(), started, System.currentTimeMillis() - started, List.of()));
                throw StepFailures.abort(e);
            }
        }

        private void validate(FleetSettings settings) {
            if (step.migrations == null || step.migrations.isBlank()) {
                throw FleetDeployException.invalidInput("migrateSchema needs migrations: the directory of migration scripts.",
                        "Pass migrations: 'db/migration' (relative to the workspace).");
            }
            if (settings.getApp() == null) {
                throw FleetDeployException.invalidInput("No app was given.", "Pass app: to the step or to an enclosing withFleet block.");
            }
            if (step.version != null) {
                Names.requireSafe("version", step.version);
            }
        }

        private static Duration minutes(int minutes) {
            return minutes > 0 ? Duration.ofMinutes(minutes) : null;
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
