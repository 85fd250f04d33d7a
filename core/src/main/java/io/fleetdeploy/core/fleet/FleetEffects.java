package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.operation.Effects;
import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Makes {@link FleetChange}s through the ports. Each change first looks at the group and only
 * touches instances that still need it, so a repeated change (a resumed operation) and the inverse
 * of a change that never happened (the undo entry is written first) are harmless.
 */
public final class FleetEffects implements Effects {

    private final FleetPorts.Groups groups;
    private final FleetPorts.Traffic traffic;
    private final FleetPorts.Commands commands;
    private final FleetPorts.Releases releases;
    private final FleetPorts.Statuses statuses;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Duration undoWait;
    private final Duration commandTimeout;
    private final ProgressListener progress;

    /**
     * @param undoWait       how long undoing a channel move waits for the instances to report the previous version
     * @param commandTimeout bound of one SSM install
     */
    public FleetEffects(FleetPorts.Groups groups, FleetPorts.Traffic traffic, FleetPorts.Commands commands,
                        FleetPorts.Releases releases, FleetPorts.Statuses statuses, Clock clock, Sleeper sleeper,
                        Duration undoWait, Duration commandTimeout, ProgressListener progress) {
        this.groups = groups;
        this.traffic = traffic;
        this.commands = commands;
        this.releases = releases;
        this.statuses = statuses;
        this.clock = clock;
        this.sleeper = sleeper;
        this.undoWait = undoWait;
        this.commandTimeout = commandTimeout;
        this.progress = progress;
    }

    @Override
    public void apply(Mutation mutation, boolean undoing) {
        if (!(mutation instanceof FleetChange change)) {
            throw new IllegalArgumentException("Not a fleet change: " + mutation);
        }
        if (change instanceof FleetChange.EnterStandby c) {
            List<String> ids = only(c.group(), c.instanceIds(), GroupView.InstanceView::inService);
            if (!ids.isEmpty()) {
                groups.enterStandby(c.group(), ids);
            }
        } else if (change instanceof FleetChange.ExitStandby c) {
            exitStandby(c, undoing);
        } else if (change instanceof FleetChange.SuspendProcesses c) {
            groups.suspendProcesses(c.group(), c.processes());
        } else if (change instanceof FleetChange.ResumeProcesses c) {
            groups.resumeProcesses(c.group(), c.processes());
        } else if (change instanceof FleetChange.SetCapacity c) {
            groups.setCapacity(c.group(), c.to());
        } else if (change instanceof FleetChange.ReplaceLostInStandby c) {
            groups.describe(c.group()).map(GroupView::capacity).filter(now -> now.desired() < c.desired())
                    .ifPresent(now -> groups.setCapacity(c.group(), new GroupView.Capacity(now.min(), now.max(), Math.min(c.desired(), now.max()))));
        } else if (change instanceof FleetChange.Deregister c) {
            traffic.deregister(c.targetGroupArn(), c.instanceIds());
        } else if (change instanceof FleetChange.Register c) {
            traffic.register(c.targetGroupArn(), c.instanceIds());
        } else if (change instanceof FleetChange.SetForward c) {
            traffic.setForward(c.listenerOrRuleArn(), c.to());
        } else if (change instanceof FleetChange.MoveChannel c) {
            moveChannel(c, undoing);
        } else if (change instanceof FleetChange.Install c) {
            // Blocking: only the undo of a push runs the install this way (see start()). An install the
            // push sent may still run (an abort while it waited): let it end first, then look at what runs.
            commands.awaitNoCommandRunning(only(c.group(), c.instanceIds(), i -> !i.lifecycleState().startsWith("Terminat")),
                    timeoutOf(c).plus(Duration.ofSeconds(30)));
            List<String> ids = needInstall(c);
            if (!ids.isEmpty()) {
                commands.install(c.group(), ids, c.version(), timeoutOf(c));
            }
        } else if (change instanceof FleetChange.CancelCommands c) {
            commands.cancel(c.commandIds());
        }
    }

    /**
     * A push's install only sends the SSM command and returns its ids (instance id -> command id): the
     * rollout observes the command on later ticks, so no thread waits for it. Every other change: as {@link #apply}.
     */
    @Override
    public Map<String, String> start(Mutation mutation) {
        if (mutation instanceof FleetChange.Install c) {
            List<String> ids = needInstall(c);
            return ids.isEmpty() ? Map.of() : commands.sendInstall(c.group(), ids, c.version(), timeoutOf(c));
        }
        apply(mutation, false);
        return Map.of();
    }

