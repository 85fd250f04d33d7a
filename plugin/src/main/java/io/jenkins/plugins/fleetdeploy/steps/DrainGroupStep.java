package io.jenkins.plugins.fleetdeploy.steps;

import hudson.Extension;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.fleet.DrainRequest;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRunner;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * {@code drainGroup group: 'shop-blue'}: takes instances (all, a count, a percentage or a list) out
 * of traffic and waits until their in-flight requests end; {@code restore: true} puts back the
 * group's last drain. Reversible: failure or abort undoes what it changed.
 */
public final class DrainGroupStep extends FleetOperationStep {

    private final String group;
    private Integer count;
    private Integer percent;
    private List<String> instanceIds;
    private String mode;
    private boolean restore;

    @DataBoundConstructor
    public DrainGroupStep(String group) {
        this.group = group;
    }

    DrainRequest request() {
        checkBounds();
        DrainRequest.Mode drainMode;
        try {
            drainMode = mode == null || mode.isBlank() ? null
                    : DrainRequest.Mode.valueOf(mode.strip().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw FleetDeployException.invalidInput("mode '" + mode + "' is not known.",
                    "Use 'standby' (the default), 'deregister' or 'scaleToZero'.");
        }
        return new DrainRequest(group, count, percent, instanceIds, drainMode, timeout(), failureMode(), restore).checked();
    }

    @Override
    public StepExecution start(StepContext context) throws Exception {
        return new Execution(context, this);
    }

    static final class Execution extends FleetOperationExecution {
        private static final long serialVersionUID = 1L;

        private final transient DrainGroupStep step;
        private final Duration poll;

        Execution(StepContext context, DrainGroupStep step) throws Exception {
            super(context, "drainGroup", step.group, null, FleetSteps.effective(context, step), step);
            this.step = step;
            this.poll = step.pollInterval();
        }

        @Override
        void validate() {
            step.request();
        }

        @Override
        OperationRunner.Session<?, ?> begin(FleetOperations operations, AbortSignal abort) {
            return operations.startDrain(step.request(), abort);
        }

        @Override
        Duration pollInterval() {
            return poll;
        }
    }

    public String getGroup() {
        return group;
    }

    public Integer getCount() {
        return count;
    }

    @DataBoundSetter
    public void setCount(Integer count) {
        this.count = count;
    }

    public Integer getPercent() {
        return percent;
    }

    @DataBoundSetter
    public void setPercent(Integer percent) {
        this.percent = percent;
    }

    public List<String> getInstanceIds() {
        return instanceIds;
    }

    @DataBoundSetter
    public void setInstanceIds(List<String> instanceIds) {
        this.instanceIds = instanceIds;
    }

    public String getMode() {
        return mode;
    }

    @DataBoundSetter
    public void setMode(String mode) {
        this.mode = mode;
    }

    public boolean isRestore() {
        return restore;
    }

    @DataBoundSetter
    public void setRestore(boolean restore) {
        this.restore = restore;
    }

    @Extension
    @Symbol("drainGroup")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "drainGroup";
        }

        @Override
        public String getDisplayName() {
            return "Take instances of an Auto Scaling group out of traffic and wait for in-flight requests";
        }

        public ListBoxModel doFillModeItems() {
            ListBoxModel items = new ListBoxModel();
            items.add("standby", "standby");
            items.add("deregister", "deregister");
            items.add("scaleToZero", "scaleToZero");
            return items;
        }

        public FormValidation doCheckGroup(@QueryParameter String value) {
            return checkName("group", value);
        }

        public FormValidation doCheckPercent(@QueryParameter String value) {
            return checkPercent("percent", value);
        }
    }
}
