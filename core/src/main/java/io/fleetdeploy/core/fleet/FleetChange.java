package io.fleetdeploy.core.fleet;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.operation.Mutation;
import java.util.List;

/** The mutations fleet operations make; each names its inverse. */
@JsonSubTypes({
    @JsonSubTypes.Type(value = FleetChange.EnterStandby.class, name = "enterStandby"),
    @JsonSubTypes.Type(value = FleetChange.ExitStandby.class, name = "exitStandby"),
    @JsonSubTypes.Type(value = FleetChange.SuspendProcesses.class, name = "suspendProcesses"),
    @JsonSubTypes.Type(value = FleetChange.ResumeProcesses.class, name = "resumeProcesses"),
    @JsonSubTypes.Type(value = FleetChange.SetCapacity.class, name = "setCapacity"),
    @JsonSubTypes.Type(value = FleetChange.Deregister.class, name = "deregister"),
    @JsonSubTypes.Type(value = FleetChange.Register.class, name = "register"),
    @JsonSubTypes.Type(value = FleetChange.SetForward.class, name = "setForward"),
    @JsonSubTypes.Type(value = FleetChange.MoveChannel.class, name = "moveChannel"),
    @JsonSubTypes.Type(value = FleetChange.Install.class, name = "install"),
    @JsonSubTypes.Type(value = FleetChange.ReplaceLostInStandby.class, name = "replaceLostInStandby"),
    @JsonSubTypes.Type(value = FleetChange.CancelCommands.class, name = "cancelCommands"),
})
public sealed interface FleetChange extends Mutation {

    /** The shared mapper, knowing these mutations by their names (the persisted undo log never holds class names). */
    static ObjectMapper mapper() {
        ObjectMapper mapper = Json.mapper().copy();
        for (JsonSubTypes.Type type : FleetChange.class.getAnnotation(JsonSubTypes.class).value()) {
            mapper.registerSubtypes(new NamedType(type.value(), type.name()));
        }
        return mapper;
    }

    record EnterStandby(String group, List<String> instanceIds) implements FleetChange {
        public Mutation inverse() {
            return new ExitStandby(group, instanceIds);
        }

        public String describe() {
            return "enter Standby: " + String.join(", ", instanceIds) + " (group " + group + ")";
        }
    }

    record ExitStandby(String group, List<String> instanceIds) implements FleetChange {
        public Mutation inverse() {
            return new EnterStandby(group, instanceIds);
        }

        public String describe() {
            return "exit Standby: " + String.join(", ", instanceIds) + " (group " + group + ")";
        }
    }

    record SuspendProcesses(String group, List<String> processes) implements FleetChange {
        public Mutation inverse() {
            return new ResumeProcesses(group, processes);
        }

        public String describe() {
            return "suspend processes " + String.join(", ", processes) + " (group " + group + ")";
        }
    }

    record ResumeProcesses(String group, List<String> processes) implements FleetChange {
        public Mutation inverse() {
            return new SuspendProcesses(group, processes);
        }

        public String describe() {
            return "resume processes " + String.join(", ", processes) + " (group " + group + ")";
        }
    }

    record SetCapacity(String group, GroupView.Capacity from, GroupView.Capacity to) implements FleetChange {
        public Mutation inverse() {
            return new SetCapacity(group, to, from);
        }

        public String describe() {
            return "set capacity of group " + group + " to " + to + " (was " + from + ")";
        }
    }

    record Deregister(String targetGroupArn, List<String> instanceIds) implements FleetChange {
        public Mutation inverse() {
            return new Register(targetGroupArn, instanceIds);
        }

        public String describe() {
            return "deregister " + String.join(", ", instanceIds) + " from target group " + ForwardConfig.shortName(targetGroupArn);
        }
    }

    record Register(String targetGroupArn, List<String> instanceIds) implements FleetChange {
        public Mutation inverse() {
            return new Deregister(targetGroupArn, instanceIds);
        }

        public String describe() {
            return "register " + String.join(", ", instanceIds) + " in target group " + ForwardConfig.shortName(targetGroupArn);
        }
    }

    record SetForward(String listenerOrRuleArn, ForwardConfig from, ForwardConfig to) implements FleetChange {
        public Mutation inverse() {
            return new SetForward(listenerOrRuleArn, to, from);
        }

        public String describe() {
            return "traffic: " + to + " (was " + from + ")";
        }
    }

    /** @param group when set, undoing waits (bounded) until the group's instances report {@code from} again */
    record MoveChannel(String channel, String from, String to, String group) implements FleetChange {
        public Mutation inverse() {
            return from == null ? null : new MoveChannel(channel, to, from, group);
        }

        public String describe() {
            return "move channel " + channel + " to " + to + " (was " + (from == null ? "unset" : from) + ")";
        }
    }

    /**
     * @param previousVersion what the instances ran before; null: nothing to go back to
     * @param timeout         bound of the SSM command; null: the effects' default
     */
    record Install(String group, List<String> instanceIds, String version, String previousVersion, java.time.Duration timeout)
            implements FleetChange {
        public Mutation inverse() {
            return previousVersion == null ? null : new Install(group, instanceIds, previousVersion, version, timeout);
        }

        public String describe() {
            return "install " + version + " on " + String.join(", ", instanceIds) + " (group " + group + ")";
        }
    }

    /**
     * Instances this operation put in Standby (which lowered the desired capacity) were terminated
     * there: the desired capacity goes back up to {@code desired} so the group launches replacements,
     * which boot into the channel's version. No inverse: lowering it again would make the group
     * terminate a serving instance.
     */
    record ReplaceLostInStandby(String group, List<String> lostInstanceIds, int desired) implements FleetChange {
        public Mutation inverse() {
            return null;
        }

        public String describe() {
            return "raise the desired capacity of group " + group + " to " + desired + " to replace " + String.join(", ", lostInstanceIds)
                    + " (terminated in Standby)";
        }
    }

    /**
     * SSM commands whose bound passed: cancelled where they still run, so a late install does not race
     * the undo that puts the previous version back. No inverse: a cancelled command is not sent again.
     */
    record CancelCommands(String group, List<String> commandIds) implements FleetChange {
        public Mutation inverse() {
            return null;
        }

        public String describe() {
            return "cancel SSM command(s) " + String.join(", ", commandIds) + " (group " + group + ")";
        }
    }
}