    /**
     * The instances the install still has to run on. One that already reports the version needs no
     * command: on undo, that is the one whose install failed (so it still runs the previous version) or never began.
     */
    private List<String> needInstall(FleetChange.Install c) {
        return only(c.group(), c.instanceIds(), i -> !i.lifecycleState().startsWith("Terminat")).stream()
                .filter(id -> statuses.status(c.group(), id).map(s -> !s.runs(c.version())).orElse(true)).toList();
    }

    private Duration timeoutOf(FleetChange.Install c) {
        return c.timeout() != null ? c.timeout() : commandTimeout;
    }

    /** The SSM port, for the observer (the rollout reads its commands' invocations through it). */
    FleetPorts.Commands commands() {
        return commands;
    }

    /**
     * The net result of {@code changes}: which instances are still in Standby or deregistered, which
     * processes still suspended, where channels, capacities and listeners now stand, which version an
     * install last ran for on each instance (the last one may have failed part-way). A change undone by a later one (a batch that left Standby again) is not named.
     */
    @Override
    public String describeNetEffect(List<Mutation> changes) {
        Map<String, Set<String>> standby = new LinkedHashMap<>();
        Map<String, Set<String>> suspended = new LinkedHashMap<>();
        Map<String, Set<String>> deregistered = new LinkedHashMap<>();
        Map<String, String> latest = new LinkedHashMap<>(); // channel, capacity, listener: the last word wins
        Map<String, String> installed = new LinkedHashMap<>(); // instance -> the last version an install ran for (it may have failed)
        for (Mutation m : changes) {
            if (m instanceof FleetChange.EnterStandby c) {
                standby.computeIfAbsent(c.group(), g -> new LinkedHashSet<>()).addAll(c.instanceIds());
            } else if (m instanceof FleetChange.ExitStandby c) {
                standby.getOrDefault(c.group(), new LinkedHashSet<>()).removeAll(c.instanceIds());
            } else if (m instanceof FleetChange.SuspendProcesses c) {
                suspended.computeIfAbsent(c.group(), g -> new LinkedHashSet<>()).addAll(c.processes());
            } else if (m instanceof FleetChange.ResumeProcesses c) {
                suspended.getOrDefault(c.group(), new LinkedHashSet<>()).removeAll(c.processes());
            } else if (m instanceof FleetChange.Deregister c) {
                deregistered.computeIfAbsent(ForwardConfig.shortName(c.targetGroupArn()), g -> new LinkedHashSet<>()).addAll(c.instanceIds());
            } else if (m instanceof FleetChange.Register c) {
                deregistered.getOrDefault(ForwardConfig.shortName(c.targetGroupArn()), new LinkedHashSet<>()).removeAll(c.instanceIds());
            } else if (m instanceof FleetChange.MoveChannel c) {
                latest.put("channel " + c.channel(), "channel " + c.channel() + " points at " + c.to());
            } else if (m instanceof FleetChange.SetCapacity c) {
                latest.put("capacity " + c.group(), "capacity of group " + c.group() + " is " + c.to());
            } else if (m instanceof FleetChange.SetForward c) {
                latest.put("listener " + c.listenerOrRuleArn(), "traffic: " + c.to());
            } else if (m instanceof FleetChange.Install c) {
                c.instanceIds().forEach(id -> installed.put(id, c.version()));
            }
        }
        List<String> parts = new ArrayList<>();
        standby.forEach((group, ids) -> {
            if (!ids.isEmpty()) {
                parts.add("in Standby: " + String.join(", ", ids) + " (group " + group + ")");
            }
        });
        suspended.forEach((group, processes) -> {
            if (!processes.isEmpty()) {
                parts.add("suspended processes: " + String.join(", ", processes) + " (group " + group + ")");
            }
        });
        deregistered.forEach((targetGroup, ids) -> {
            if (!ids.isEmpty()) {
                parts.add("deregistered from target group " + targetGroup + ": " + String.join(", ", ids));
            }
        });
        parts.addAll(latest.values());
        Map<String, List<String>> byVersion = new LinkedHashMap<>();
        installed.forEach((id, version) -> byVersion.computeIfAbsent(version, v -> new ArrayList<>()).add(id));
        byVersion.forEach((version, ids) -> parts.add("install " + version + " ran on " + String.join(", ", ids)));
        return parts.isEmpty() ? "nothing" : String.join("; ", parts);
    }

