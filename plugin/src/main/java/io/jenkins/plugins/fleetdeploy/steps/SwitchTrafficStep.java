package io.jenkins.plugins.fleetdeploy.steps;

import hudson.Extension;
import hudson.util.FormValidation;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.fleet.SwitchRequest;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRunner;
import java.time.Duration;
import java.util.List;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * {@code switchTraffic listenerArn: ..., targetGroup: 'shop-green', steps: [10, 50, 100], bakeSeconds: 60}:
 * moves a listener's (or rule's) traffic to a target group, at once or by weights, checking the new
 * group's health while it bakes; failure or abort sends the traffic back where it was.
 */
public final class SwitchTrafficStep extends FleetOperationStep {

    private final String listenerArn;
    private final String targetGroup;
    private List<Integer> steps;
    private Integer bakeSeconds;
    private boolean healthGate = true;
    private String lockGroup;

    @DataBoundConstructor
    public SwitchTrafficStep(String listenerArn, String targetGroup) {
        this.listenerArn = listenerArn;
        this.targetGroup = targetGroup;
    }

    SwitchRequest request() {
        checkBounds();
        return new SwitchRequest(listenerArn, targetGroup, steps, bakeSeconds == null ? null : Duration.ofSeconds(bakeSeconds),
                healthGate, timeout(), failureMode(), lockGroup).checked();
    }

    @Override
    public StepExecution start(StepContext context) throws Exception {
        return new Execution(context, this);
    }

    static final class Execution extends FleetOperationExecution {
        private static final long serialVersionUID = 1L;

        private final transient SwitchTrafficStep step;
        private final Duration poll;

        Execution(StepContext context, SwitchTrafficStep step) throws Exception {
            super(context, "switchTraffic", step.targetGroup, null, FleetSteps.effective(context, step), step);
            this.step = step;
            this.poll = step.pollInterval();
        }

        @Override
        void validate() {
            step.request();
        }

        @Override
        OperationRunner.Session<?, ?> begin(FleetOperations operations, AbortSignal abort) {
            return operations.startSwitch(step.request(), abort);
        }

        @Override
        Duration pollInterval() {
            return poll;
        }
    }

    public String getListenerArn() {
        return listenerArn;
    }

    public String getTargetGroup() {
        return targetGroup;
    }

    public List<Integer> getSteps() {
        return steps;
    }

    @DataBoundSetter
    public void setSteps(List<Integer> steps) {
        this.steps = steps;
    }

    public Integer getBakeSeconds() {
        return bakeSeconds;
    }

    @DataBoundSetter
    public void setBakeSeconds(Integer bakeSeconds) {
        this.bakeSeconds = bakeSeconds;
    }

    public boolean isHealthGate() {
        return healthGate;
    }

    @DataBoundSetter
    public void setHealthGate(boolean healthGate) {
        this.healthGate = healthGate;
    }

    public String getLockGroup() {
        return lockGroup;
    }

    @DataBoundSetter
    public void setLockGroup(String lockGroup) {
        this.lockGroup = lockGroup;
    }

    @Extension
    @Symbol("switchTraffic")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "switchTraffic";
        }

        @Override
        public String getDisplayName() {
            return "Move a load balancer listener's traffic to a target group";
        }

        public FormValidation doCheckListenerArn(@QueryParameter String value) {
            return value == null || value.isBlank() || value.contains("${")
                    || value.startsWith("arn:") && (value.contains(":listener/") || value.contains(":listener-rule/"))
                    ? FormValidation.ok()
                    : FormValidation.error("A listener ARN (arn:aws:elasticloadbalancing:...:listener/...) or a rule ARN.");
        }
    }
}
