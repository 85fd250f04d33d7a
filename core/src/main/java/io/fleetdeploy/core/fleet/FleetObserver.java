package io.fleetdeploy.core.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Read-only look at a group through the ports: Describe* calls and status objects, never a change. */
public final class FleetObserver {

    private final FleetPorts.Groups groups;
    private final FleetPorts.Traffic traffic;
    private final FleetPorts.Statuses statuses;
    private final FleetPorts.Releases releases;
    private final FleetPorts.Commands commands;

    public FleetObserver(FleetPorts.Groups groups, FleetPorts.Traffic traffic, FleetPorts.Statuses statuses,
                         FleetPorts.Releases releases, FleetPorts.Commands commands) {
        this.commands = commands;
        this.groups = groups;
        this.traffic = traffic;
        this.statuses = statuses;
        this.releases = releases;
    }

    /**
     * @param statusOf instances whose agent status to read; null: every InService instance
     * @param channel  the channel pointer to read; null: none
     */
    public FleetObservation observe(String group, Collection<String> statusOf, String channel) {
        return observe(group, statusOf, channel, true);
    }

    /**
     * @param targetHealth whether to read the target groups' health (one DescribeTargetHealth per target group);
     *                     false for a step that decides on the group alone: the look then lists no target states
     */
    public FleetObservation observe(String group, Collection<String> statusOf, String channel, boolean targetHealth) {
        Optional<GroupView> view = groups.describe(group);
        Map<String, List<TargetState>> targets = new HashMap<>();
        view.filter(g -> targetHealth).ifPresent(g -> {
            for (String arn : g.targetGroupArns()) {
                traffic.targetHealth(arn).forEach((id, state) -> targets.computeIfAbsent(id, k -> new ArrayList<>()).add(state));
            }
        });
        Collection<String> ids = statusOf != null ? statusOf : view.map(GroupView::inServiceIds).orElse(List.of());
        Map<String, InstanceStatus> reported = ids.isEmpty() ? Map.of() : statuses.statuses(group, ids);
        Optional<String> pointer = channel == null ? Optional.empty() : releases.channelVersion(channel);
        return new FleetObservation(view, targets, reported, pointer);
    }

    /**
     * The longest any of the group's target groups may take to report a target that starts failing
     * ({@link HealthCheck#failureDetection()}; one DescribeTargetGroups per target group); zero without target groups.
     */
    public Duration failureDetection(Optional<GroupView> group) {
        Duration longest = Duration.ZERO;
        for (String arn : group.map(GroupView::targetGroupArns).orElse(List.of())) {
            Duration detection = traffic.healthCheck(arn).map(HealthCheck::failureDetection).orElse(Duration.ZERO);
            longest = detection.compareTo(longest) > 0 ? detection : longest;
        }
        return longest;
    }

    /** How these SSM commands (instance id -> command id) run: read-only (ListCommandInvocations). */
    public Map<String, FleetPorts.CommandInvocation> invocations(Map<String, String> commandIdByInstance) {
        return commandIdByInstance.isEmpty() ? Map.of() : commands.invocations(commandIdByInstance);
    }

    public Optional<GroupView> group(String group) {
        return groups.describe(group);
    }
}
