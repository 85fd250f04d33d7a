package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.operation.Effects;
import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.UndoWait;
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

    // The steps of the undos that wait (UndoWait.step), persisted in the undo log: keep the names.
    private static final String OTHER_COMMANDS_END = "otherCommandsEnd";
    private static final String INSTALL_ENDS = "installEnds";
    private static final String REACH_STANDBY = "reachStandby";
    private static final String SERVE_HEALTHY = "serveHealthy";
    private static final String REPORT_VERSION = "reportVersion";
    /** How often an undo looks at SSM commands, at the group, and at the statuses of a pull group. */
    private static final Duration COMMAND_POLL = Duration.ofSeconds(1);
    private static final Duration GROUP_POLL = Duration.ofSeconds(1);
    private static final Duration VERSION_POLL = Duration.ofSeconds(2);

    private final FleetPorts.Groups groups;
    private final FleetPorts.Traffic traffic;
    private final FleetPorts.Commands commands;
    private final FleetPorts.Releases releases;
    private final FleetPorts.Statuses statuses;
    private final Clock clock;
    private final Duration undoWait;
    private final Duration commandTimeout;
    private final ProgressListener progress;

    /**
     * @param undoWait       how long an undo waits for instances to reach Standby, to serve healthy again after
     *                       leaving it, and (undoing a channel move) to report the previous version
     * @param commandTimeout bound of one SSM install
     */
    public FleetEffects(FleetPorts.Groups groups, FleetPorts.Traffic traffic, FleetPorts.Commands commands,
                        FleetPorts.Releases releases, FleetPorts.Statuses statuses, Clock clock,
                        Duration undoWait, Duration commandTimeout, ProgressListener progress) {
        this.groups = groups;
        this.traffic = traffic;
        this.commands = commands;
        this.releases = releases;
        this.statuses = statuses;
        this.clock = clock;
        this.undoWait = undoWait;
        this.commandTimeout = commandTimeout;
        this.progress = progress;
    }

    @Override
    public void apply(Mutation mutation) {
        apply(mutation, null);
    }

    /** @param looked the tick's look at the change's group, taken before any change of this tick (see {@link #start(Mutation, Object)}); null: describe it */
    private void apply(Mutation mutation, GroupView looked) {
        if (!(mutation instanceof FleetChange change)) {
            throw new IllegalArgumentException("Not a fleet change: " + mutation);
        }
        if (change instanceof FleetChange.EnterStandby c) {
            List<String> ids = only(c.group(), c.instanceIds(), GroupView.InstanceView::inService, looked);
            if (!ids.isEmpty()) {
                groups.enterStandby(c.group(), ids);
            }
        } else if (change instanceof FleetChange.ExitStandby c) {
            exitStandbyOnceInStandby(c, looked);
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
            moveChannel(c);
        } else if (change instanceof FleetChange.Install) {
            throw new IllegalArgumentException("An install is sent (start) or undone (undo), never waited for: " + change.describe());
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
        return start(mutation, null);
    }

    /**
     * As {@link #start(Mutation)}, taking which instances are InService, in Standby or terminating from the look
     * the transition decided this change on (taken in this tick, before any other change of it) instead of
     * describing the group again: a push's Standby changes and install cost no DescribeAutoScalingGroups of their
     * own. Auto Scaling itself still refuses an instance that moved since (the operation then fails and undoes).
     * Undos never get a look: they describe afresh.
     */
    @Override
    public Map<String, String> start(Mutation mutation, Object lookBefore) {
        GroupView looked = lookBefore instanceof FleetObservation seen && mutation instanceof FleetChange change
                ? seen.group().filter(g -> g.name().equals(groupOf(change))).orElse(null) : null;
        if (mutation instanceof FleetChange.Install c) {
            List<String> ids = needInstall(c, looked);
            return ids.isEmpty() ? Map.of() : commands.sendInstall(c.group(), ids, c.version(), timeoutOf(c));
        }
        apply(mutation, looked);
        return Map.of();
    }

    /** The group a change's look must be of (null: a change that needs no look at a group). */
    private static String groupOf(FleetChange change) {
        if (change instanceof FleetChange.EnterStandby c) {
            return c.group();
        } else if (change instanceof FleetChange.ExitStandby c) {
            return c.group();
        } else if (change instanceof FleetChange.Install c) {
            return c.group();
        }
        return null;
    }

    /**
     * The inverses that wait (an install putting the previous version back, instances leaving Standby
     * that must serve healthy again, a pull group coming back to its version) make their change once
     * and then only look, one look per call; {@code waiting} (persisted by the runner) says where they
     * stand. Every other inverse: as {@link #apply}.
     */
    @Override
    public UndoWait undo(Mutation inverse, UndoWait waiting) {
        if (inverse instanceof FleetChange.Install c) {
            return waiting != null && waiting.step().equals(INSTALL_ENDS) ? awaitUndoInstall(c, waiting) : undoInstall(c, waiting);
        }
        if (inverse instanceof FleetChange.ExitStandby c) {
            return waiting != null && waiting.step().equals(SERVE_HEALTHY) ? awaitHealthy(c, waiting) : undoEnterStandby(c, waiting);
        }
        if (inverse instanceof FleetChange.MoveChannel c && c.group() != null) {
            if (waiting == null) {
                moveChannel(c);
            }
            return awaitVersion(c, waiting);
        }
        apply(inverse);
        return null;
    }

    /**
     * Puts the previous version back. An install the push sent may still run (an abort while it waited
     * on it): first that must end (bounded), or it would finish after ours and win; then the install
     * goes only where the previous version is not reported, and its command ids are returned to wait on.
     */
    private UndoWait undoInstall(FleetChange.Install c, UndoWait waiting) {
        Instant since = waiting != null ? waiting.since() : clock.instant();
        Duration bound = commandBound(c);
        List<String> running = commands.commandsStillRunning(only(c.group(), c.instanceIds(), i -> !i.lifecycleState().startsWith("Terminat"), null));
        if (!running.isEmpty()) {
            UndoWait still = new UndoWait(OTHER_COMMANDS_END, since, running, Map.of(), "the SSM command(s) still running on "
                    + String.join(", ", running) + " to end before installing " + c.version(), COMMAND_POLL);
            if (still.boundPassed(bound, clock.instant())) {
                throw new FleetDeployException("An SSM command still runs on " + String.join(", ", running) + " after " + bound
                        + ", so the previous version was not put back there.", "Those instances stay as the running command leaves them.",
                        "Check the command (aws ssm list-command-invocations --instance-id ...), then resume the operation.");
            }
            return still;
        }
        List<String> ids = needInstall(c, null);
        if (ids.isEmpty()) {
            return null;
        }
        Map<String, String> sent = commands.sendInstall(c.group(), ids, c.version(), timeoutOf(c));
        return new UndoWait(INSTALL_ENDS, clock.instant(), ids, sent, "fleet-agent install " + c.version() + " to end on "
                + String.join(", ", ids) + " (group " + c.group() + ")", COMMAND_POLL);
    }

    /** One look at the undo's own install: done when it ended everywhere; throws where it failed, or (cancelling it) when its bound passed. */
    private UndoWait awaitUndoInstall(FleetChange.Install c, UndoWait waiting) {
        Map<String, FleetPorts.CommandInvocation> seen = commands.invocations(waiting.commandIds());
        List<String> pending = waiting.instanceIds().stream().filter(id -> seen.get(id) == null || !seen.get(id).ended()).toList();
        if (!pending.isEmpty()) {
            Duration bound = commandBound(c);
            if (waiting.boundPassed(bound, clock.instant())) {
                commands.cancel(waiting.commandIds().values());
                throw FleetPorts.Commands.installNotEnded(c.version(), c.group(), bound, pending);
            }
            return waiting;
        }
        List<String> failures = waiting.instanceIds().stream().map(seen::get).filter(inv -> !inv.succeeded())
                .map(FleetPorts.CommandInvocation::describe).toList();
        if (!failures.isEmpty()) {
            throw FleetPorts.Commands.installFailed(c.version(), c.group(), failures, waiting.instanceIds().size());
        }
        return null;
    }

    /** An SSM install's own timeout and the margin the push allows for SSM to report that it ended. */
    private Duration commandBound(FleetChange.Install c) {
        return timeoutOf(c).plus(PushRollout.COMMAND_MARGIN);
    }

    /**
     * The instances the install still has to run on. One that already reports the version needs no
     * command: on undo, that is the one whose install failed (so it still runs the previous version) or never began.
     */
    private List<String> needInstall(FleetChange.Install c, GroupView looked) {
        List<String> present = only(c.group(), c.instanceIds(), i -> !i.lifecycleState().startsWith("Terminat"), looked);
        // One LIST of the group's statuses, reading only the objects changed since the last look (not a GET per instance).
        Map<String, InstanceStatus> reported = present.isEmpty() ? Map.of() : statuses.statuses(c.group(), present);
        return present.stream().filter(id -> reported.get(id) == null || !reported.get(id).runs(c.version())).toList();
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
     * Undoes an EnterStandby: an instance still EnteringStandby cannot leave Standby yet (Auto Scaling
     * refuses, and skipping it would leave it in Standby for good), so that is waited for first (bounded
     * by the undo wait). The instances put back must then pass the health gate (healthy in every target
     * group of the group) before the undo goes on, so a rollback never takes the next batch out while
     * this one does not serve.
     */
    private UndoWait undoEnterStandby(FleetChange.ExitStandby c, UndoWait waiting) {
        Instant since = waiting != null ? waiting.since() : clock.instant();
        if (!groupSatisfies(c.group(), standbyReached(c))) {
            UndoWait still = new UndoWait(REACH_STANDBY, since, c.instanceIds(), Map.of(), reachStandby(c), GROUP_POLL);
            if (still.boundPassed(undoWait, clock.instant())) {
                throw waitedTooLong(still.waitingFor());
            }
            return still;
        }
        List<String> ids = exitStandbyWhereStandby(c);
        return ids.isEmpty() ? null : new UndoWait(SERVE_HEALTHY, clock.instant(), ids, Map.of(), String.join(", ", ids)
                + " serve healthy again in group " + c.group() + "'s target groups", GROUP_POLL);
    }

    private UndoWait awaitHealthy(FleetChange.ExitStandby c, UndoWait waiting) {
        List<String> ids = waiting.instanceIds();
        boolean healthy = groupSatisfies(c.group(), view -> view.targetGroupArns().stream().allMatch(arn -> {
            var health = traffic.targetHealth(arn);
            return ids.stream().filter(id -> view.instance(id).isPresent()).allMatch(id -> health.containsKey(id) && health.get(id).healthy());
        }));
        if (healthy) {
            progress.info(String.join(", ", ids) + " back in service and healthy (group " + c.group() + ")");
            return null;
        }
        if (waiting.boundPassed(undoWait, clock.instant())) {
            throw waitedTooLong(waiting.waitingFor());
        }
        return waiting;
    }

    private static String reachStandby(FleetChange.ExitStandby c) {
        return "instances " + String.join(", ", c.instanceIds()) + " of group " + c.group() + " reach Standby";
    }

    private static Predicate<GroupView> standbyReached(FleetChange.ExitStandby c) {
        return view -> c.instanceIds().stream().noneMatch(id -> view.instance(id).map(GroupView.InstanceView::enteringStandby).orElse(false));
    }

    /** Moves those of the change's instances that are in Standby back to InService; returns them. */
    private List<String> exitStandbyWhereStandby(FleetChange.ExitStandby c) {
        List<String> ids = only(c.group(), c.instanceIds(), GroupView.InstanceView::inStandby, null);
        if (!ids.isEmpty()) {
            groups.exitStandby(c.group(), ids);
        }
        return ids;
    }

    /** The group, described afresh, satisfies {@code done}; a group that no longer exists has nothing left to wait for. */
    private boolean groupSatisfies(String group, Predicate<GroupView> done) {
        Optional<GroupView> view = groups.describe(group);
        return view.isEmpty() || done.test(view.get());
    }

    /**
     * A forward exit from Standby. The operation makes it only once its look showed none of the instances still
     * EnteringStandby (it waits for that tick by tick), so no thread waits here: one found EnteringStandby all the
     * same (changed by someone else since that look; so a look is taken here unless {@code looked} is that same
     * tick's) is refused, as Auto Scaling would refuse it.
     */
    private void exitStandbyOnceInStandby(FleetChange.ExitStandby c, GroupView looked) {
        GroupView view = looked != null ? looked : existing(c.group());
        List<String> entering = c.instanceIds().stream().filter(id -> view.instance(id).map(GroupView.InstanceView::enteringStandby)
                .orElse(false)).toList();
        if (!entering.isEmpty()) {
            throw new FleetDeployException("Instances " + String.join(", ", entering) + " of group " + c.group()
                    + " are still EnteringStandby, so they cannot leave Standby yet.", "No instance was moved out of Standby.",
                    "Check them (aws autoscaling describe-auto-scaling-instances); once they are in Standby, resume the operation.");
        }
        List<String> ids = c.instanceIds().stream().filter(id -> view.instance(id).map(GroupView.InstanceView::inStandby).orElse(false)).toList();
        if (!ids.isEmpty()) {
            groups.exitStandby(c.group(), ids);
        }
    }

    private FleetDeployException waitedTooLong(String waitingFor) {
        return new FleetDeployException("Waited " + undoWait + " until " + waitingFor + "; they did not.",
                "The instances stay as they are now.", "Check the instances (aws autoscaling describe-auto-scaling-groups,"
                + " describe-target-health), then resume the operation to go on.");
    }

    /** {@code ids} whose instance is {@code wanted}, as {@code looked} shows the group (null: described afresh). */
    private List<String> only(String group, List<String> ids, Predicate<GroupView.InstanceView> wanted, GroupView looked) {
        GroupView view = looked != null ? looked : existing(group);
        return ids.stream().filter(id -> view.instance(id).map(wanted::test).orElse(false)).toList();
    }

    private GroupView existing(String group) {
        return groups.describe(group).orElseThrow(() -> new FleetDeployException("Group " + group + " no longer exists.", "", "Check who deleted it."));
    }

    private void moveChannel(FleetChange.MoveChannel c) {
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
    }

    /**
     * After moving a pull group's pointer back: one look whether its InService instances report that
     * version and serve healthy in every target group of the group (the processes a pull suspended are
     * resumed after this, and Auto Scaling's HealthCheck would replace an instance whose target is still
     * unhealthy from the bad release). After the undo wait it goes on with a warning naming the
     * stragglers (they converge on their next poll).
     */
    private UndoWait awaitVersion(FleetChange.MoveChannel c, UndoWait waiting) {
        UndoWait still = waiting != null ? waiting : new UndoWait(REPORT_VERSION, clock.instant(), List.of(), Map.of(),
                "the instances of group " + c.group() + " to report " + c.to() + " and serve healthy", VERSION_POLL);
        Optional<GroupView> view = groups.describe(c.group());
        if (view.isEmpty()) {
            return null;
        }
        List<String> inService = view.get().inServiceIds();
        Map<String, InstanceStatus> reported = statuses.statuses(c.group(), inService);
        List<Map<String, TargetState>> health = view.get().targetGroupArns().stream().map(traffic::targetHealth).toList();
        List<String> stragglers = inService.stream().filter(id -> reported.get(id) == null || !reported.get(id).runs(c.to())
                || health.stream().anyMatch(targets -> !targets.containsKey(id) || !targets.get(id).healthy())).toList();
        if (stragglers.isEmpty()) {
            progress.info("group " + c.group() + " is back on " + c.to() + " and healthy");
            return null;
        }
        if (still.boundPassed(undoWait, clock.instant())) {
            progress.warn("group " + c.group() + ": after " + undoWait + " these instances do not report " + c.to()
                    + " and serve healthy yet: " + String.join(", ", stragglers) + ". The channel points at " + c.to()
                    + "; they converge on their next poll.");
            return null;
        }
        return still;
    }
}
