package io.jenkins.plugins.fleetdeploy.steps;

import hudson.EnvVars;
import hudson.Extension;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.schema.ConnectedDatabase;
import io.fleetdeploy.core.schema.DatabaseConnector;
import io.fleetdeploy.core.schema.FlipRequest;
import io.fleetdeploy.core.schema.KeyExpectation;
import io.fleetdeploy.core.schema.SchemaKeyChange;
import io.fleetdeploy.core.schema.SchemaKeyStore;
import io.fleetdeploy.core.schema.SchemaKeyTables;
import io.jenkins.plugins.fleetdeploy.FleetConnection;
import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.ListenerProgress;
import io.jenkins.plugins.fleetdeploy.StepFailures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.jenkinsci.plugins.workflow.steps.SynchronousNonBlockingStepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * {@code flipSchemaKey to: 'v8', expect: 'v7', jdbcUrl: ..., databaseCredentialsId: 'db'}: moves the
 * app's schema key by compare-and-set, so of two pipelines flipping from the same key one wins
 * and the other fails saying who won. Returns a map: app, fromKey, toKey, changedAt, changedBy, forced.
 */
public final class FlipSchemaKeyStep extends DatabaseStep {

    private final String to;
    private String expect;
    private boolean expectUnset;
    private boolean force;
    private String note;
    private String keyTable;

    @DataBoundConstructor
    public FlipSchemaKeyStep(String to) {
        this.to = to;
    }

    public String getTo() {
        return to;
    }

    public String getExpect() {
        return expect;
    }

    @DataBoundSetter
    public void setExpect(String expect) {
        this.expect = expect;
    }

    public boolean isExpectUnset() {
        return expectUnset;
    }

    @DataBoundSetter
    public void setExpectUnset(boolean expectUnset) {
        this.expectUnset = expectUnset;
    }

    public boolean isForce() {
        return force;
    }

    @DataBoundSetter
    public void setForce(boolean force) {
        this.force = force;
    }

    public String getNote() {
        return note;
    }

    @DataBoundSetter
    public void setNote(String note) {
        this.note = note;
    }

    public String getKeyTable() {
        return keyTable;
    }

    @DataBoundSetter
    public void setKeyTable(String keyTable) {
        this.keyTable = keyTable;
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(context, this);
    }

    /** One short transaction; after a restart it fails rather than guess whether the flip happened (the history says). */
    static final class Execution extends SynchronousNonBlockingStepExecution<Map<String, Object>> {

        private static final long serialVersionUID = 1L;

        private final transient FlipSchemaKeyStep step;

        Execution(StepContext context, FlipSchemaKeyStep step) {
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
            try {
                FlipRequest request = request(settings, context.get(EnvVars.class));
                try (FleetConnection connection = step.needsAws() ? FleetSteps.connect(context, settings) : null) {
                    ConnectedDatabase database = new DatabaseConnector(rds(connection)).connect(step.target(run), progress);
                    SchemaKeyChange change = new SchemaKeyStore(database,
                            step.keyTable == null || step.keyTable.isBlank() ? SchemaKeyTables.DEFAULT : SchemaKeyTables.named(step.keyTable))
                            .flip(request, progress);
                    FleetSummaryAction.record(run, new FleetOperationRecord("flipSchemaKey", request.app(), step.to, "SUCCEEDED",
                            (change.fromKey() == null ? "(none)" : change.fromKey()) + " -> " + change.toKey()
                                    + (change.forced() ? " (forced)" : ""),
                            started, System.currentTimeMillis() - started, List.of()));
                    return toMap(change);
                }
            } catch (FleetDeployException e) {
                FleetSummaryAction.record(run, new FleetOperationRecord("flipSchemaKey", settings.getApp(), step.to, "FAILED",
                        e.getMessage(), started, System.currentTimeMillis() - started, List.of()));
                throw StepFailures.abort(e);
            }
        }

        private FlipRequest request(FleetSettings settings, EnvVars env) {
            if (settings.getApp() == null) {
                throw FleetDeployException.invalidInput("No app was given.", "Pass app: to the step or to an enclosing withFleet block.");
            }
            Names.requireSafe("schema key", step.to);
            int ways = (step.expect != null && !step.expect.isBlank() ? 1 : 0) + (step.expectUnset ? 1 : 0) + (step.force ? 1 : 0);
            if (ways != 1) {
                throw FleetDeployException.invalidInput("flipSchemaKey needs exactly one of expect:, expectUnset: true or force: true.",
                        "Say which key you expect to replace (expect: 'v7'), that there is none yet (expectUnset: true),"
                                + " or, to override whatever is there, force: true.");
            }
            KeyExpectation expectation = step.force ? new KeyExpectation.Anything()
                    : step.expectUnset ? new KeyExpectation.Unset()
                    : new KeyExpectation.Is(Names.requireSafe("expected schema key", step.expect));
            String changedBy = env.get("BUILD_URL") != null ? env.get("BUILD_URL") : "jenkins";
            return new FlipRequest(settings.getApp(), expectation, step.to, changedBy, step.note);
        }

        private static Map<String, Object> toMap(SchemaKeyChange change) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("app", change.app());
            out.put("fromKey", change.fromKey());
            out.put("toKey", change.toKey());
            out.put("changedAt", change.changedAt().toString());
            out.put("changedBy", change.changedBy());
            out.put("forced", change.forced());
            return out;
        }
    }

    @Extension
    @Symbol("flipSchemaKey")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "flipSchemaKey";
        }

        @Override
        public String getDisplayName() {
            return "Move the app's schema key (compare-and-set)";
        }

        public FormValidation doCheckTo(@QueryParameter String value) {
            return value == null || value.isBlank() ? FormValidation.error("Required: the key to move to.") : checkName("schema key", value);
        }

        public FormValidation doCheckExpect(@QueryParameter String value) {
            return checkName("schema key", value);
        }
    }
}
