package io.jenkins.plugins.fleetdeploy.steps;

import hudson.Extension;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.fleet.RolloutRequest;
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
 * {@code rolloutGroup group: 'shop-web', version: '1.4.2', strategy: 'push'}: puts a published release
 * on a group (or, push, on part of it: {@code instanceCount}, {@code instanceIds}), in place in health-gated batches (push), by moving the group's channel pointer and
 * waiting for the instances to converge (pull), or on new capacity (replace). Failure or abort
 * puts back everything it changed.
 */
public final class RolloutGroupStep extends FleetOperationStep {

    private final String group;
    private final String version;
    private String strategy;
    private String channel;
    private Integer batchSize;
    private Integer batchPercent;
    private Integer minHealthyPercent;
    private boolean canary;
    private Integer pauseSeconds;
    private Integer healthyChecks;
    private Integer convergePercent;
    private Integer capacity;
    private String matchGroup;
    private Integer commandTimeoutMinutes;
    private Integer instanceCount;
    private List<String> instanceIds;

    @DataBoundConstructor
    public RolloutGroupStep(String group, String version) {
        this.group = group;
        this.version = version;
    }

    RolloutRequest request() {
        checkBounds();
        RolloutRequest.Strategy chosen;
        try {
            chosen = strategy == null || strategy.isBlank() ? null : RolloutRequest.Strategy.valueOf(strategy.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw FleetDeployException.invalidInput("strategy '" + strategy + "' is not known.", "Use 'push' (the default), 'pull' or 'replace'.");
        }
        return new RolloutRequest(group, version, chosen, channel, batchSize, batchPercent, minHealthyPercent, canary,
                pauseSeconds == null ? null : Duration.ofSeconds(pauseSeconds), healthyChecks, timeout(), failureMode(),
                convergePercent, capacity, matchGroup,
                commandTimeoutMinutes == null ? null : Duration.ofMinutes(commandTimeoutMinutes), instanceCount, instanceIds).checked();
    }

    @Override
    public StepExecution start(StepContext context) throws Exception {
        return new Execution(context, this);
    }

    static final class Execution extends FleetOperationExecution {
        private static final long serialVersionUID = 1L;

        private final transient RolloutGroupStep step;
        private final Duration poll;

        Execution(StepContext context, RolloutGroupStep step) throws Exception {
            super(context, "rolloutGroup", step.group, step.version, FleetSteps.effective(context, step), step);
            this.step = step;
            this.poll = step.pollInterval();
        }

        @Override
        void validate() {
            step.request();
        }

        @Override
        OperationRunner.Session<?, ?> begin(FleetOperations operations, AbortSignal abort) {
            return operations.startRollout(step.request(), abort);
        }

        @Override
        Duration pollInterval() {
            return poll;
        }
    }

    public String getGroup() {
        return group;
    }

    public String getVersion() {
        return version;
    }

    public String getStrategy() {
        return strategy;
    }

    @DataBoundSetter
    public void setStrategy(String strategy) {
        this.strategy = strategy;
    }

    public String getChannel() {
        return channel;
    }

    @DataBoundSetter
    public void setChannel(String channel) {
        this.channel = channel;
    }

    public Integer getBatchSize() {
        return batchSize;
    }

    @DataBoundSetter
    public void setBatchSize(Integer batchSize) {
        this.batchSize = batchSize;
    }

    public Integer getBatchPercent() {
        return batchPercent;
    }

    @DataBoundSetter
    public void setBatchPercent(Integer batchPercent) {
        this.batchPercent = batchPercent;
    }

    public Integer getMinHealthyPercent() {
        return minHealthyPercent;
    }

    @DataBoundSetter
    public void setMinHealthyPercent(Integer minHealthyPercent) {
        this.minHealthyPercent = minHealthyPercent;
    }

    public boolean isCanary() {
        return canary;
    }

    @DataBoundSetter
    public void setCanary(boolean canary) {
        this.canary = canary;
    }

    public Integer getPauseSeconds() {
        return pauseSeconds;
    }

    @DataBoundSetter
    public void setPauseSeconds(Integer pauseSeconds) {
        this.pauseSeconds = pauseSeconds;
    }

    public Integer getHealthyChecks() {
        return healthyChecks;
    }

    @DataBoundSetter
    public void setHealthyChecks(Integer healthyChecks) {
        this.healthyChecks = healthyChecks;
    }

    public Integer getConvergePercent() {
        return convergePercent;
    }

    @DataBoundSetter
    public void setConvergePercent(Integer convergePercent) {
        this.convergePercent = convergePercent;
    }

    public Integer getCapacity() {
        return capacity;
    }

    @DataBoundSetter
    public void setCapacity(Integer capacity) {
        this.capacity = capacity;
    }

    public String getMatchGroup() {
        return matchGroup;
    }

    @DataBoundSetter
    public void setMatchGroup(String matchGroup) {
        this.matchGroup = matchGroup;
    }

    public Integer getCommandTimeoutMinutes() {
        return commandTimeoutMinutes;
    }

    @DataBoundSetter
    public void setCommandTimeoutMinutes(Integer commandTimeoutMinutes) {
        this.commandTimeoutMinutes = commandTimeoutMinutes;
    }

    public Integer getInstanceCount() {
        return instanceCount;
    }

    @DataBoundSetter
    public void setInstanceCount(Integer instanceCount) {
        this.instanceCount = instanceCount;
    }

    public List<String> getInstanceIds() {
        return instanceIds;
    }

    @DataBoundSetter
    public void setInstanceIds(List<String> instanceIds) {
        this.instanceIds = instanceIds;
    }

    @Extension
    @Symbol("rolloutGroup")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "rolloutGroup";
        }

        @Override
        public String getDisplayName() {
            return "Put a published release on an Auto Scaling group (push, pull or replace)";
        }

        public ListBoxModel doFillStrategyItems() {
            ListBoxModel items = new ListBoxModel();
            items.add("push: in place, in health-gated batches", "push");
            items.add("pull: move the channel pointer, wait for convergence", "pull");
            items.add("replace: new capacity", "replace");
            return items;
        }

        public FormValidation doCheckGroup(@QueryParameter String value) {
            return checkName("group", value);
        }

        public FormValidation doCheckVersion(@QueryParameter String value) {
            return checkName("version", value);
        }

        public FormValidation doCheckBatchPercent(@QueryParameter String value) {
            return checkPercent("batchPercent", value);
        }

        public FormValidation doCheckMinHealthyPercent(@QueryParameter String value) {
            return checkPercent("minHealthyPercent", value);
        }

        public FormValidation doCheckConvergePercent(@QueryParameter String value) {
            return checkPercent("convergePercent", value);
        }
    }
}
