package io.fleetdeploy.core.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One look at a group: the group itself (empty when it no longer exists), every instance's target
 * states across the group's target groups, what the agent reported for the instances asked about,
 * the channel pointer, how the SSM commands asked about run (instance id -> invocation; an
 * instance whose invocation SSM does not list yet is left out) and, when asked for, how long the
 * group's target groups may take to report a failing target ({@link HealthCheck#failureDetection()},
 * the longest of them; null when not asked for).
 */
public record FleetObservation(Optional<GroupView> group, Map<String, List<TargetState>> targets,
                               Map<String, InstanceStatus> statuses, Optional<String> channelVersion,
                               Map<String, FleetPorts.CommandInvocation> commands, Duration failureDetection) {

    public FleetObservation {
        targets = Map.copyOf(targets);
        statuses = Map.copyOf(statuses);
        commands = commands == null ? Map.of() : Map.copyOf(commands);
    }

    /** A look that asked about no target group's health check settings. */
    public FleetObservation(Optional<GroupView> group, Map<String, List<TargetState>> targets,
                            Map<String, InstanceStatus> statuses, Optional<String> channelVersion,
                            Map<String, FleetPorts.CommandInvocation> commands) {
        this(group, targets, statuses, channelVersion, commands, null);
    }

    /** A look that asked about no command. */
    public FleetObservation(Optional<GroupView> group, Map<String, List<TargetState>> targets,
                            Map<String, InstanceStatus> statuses, Optional<String> channelVersion) {
        this(group, targets, statuses, channelVersion, Map.of());
    }

    public FleetObservation withCommands(Map<String, FleetPorts.CommandInvocation> invocations) {
        return new FleetObservation(group, targets, statuses, channelVersion, invocations, failureDetection);
    }

    public FleetObservation withFailureDetection(Duration longest) {
        return new FleetObservation(group, targets, statuses, channelVersion, commands, longest);
    }

    public Optional<GroupView.InstanceView> instance(String id) {
        return group.flatMap(g -> g.instance(id));
    }

    /** InService, and healthy in every target group of the group (or, without target groups, healthy for Auto Scaling). */
    public boolean servesHealthy(String id) {
        Optional<GroupView.InstanceView> instance = instance(id);
        if (instance.isEmpty() || !instance.get().inService()) {
            return false;
        }
        boolean hasTargetGroups = group.map(g -> !g.targetGroupArns().isEmpty()).orElse(false);
        if (!hasTargetGroups) {
            return "Healthy".equalsIgnoreCase(instance.get().healthStatus());
        }
        List<TargetState> states = targets.getOrDefault(id, List.of());
        return states.size() == group.get().targetGroupArns().size() && states.stream().allMatch(TargetState::healthy);
    }

    /** InService and reported unhealthy by at least one target group (not merely "initial", not yet checked enough). */
    public boolean reportedUnhealthy(String id) {
        return instance(id).map(GroupView.InstanceView::inService).orElse(false)
                && targets.getOrDefault(id, List.of()).stream().anyMatch(TargetState::unhealthy);
    }

    /** True when no target group still drains the instance. */
    public boolean drained(String id) {
        return targets.getOrDefault(id, List.of()).stream().noneMatch(TargetState::draining);
    }

    public boolean runs(String id, String version) {
        InstanceStatus status = statuses.get(id);
        return status != null && status.runs(version);
    }

    /** For messages: "i-1: InService, target unhealthy (Target.FailedHealthChecks), reports 1.2 installed". */
    public String describe(String id) {
        Optional<GroupView.InstanceView> instance = instance(id);
        if (instance.isEmpty()) {
            return id + ": no longer in the group";
        }
        StringBuilder out = new StringBuilder(id).append(": ").append(instance.get().lifecycleState());
        List<TargetState> states = targets.getOrDefault(id, List.of());
        if (!states.isEmpty()) {
            out.append(", target ").append(states.stream().map(TargetState::toString).reduce((a, b) -> a + "/" + b).orElse(""));
        }
        InstanceStatus status = statuses.get(id);
        out.append(status == null ? ", no status reported"
                : ", reports " + status.version() + " " + status.result() + (status.message() == null ? "" : " (" + status.message() + ")"));
        return out.toString();
    }
}
