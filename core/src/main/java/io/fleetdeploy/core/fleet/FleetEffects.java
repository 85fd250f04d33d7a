package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.operation.Effects;
import io.fleetdeploy.core.operation.Mutation;
import io.fleetdeploy.core.operation.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
            // An instance still EnteringStandby (its targets draining) cannot exit yet, and skipping it would
            // leave it in Standby for good: wait, bounded, until it got there.
            awaitNotEnteringStandby(c.group(), c.instanceIds());
            List<String> ids = only(c.group(), c.instanceIds(), GroupView.InstanceView::inStandby);
            if (!ids.isEmpty()) {
                groups.exitStandby(c.group(), ids);
            }
        } else if (change instanceof FleetChange.SuspendProcesses c) {
            groups.suspendProcesses(c.group(), c.processes());
        } else if (change instanceof FleetChange.ResumeProcesses c) {
            groups.resumeProcesses(c.group(), c.processes());
        } else if (change instanceof FleetChange.SetCapacity c) {
            groups.setCapacity(c.group(), c.to());
        } else if (change instanceof FleetChange.Deregister c) {
            traffic.deregister(c.targetGroupArn(), c.instanceIds());
        } else if (change instanceof FleetChange.Register c) {
            traffic.register(c.targetGroupArn(), c.instanceIds());
        } else if (change instanceof FleetChange.SetForward c) {
            traffic.setForward(c.listenerOrRuleArn(), c.to());
        } else if (change instanceof FleetChange.MoveChannel c) {
            moveChannel(c, undoing);
        } else if (change instanceof FleetChange.Install c) {
            List<String> ids = only(c.group(), c.instanceIds(), i -> !i.lifecycleState().startsWith("Terminat"));
            if (!ids.isEmpty()) {
                commands.install(c.group(), ids, c.version(), c.timeout() != null ? c.timeout() : commandTimeout);
            }
        }
    }

    private void awaitNotEnteringStandby(String group, List<String> ids) {
        Instant giveUp = clock.instant().plus(undoWait);
        while (true) {
            List<String> entering = only(group, ids, i -> "EnteringStandby".equals(i.lifecycleState()));
            if (entering.isEmpty()) {
                return;
            }
            if (!clock.instant().isBefore(giveUp)) {
                throw new FleetDeployException("Instances " + String.join(", ", entering) + " of group " + group + " are still EnteringStandby after "
                        + undoWait + ", so they could not be taken out of Standby.", "They stay on their way to Standby.",
                        "Once they are in Standby, run `aws autoscaling exit-standby --auto-scaling-group-name " + group + " --instance-ids "
                        + String.join(" ", entering) + "`.");
            }
            try {
                sleeper.sleep(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FleetDeployException("Interrupted while waiting for " + String.join(", ", entering) + " to reach Standby.",
                        "They stay on their way to Standby.", "Exit Standby for them once they are in Standby.", e);
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

    /** After moving a pull group's pointer back: wait, bounded, until the InService instances report that version. */
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
            stragglers = inService.stream().filter(id -> reported.get(id) == null || !reported.get(id).runs(version)).toList();
            if (stragglers.isEmpty()) {
                progress.info("group " + group + " is back on " + version);
                return;
            }
            if (!clock.instant().isBefore(giveUp)) {
                progress.warn("group " + group + ": after " + undoWait + " these instances do not report " + version
                        + " yet: " + String.join(", ", stragglers) + ". The channel points at " + version + "; they converge on their next poll.");
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
