package io.fleetdeploy.core.fleet;

import java.util.List;
import java.util.Optional;

/** What one DescribeAutoScalingGroups says about a group, in the terms the operations use. */
public record GroupView(String name, Capacity capacity, List<InstanceView> instances,
                        List<String> suspendedProcesses, List<String> targetGroupArns) {

    public GroupView {
        instances = List.copyOf(instances);
        suspendedProcesses = List.copyOf(suspendedProcesses);
        targetGroupArns = List.copyOf(targetGroupArns);
    }

    /** @param lifecycleState the Auto Scaling lifecycle state, e.g. InService, Standby, Pending, Terminating */
    public record InstanceView(String id, String lifecycleState, String healthStatus) {
        public boolean inService() {
            return "InService".equals(lifecycleState);
        }

        public boolean inStandby() {
            return "Standby".equals(lifecycleState);
        }

        /** On its way into Standby (draining): Auto Scaling refuses to take it out of Standby until it got there. */
        public boolean enteringStandby() {
            return "EnteringStandby".equals(lifecycleState);
        }
    }

    public record Capacity(int min, int max, int desired) {
        @Override
        public String toString() {
            return "min " + min + ", max " + max + ", desired " + desired;
        }
    }

    public Optional<InstanceView> instance(String id) {
        return instances.stream().filter(i -> i.id().equals(id)).findFirst();
    }

    public List<String> inServiceIds() {
        return instances.stream().filter(InstanceView::inService).map(InstanceView::id).sorted().toList();
    }
}
