package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
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

        /** The target group's health check settings; empty when there is no such target group. */
        Optional<HealthCheck> healthCheck(String targetGroupArn);

        void deregister(String targetGroupArn, List<String> instanceIds);

        void register(String targetGroupArn, List<String> instanceIds);

        /** The listener's default forward action, or the rule's; empty when the listener/rule does not exist. */
        Optional<ForwardConfig> forward(String listenerOrRuleArn);

        void setForward(String listenerOrRuleArn, ForwardConfig forward);
    }

    public interface Commands {
        /**
         * Sends {@code fleet-agent.sh install <version>} to the instances and returns at once, without
         * waiting: instance id -> the id of the command sent to it. {@link #invocations} says how it goes.
         * Neither a push nor its undo waits in a thread: both persist these ids and observe them tick by tick.
         */
        Map<String, String> sendInstall(String group, List<String> instanceIds, String version, Duration timeout);

        /** How the commands run on their instances (instance id -> command id): instance id -> invocation; instances not listed yet are left out. */
        Map<String, CommandInvocation> invocations(Map<String, String> commandIdByInstance);

        /** Cancels the commands where they still run (a command whose bound passed). */
        void cancel(Collection<String> commandIds);

        /**
         * The instances among {@code instanceIds} on which an SSM command (whoever sent it) still runs; one
         * look, no waiting. An undo that puts the previous version back must not overlap the install it
         * undoes (an abort during a push's install): the later install would lose to the earlier one
         * finishing after it. So the undo asks this, tick by tick (bounded), before it sends its own.
         */
        List<String> commandsStillRunning(List<String> instanceIds);

        /** An install that ended badly somewhere: the same words whether it was waited for or observed tick by tick. */
        static FleetDeployException installFailed(String version, String group, List<String> failures, int of) {
            return new FleetDeployException("fleet-agent install " + version + " failed on " + failures.size() + " of "
                    + of + " instance(s) of group " + group + ": " + String.join("; ", failures) + ".",
                    "", "Read the agent's output above; the operation puts back what it changed unless onFailure is halt.");
        }

        /** An install whose bound passed on {@code pending} (the command is cancelled). */
        static FleetDeployException installNotEnded(String version, String group, Duration bound, List<String> pending) {
            return new FleetDeployException("fleet-agent install " + version + " did not end within " + bound + " on "
                    + String.join(", ", pending) + " (group " + group + "); the command was cancelled.", "",
                    "Check the SSM agent on those instances (aws ssm list-command-invocations).");
        }
    }

    /**
     * One instance's part of an SSM command.
     *
     * @param status SSM's status: Pending, InProgress, Delayed, Success, Failed, TimedOut, Cancelled, Undeliverable, Terminated...
     * @param output the tail of the command's output (stdout then stderr as SSM reports it), "" when there is none
     */
    public record CommandInvocation(String instanceId, String commandId, String status, String output) {
        private static final java.util.Set<String> ENDED = java.util.Set.of("Success", "Failed", "TimedOut", "Cancelled",
                "Undeliverable", "Terminated");

        public boolean ended() {
            return ENDED.contains(status);
        }

        public boolean succeeded() {
            return "Success".equals(status);
        }

        /** For messages: "i-1 Failed (tail of the output)", as the blocking install said it. */
        public String describe() {
            return instanceId + " " + status + (output == null || output.isBlank() ? "" : " (" + output + ")");
        }
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
