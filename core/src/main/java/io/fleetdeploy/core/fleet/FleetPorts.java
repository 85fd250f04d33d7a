package io.fleetdeploy.core.fleet;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the fleet operations need from AWS and from the release store. The AWS adapters
 * ({@code io.fleetdeploy.core.aws.AutoScalingGroups}, {@code Elbv2Traffic}, {@code SsmCommands})
 * and the S3 ones implement these; pure tests of the transitions never need them.
 */
public final class FleetPorts {

    private FleetPorts() {
    }

    public interface Groups {
        Optional<GroupView> describe(String group);

        /** Moves InService instances to Standby, decrementing the desired capacity (no replacement launched). */
        void enterStandby(String group, List<String> instanceIds);

        /** Moves Standby instances back to InService (the desired capacity grows back). */
        void exitStandby(String group, List<String> instanceIds);

        void suspendProcesses(String group, List<String> processes);

        void resumeProcesses(String group, List<String> processes);

        void setCapacity(String group, GroupView.Capacity capacity);
    }

    public interface Traffic {
        /** The target group's ARN for an ARN or a name; empty when there is no such target group. */
        Optional<String> targetGroupArn(String nameOrArn);

        /** Instance id -> state, for every registered target. */
        Map<String, TargetState> targetHealth(String targetGroupArn);

        void deregister(String targetGroupArn, List<String> instanceIds);

        void register(String targetGroupArn, List<String> instanceIds);

        /** The listener's default forward action, or the rule's; empty when the listener/rule does not exist. */
        Optional<ForwardConfig> forward(String listenerOrRuleArn);

        void setForward(String listenerOrRuleArn, ForwardConfig forward);
    }

    public interface Commands {
        /**
         * Runs {@code fleet-agent.sh install <version>} on the instances and waits (bounded) until it ended
         * everywhere; throws a FleetDeployException naming every instance where it failed.
         */
        void install(String group, List<String> instanceIds, String version, Duration timeout);
    }

    public interface Releases {
        boolean isPublished(String version);

        /** The version the channel points at; empty when the channel does not exist. */
        Optional<String> channelVersion(String channel);

        /** Compare-and-set: moves the pointer from {@code expectedVersion} (null: it must not exist) to {@code version}. */
        void moveChannel(String channel, String expectedVersion, String version);
    }

    public interface Statuses {
        Optional<InstanceStatus> status(String group, String instanceId);

        /** What the agents of these instances reported (instances without a status are left out), read as cheaply as the store allows. */
        default Map<String, InstanceStatus> statuses(String group, Collection<String> instanceIds) {
            Map<String, InstanceStatus> found = new HashMap<>();
            for (String id : instanceIds) {
                status(group, id).ifPresent(s -> found.put(id, s));
            }
            return found;
        }
    }
}