    /**
     * An instance still EnteringStandby cannot leave Standby yet (Auto Scaling refuses, and skipping it
     * would leave it in Standby for good): wait, bounded, until it got there. When undoing, the
     * instances put back must then pass the health gate (healthy in every target group of the group)
     * before the undo goes on, so a rollback never takes the next batch out while this one does not serve.
     */
    private void exitStandby(FleetChange.ExitStandby c, boolean undoing) {
        awaitGroup(c.group(), "instances " + String.join(", ", c.instanceIds()) + " of group " + c.group() + " reach Standby",
                view -> c.instanceIds().stream().noneMatch(id -> view.instance(id)
                        .map(i -> i.lifecycleState().equals("EnteringStandby")).orElse(false)));
        List<String> ids = only(c.group(), c.instanceIds(), GroupView.InstanceView::inStandby);
        if (ids.isEmpty()) {
            return;
        }
        groups.exitStandby(c.group(), ids);
        if (undoing) {
            awaitGroup(c.group(), String.join(", ", ids) + " serve healthy again in group " + c.group() + "'s target groups",
                    view -> view.targetGroupArns().stream().allMatch(arn -> {
                        var health = traffic.targetHealth(arn);
                        return ids.stream().filter(id -> view.instance(id).isPresent())
                                .allMatch(id -> health.containsKey(id) && health.get(id).healthy());
                    }));
            progress.info(String.join(", ", ids) + " back in service and healthy (group " + c.group() + ")");
        }
    }

    /** Waits (bounded by the undo wait) until the group, described afresh, satisfies {@code done}; throws naming what it waited for. */
    private void awaitGroup(String group, String waitingFor, Predicate<GroupView> done) {
        Instant giveUp = clock.instant().plus(undoWait);
        while (true) {
            Optional<GroupView> view = groups.describe(group);
            if (view.isEmpty() || done.test(view.get())) {
                return;
            }
            if (!clock.instant().isBefore(giveUp)) {
                throw new FleetDeployException("Waited " + undoWait + " until " + waitingFor + "; they did not.",
                        "The instances stay as they are now.", "Check the instances (aws autoscaling describe-auto-scaling-groups,"
                        + " describe-target-health), then resume the operation to go on.");
            }
            try {
                sleeper.sleep(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FleetDeployException("Interrupted while waiting until " + waitingFor + ".", "The instances stay as they are now.",
                        "Resume the operation to go on.", e);
            }
        }
    }

    private List<String> only(String group, List<String> ids, Predicate<GroupView.InstanceView> wanted) {
        Optional<GroupView> view = groups.describe(group);
        if (view.isEmpty()) {
            throw new FleetDeployException("Group " + group + " no longer exists.", "", "Check who deleted it.");
        }
        return ids.stream().filter(id -> view.get().instance(id).map(wanted::test).orElse(false)).toList();
    }

    private void moveChannel(FleetChange.MoveChannel c, boolean undoing) {
        String current = releases.channelVersion(c.channel()).orElse(null);
        if (c.to().equals(current)) {
            return;
        }
        if (c.from() != null && !c.from().equals(current)) {
            throw new FleetDeployException("Channel " + c.channel() + " points at " + current + ", not at " + c.from()
                    + " as this operation expected; someone else moved it.", "The channel was not moved by this operation.",
                    "Check who moved it (its updatedBy) before deciding which version the group should run.");
        }
        releases.moveChannel(c.channel(), c.from(), c.to());
        if (undoing && c.group() != null) {
            awaitVersion(c.group(), c.to());
        }
    }

    /**
     * After moving a pull group's pointer back: wait, bounded, until the InService instances report that version and
     * serve healthy in every target group of the group (the processes a pull suspended are resumed after this, and
     * Auto Scaling's HealthCheck would replace an instance whose target is still unhealthy from the bad release).
     */
    private void awaitVersion(String group, String version) {
        Instant giveUp = clock.instant().plus(undoWait);
        List<String> stragglers = List.of();
        while (true) {
            Optional<GroupView> view = groups.describe(group);
            if (view.isEmpty()) {
                return;
            }
            List<String> inService = view.get().inServiceIds();
            Map<String, InstanceStatus> reported = statuses.statuses(group, inService);
            List<Map<String, TargetState>> health = view.get().targetGroupArns().stream().map(traffic::targetHealth).toList();
            stragglers = inService.stream().filter(id -> reported.get(id) == null || !reported.get(id).runs(version)
                    || health.stream().anyMatch(targets -> !targets.containsKey(id) || !targets.get(id).healthy())).toList();
            if (stragglers.isEmpty()) {
                progress.info("group " + group + " is back on " + version + " and healthy");
                return;
            }
            if (!clock.instant().isBefore(giveUp)) {
                progress.warn("group " + group + ": after " + undoWait + " these instances do not report " + version
                        + " and serve healthy yet: " + String.join(", ", stragglers) + ". The channel points at " + version
                        + "; they converge on their next poll.");
                return;
            }
            try {
                sleeper.sleep(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
