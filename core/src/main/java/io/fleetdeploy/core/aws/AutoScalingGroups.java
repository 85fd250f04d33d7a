package io.fleetdeploy.core.aws;

import io.fleetdeploy.core.fleet.FleetPorts;
import io.fleetdeploy.core.fleet.GroupView;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.SuspendedProcess;

/** The fleet operations' view of EC2 Auto Scaling, over the SDK v2 client. */
public final class AutoScalingGroups implements FleetPorts.Groups {

    private final AutoScalingClient client;

    public AutoScalingGroups(AutoScalingClient client) {
        this.client = client;
    }

    public static AutoScalingGroups of(AwsSettings settings) {
        return new AutoScalingGroups(AwsClients.configure(AutoScalingClient.builder(), settings).build());
    }

    @Override
    public Optional<GroupView> describe(String group) {
        return client.describeAutoScalingGroupsPaginator(b -> b.autoScalingGroupNames(group)).autoScalingGroups().stream()
                .filter(g -> g.autoScalingGroupName().equals(group))
                .findFirst()
                .map(AutoScalingGroups::view);
    }

    private static GroupView view(AutoScalingGroup g) {
        return new GroupView(g.autoScalingGroupName(),
                new GroupView.Capacity(g.minSize(), g.maxSize(), g.desiredCapacity()),
                g.instances().stream().map(i -> new GroupView.InstanceView(i.instanceId(), i.lifecycleStateAsString(), i.healthStatus())).toList(),
                g.suspendedProcesses().stream().map(SuspendedProcess::processName).toList(),
                g.targetGroupARNs());
    }

    @Override
    public void enterStandby(String group, List<String> instanceIds) {
        client.enterStandby(b -> b.autoScalingGroupName(group).instanceIds(instanceIds).shouldDecrementDesiredCapacity(true));
    }

    @Override
    public void exitStandby(String group, List<String> instanceIds) {
        client.exitStandby(b -> b.autoScalingGroupName(group).instanceIds(instanceIds));
    }

    @Override
    public void suspendProcesses(String group, List<String> processes) {
        client.suspendProcesses(b -> b.autoScalingGroupName(group).scalingProcesses(processes));
    }

    @Override
    public void resumeProcesses(String group, List<String> processes) {
        client.resumeProcesses(b -> b.autoScalingGroupName(group).scalingProcesses(processes));
    }

    @Override
    public void setCapacity(String group, GroupView.Capacity capacity) {
        client.updateAutoScalingGroup(b -> b.autoScalingGroupName(group)
                .minSize(capacity.min()).maxSize(capacity.max()).desiredCapacity(capacity.desired()));
    }
}
