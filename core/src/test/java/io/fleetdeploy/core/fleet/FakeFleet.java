package io.fleetdeploy.core.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * An in-memory group behind one target group, for the pure-logic tests of the operations and the
 * runner (the real AWS path is proved in the sandbox). Changes take effect at once; an instance is
 * healthy when it runs a version not listed in {@link #unhealthyVersions}. Every change is checked
 * against {@link #minServing} at the moment it happens.
 */
final class FakeFleet implements FleetPorts.Groups, FleetPorts.Traffic, FleetPorts.Commands, FleetPorts.Releases, FleetPorts.Statuses {

    static final String TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-blue/1";
    static final String TG_GREEN = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-green/2";
    static final String LISTENER = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/lb/1/9";

    final String group = "web";
    final Map<String, String> lifecycle = new TreeMap<>();
    final Map<String, String> version = new TreeMap<>();
    final Set<String> suspended = new HashSet<>();
    GroupView.Capacity capacity;
    final Set<String> unhealthyVersions = new HashSet<>();
    final Set<String> failingCommands = new HashSet<>();
    /** Ids of the commands sendInstall sent, in order; "instance command" -> how it ended. */
    final List<String> sentCommands = new ArrayList<>();
    final Map<String, FleetPorts.CommandInvocation> invocations = new HashMap<>();
    /** While true, every command sent reports InProgress (the agent still installing). */
    boolean commandsRunning = false;
    /** With {@link #installTakes}: every command reports InProgress until that long after it was sent. */
    java.time.Clock clock;
    Duration installTakes = Duration.ZERO;
    private final Map<String, Instant> commandSentAt = new HashMap<>();
    /** Read calls through the ports, per kind ("describe", "targetHealth", "invocations", "statuses"), as a cloud would bill them. */
    final Map<String, Integer> reads = new TreeMap<>();
    final Set<String> published = new HashSet<>();
    final Map<String, String> channels = new LinkedHashMap<>();
    final List<String> calls = new ArrayList<>();
    final Map<String, TargetState> greenHealth = new LinkedHashMap<>();
    /** What DescribeTargetGroups says of both target groups: the fake reports health at once, so nothing to wait for. */
    HealthCheck healthCheck = new HealthCheck(Duration.ZERO, Duration.ZERO, 2);
    ForwardConfig listener = ForwardConfig.single(TG);
    int minServing = 0;
    int lowestServing = Integer.MAX_VALUE;
    Consumer<String> onCall = call -> { };
    /** Describes an instance entering Standby stays EnteringStandby for (draining), as Auto Scaling does. */
    int describesWhileEnteringStandby = 0;
    private final Map<String, Integer> enteringStandby = new HashMap<>();
    /** The next calls of describe that fail, each with this error (then it is set back to null). */
    int failingDescribes = 0;
    RuntimeException describeError;

    FakeFleet(int size, String running) {
        for (int i = 1; i <= size; i++) {
            String id = String.format("i-%03d", i);
            lifecycle.put(id, "InService");
            version.put(id, running);
        }
        capacity = new GroupView.Capacity(size, size * 2, size);
        published.add(running);
        channels.put(group, running);
    }

    long serving() {
        return lifecycle.keySet().stream().filter(this::healthy).count();
    }

    private boolean healthy(String id) {
        return "InService".equals(lifecycle.get(id)) && !unhealthyVersions.contains(version.get(id));
    }

    private void call(String call) {
        calls.add(call);
        long serving = serving();
        lowestServing = (int) Math.min(lowestServing, serving);
        if (serving < minServing) {
            throw new AssertionError("only " + serving + " serving after " + call + ", " + minServing + " required");
        }
        onCall.accept(call);
    }

    @Override
    public Optional<GroupView> describe(String name) {
        reads.merge("describe", 1, Integer::sum);
        if (failingDescribes > 0) {
            failingDescribes--;
            throw describeError;
        }
        if (!name.equals(group)) {
            return Optional.empty();
        }
        enteringStandby.replaceAll((id, left) -> left - 1);
        enteringStandby.entrySet().removeIf(e -> {
            if (e.getValue() <= 0) {
                lifecycle.put(e.getKey(), "Standby");
                return true;
            }
            return false;
        });
        List<GroupView.InstanceView> instances = lifecycle.entrySet().stream()
                .map(e -> new GroupView.InstanceView(e.getKey(), e.getValue(), "Healthy")).toList();
        return Optional.of(new GroupView(group, capacity, instances, List.copyOf(suspended), List.of(TG)));
    }

    @Override
    public void enterStandby(String g, List<String> ids) {
        ids.forEach(id -> {
            if (!"InService".equals(lifecycle.get(id))) {
                throw new IllegalStateException(id + " is not InService");
            }
            if (describesWhileEnteringStandby > 0) {
                lifecycle.put(id, "EnteringStandby");
                enteringStandby.put(id, describesWhileEnteringStandby);
            } else {
                lifecycle.put(id, "Standby");
            }
        });
        capacity = new GroupView.Capacity(capacity.min(), capacity.max(), capacity.desired() - ids.size());
        call("enterStandby " + ids);
    }

    @Override
    public void exitStandby(String g, List<String> ids) {
        ids.forEach(id -> {
            if (!"Standby".equals(lifecycle.get(id))) {
                throw new IllegalStateException("The instance " + id + " is not in Standby."); // as Auto Scaling answers
            }
            lifecycle.put(id, "InService");
        });
        capacity = new GroupView.Capacity(capacity.min(), capacity.max(), capacity.desired() + ids.size());
        call("exitStandby " + ids);
    }

    @Override
    public void suspendProcesses(String g, List<String> processes) {
        suspended.addAll(processes);
        call("suspend " + processes);
    }

    @Override
    public void resumeProcesses(String g, List<String> processes) {
        processes.forEach(suspended::remove);
        call("resume " + processes);
    }

    @Override
    public void setCapacity(String g, GroupView.Capacity c) {
        capacity = c;
        call("capacity " + c);
    }

    @Override
    public Optional<String> targetGroupArn(String nameOrArn) {
        return nameOrArn.equals(TG_GREEN) || nameOrArn.equals("web-green") ? Optional.of(TG_GREEN)
                : nameOrArn.equals(TG) || nameOrArn.equals("web-blue") ? Optional.of(TG) : Optional.empty();
    }

    @Override
    public Optional<HealthCheck> healthCheck(String arn) {
        reads.merge("healthCheck", 1, Integer::sum);
        return targetGroupArn(arn).map(found -> healthCheck);
    }

    @Override
    public Map<String, TargetState> targetHealth(String arn) {
        reads.merge("targetHealth", 1, Integer::sum);
        if (arn.equals(TG_GREEN)) {
            return Map.copyOf(greenHealth);
        }
        Map<String, TargetState> states = new TreeMap<>();
        lifecycle.forEach((id, state) -> {
            if (state.equals("InService")) {
                states.put(id, healthy(id) ? new TargetState("healthy", null) : new TargetState("unhealthy", "Target.FailedHealthChecks"));
            }
        });
        return states;
    }

    @Override
    public void deregister(String arn, List<String> ids) {
        call("deregister " + ids);
    }

    @Override
    public void register(String arn, List<String> ids) {
        call("register " + ids);
    }

    @Override
    public Optional<ForwardConfig> forward(String arn) {
        return arn.equals(LISTENER) ? Optional.of(listener) : Optional.empty();
    }

    @Override
    public void setForward(String arn, ForwardConfig forward) {
        listener = forward;
        call("forward " + forward);
    }

    /** Runs at once (the instances switch to the version as it is sent) and reports through {@link #invocations}. */
    @Override
    public Map<String, String> sendInstall(String g, List<String> ids, String v, Duration timeout) {
        String commandId = "cmd-" + (sentCommands.size() + 1);
        sentCommands.add(commandId);
        if (clock != null) {
            commandSentAt.put(commandId, clock.instant());
        }
        call("install " + v + " " + ids);
        Map<String, String> sent = new LinkedHashMap<>();
        for (String id : ids) {
            boolean fails = failingCommands.remove(id); // fails once, like a flaky SSM delivery
            if (!fails) {
                version.put(id, v);
            }
            invocations.put(id + " " + commandId, new FleetPorts.CommandInvocation(id, commandId, fails ? "Failed" : "Success",
                    fails ? "agent: install " + v + " failed" : ""));
            sent.put(id, commandId);
        }
        return sent;
    }

    @Override
    public Map<String, FleetPorts.CommandInvocation> invocations(Map<String, String> commandIdByInstance) {
        reads.merge("invocations", new java.util.HashSet<>(commandIdByInstance.values()).size(), Integer::sum); // one per command
        Map<String, FleetPorts.CommandInvocation> found = new LinkedHashMap<>();
        commandIdByInstance.forEach((id, commandId) -> {
            FleetPorts.CommandInvocation inv = invocations.get(id + " " + commandId);
            boolean installing = commandSentAt.containsKey(commandId)
                    && clock.instant().isBefore(commandSentAt.get(commandId).plus(installTakes));
            if (inv != null) {
                found.put(id, commandsRunning || installing ? new FleetPorts.CommandInvocation(id, commandId, "InProgress", "") : inv);
            }
        });
        return found;
    }

    /** Instances with a command that {@link #invocations} reports as running (while {@link #commandsRunning}). */
    @Override
    public List<String> commandsStillRunning(List<String> ids) {
        return commandsRunning ? ids.stream().filter(id -> invocations.keySet().stream().anyMatch(k -> k.startsWith(id + " "))).toList()
                : List.of();
    }

    @Override
    public void cancel(java.util.Collection<String> commandIds) {
        call("cancel " + commandIds);
    }

    @Override
    public boolean isPublished(String v) {
        return published.contains(v);
    }

    @Override
    public Optional<String> channelVersion(String channel) {
        return Optional.ofNullable(channels.get(channel));
    }

    @Override
    public void moveChannel(String channel, String expected, String v) {
        if (!java.util.Objects.equals(channels.get(channel), expected)) {
            throw new IllegalStateException("channel moved");
        }
        channels.put(channel, v);
        call("channel " + channel + " -> " + v);
    }

    /** One read for all, as the S3 adapter lists the status prefix once. */
    @Override
    public Map<String, InstanceStatus> statuses(String g, java.util.Collection<String> ids) {
        reads.merge("statuses", 1, Integer::sum);
        Map<String, InstanceStatus> found = new HashMap<>();
        ids.forEach(id -> status(g, id).ifPresent(st -> found.put(id, st)));
        return found;
    }

    @Override
    public Optional<InstanceStatus> status(String g, String id) {
        return Optional.ofNullable(version.get(id))
                .map(v -> new InstanceStatus(id, g, "shop", v, "0".repeat(64), Instant.EPOCH, "installed", null));
    }

    FleetObserver observer() {
        return new FleetObserver(this, this, this, this, this);
    }
}
