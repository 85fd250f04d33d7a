package io.jenkins.plugins.fleetdeploy.steps;

import hudson.Extension;
import hudson.model.Run;
import hudson.model.TaskListener;
import io.fleetdeploy.core.FleetDeployException;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.StepFailures;
import java.util.Set;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;

/**
 * {@code withFleet(app: 'shop', bucket: 'releases', credentialsId: 'deployer', region: 'eu-west-1') { ... }}:
 * sets where and as whom every fleet step inside works. Blocks nest; the inner value wins, and a
 * step's own argument wins over both.
 */
public final class WithFleetStep extends FleetStep {

    @DataBoundConstructor
    public WithFleetStep() {
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(context, ownSettings());
    }

    /** Adds the merged settings to the body's context; holds no thread while the body runs. */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;

        private final FleetSettings own;

        Execution(StepContext context, FleetSettings own) {
            super(context);
            this.own = own;
        }

        @Override
        public boolean start() throws Exception {
            StepContext context = getContext();
            FleetSettings outer = context.get(FleetSettings.class);
            FleetSettings merged = (outer != null ? outer : FleetSettings.none()).overriddenBy(own);
            try {
                FleetSteps.checkCredentialUsable(merged, context.get(Run.class));
            } catch (FleetDeployException e) {
                throw StepFailures.abort(e);
            }
            context.get(TaskListener.class).getLogger().println("[fleet-deploy] withFleet: " + FleetSteps.describe(merged));
            context.newBodyInvoker()
                    .withContext(merged)
                    .withCallback(BodyExecutionCallback.wrap(context))
                    .start();
            return false;
        }
    }

    @Extension
    @Symbol("withFleet")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "withFleet";
        }

        @Override
        public String getDisplayName() {
            return "Set the AWS account, region, bucket and app for the fleet steps inside";
        }

        @Override
        public boolean takesImplicitBlockArgument() {
            return true;
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class);
        }

        @Override
        public Set<? extends Class<?>> getProvidedContext() {
            return Set.of(FleetSettings.class);
        }
    }
}
