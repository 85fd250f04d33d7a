package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.Effects;
import io.fleetdeploy.core.operation.OperationCatalog;
import io.fleetdeploy.core.operation.OperationDefinition;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.operation.OperationStore;
import io.fleetdeploy.core.operation.PendingStart;
import io.fleetdeploy.core.operation.UndoEntry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The entry point for drainGroup, rolloutGroup, switchTraffic and resume: validates every input
 * against the real group, listener and releases before anything changes, then starts the
 * operation. {@code start*} returns the session (a Jenkins step ticks it from its timer); the
 * plain methods run it to the end (the CLI).
 */
public final class FleetOperations implements OperationCatalog {

    private final FleetPorts.Groups groups;
    private final FleetPorts.Traffic traffic;
    private final FleetPorts.Releases releases;
    private final FleetObserver observer;
    private final FleetEffects effects;
    private final OperationRunner runner;
    private final OperationStore store;
    private final Clock clock;

    public FleetOperations(FleetPorts.Groups groups, FleetPorts.Traffic traffic, FleetPorts.Releases releases,
                           FleetPorts.Statuses statuses, FleetEffects effects, OperationRunner runner, OperationStore store,
                           Clock clock) {
        this.groups = groups;
        this.traffic = traffic;
        this.releases = releases;
        this.observer = new FleetObserver(groups, traffic, statuses, releases, effects.commands());
        this.effects = effects;
        this.runner = runner;
        this.store = store;
        this.clock = clock;
    }

    @Override
    public OperationDefinition<?, ?> definition(String kind) {
        return switch (kind) {
            case PushRollout.KIND -> new PushRollout(observer);
            case PullRollout.KIND -> new PullRollout(observer);
            case ReplaceRollout.KIND -> new ReplaceRollout(observer);
            case DrainGroup.KIND -> new DrainGroup(observer);
            case RestoreDrain.KIND -> new RestoreDrain(observer);
            case SwitchTraffic.KIND -> new SwitchTraffic(traffic);
            default -> throw FleetDeployException.invalidInput("Operation kind '" + kind + "' is not known to this fleet-deploy.",
                    "Resume it with the fleet-deploy version that started it.");
        };
    }

    @Override
    public Effects effects() {
        return effects;
    }

    public OperationRecord rollout(RolloutRequest request, AbortSignal abort) {
        return startRollout(request, abort).runToEnd();
    }

    public OperationRecord drain(DrainRequest request, AbortSignal abort) {
        OperationRecord record = startDrain(request, abort).runToEnd();
        markRestored(record);
        return record;
    }

    public OperationRecord switchTraffic(SwitchRequest request, AbortSignal abort) {
        return startSwitch(request, abort).runToEnd();
    }

    public OperationRecord resume(String operationId, AbortSignal abort) {
        OperationRecord record = startResume(operationId, abort).runToEnd();
        markRestored(record);
        return record;
    }

    /** Takes a persisted operation back (its lease too) for a caller that ticks it itself: a Jenkins step after a restart. */
    public OperationRunner.Session<?, ?> startResume(String operationId, AbortSignal abort) {
        return runner.resume(operationId, this, abort);
    }

    /** Goes on waiting for the lease of an operation that waited for it when the controller restarted (same bound). */
    public OperationRunner.Session<?, ?> continueStart(PendingStart pending, AbortSignal abort) {
        return runner.continueStart(pending, this, abort);
    }

    public OperationRunner.Session<?, ?> startRollout(RolloutRequest request, AbortSignal abort) {
        RolloutRequest r = request.checked();
        GroupView group = requireGroup(r.group());
        if (!releases.isPublished(r.version())) {
            throw FleetDeployException.invalidInput("Version " + r.version() + " is not published.",
                    "Publish it first (fleet-deploy publish), or check the version, bucket, prefix and app.");
        }
        return switch (r.strategy()) {
            case PUSH -> {
                requireTargetGroup(group, "the push health gate");
                // A group that is replacing an instance is planned once it is whole (PushRollout waits for that in
                // PREPARE, before any change, and refuses an impossible plan there); a whole one is checked now.
                if (PushRollout.settling(group).isEmpty()) {
                    BatchPlan.of(r, group.inServiceIds(), List.of());
                }
                yield runner.start(new PushRollout(observer), effects, PushRollout.State.start(r), r.onFailure(), abort);
            }
            case PULL -> runner.start(new PullRollout(observer), effects, PullRollout.State.start(r), r.onFailure(), abort);
            case REPLACE -> {
                requireTargetGroup(group, "the replace health gate");
                if (r.matchGroup() != null) {
                    requireGroup(r.matchGroup());
                }
                yield runner.start(new ReplaceRollout(observer), effects, ReplaceRollout.State.start(r), r.onFailure(), abort);
            }
        };
    }

    public OperationRunner.Session<?, ?> startDrain(DrainRequest request, AbortSignal abort) {
        DrainRequest r = request.checked();
        GroupView group = requireGroup(r.group());
        if (r.restore()) {
            OperationRecord drain = lastDrain(r.group()).orElseThrow(() -> FleetDeployException.invalidInput(
                    "Group " + r.group() + " has no drain to restore (no succeeded drain that was not restored yet).",
                    "Check `fleet-deploy operations list`; nothing needs restoring."));
            List<FleetChange> inverses = new ArrayList<>();
            List<UndoEntry> undo = drain.undo();
            for (int i = undo.size() - 1; i >= 0; i--) {
                if (undo.get(i).inverse() instanceof FleetChange change) {
                    inverses.add(change);
                }
            }
            return runner.start(new RestoreDrain(observer), effects,
                    new RestoreDrain.State(r.group(), drain.id(), inverses, RestoreDrain.Phase.APPLY, null, r.timeout()), r.onFailure(), abort);
        }
        if (r.mode() == DrainRequest.Mode.DEREGISTER) {
            requireTargetGroup(group, "mode deregister");
        }
        if (r.mode() != DrainRequest.Mode.SCALE_TO_ZERO) {
            r.select(group.inServiceIds());
        }
        return runner.start(new DrainGroup(observer), effects, DrainGroup.State.start(r), r.onFailure(), abort);
    }

    public OperationRunner.Session<?, ?> startSwitch(SwitchRequest request, AbortSignal abort) {
        SwitchRequest r = request.checked();
        String arn = traffic.targetGroupArn(r.targetGroup()).orElseThrow(() -> FleetDeployException.invalidInput(
                "Target group " + r.targetGroup() + " does not exist.", "Give the name or ARN of an existing target group."));
        ForwardConfig current = traffic.forward(r.listenerOrRuleArn()).orElseThrow(() -> FleetDeployException.invalidInput(
                "Listener or rule " + r.listenerOrRuleArn() + " does not exist.", "Give the ARN of an existing listener or rule."));
        long healthy = traffic.targetHealth(arn).values().stream().filter(TargetState::healthy).count();
        if (healthy == 0) {
            throw FleetDeployException.invalidInput("Target group " + ForwardConfig.shortName(arn) + " has no healthy target.",
                    "Roll out to the group behind it and wait until its targets are healthy; traffic was not moved.");
        }
        String lock = r.lockGroup() != null ? r.lockGroup() : "listener-" + r.listenerOrRuleArn().substring(r.listenerOrRuleArn().lastIndexOf('/') + 1);
        if (current.allTo(arn)) {
            throw FleetDeployException.invalidInput("All traffic of " + r.listenerOrRuleArn() + " already goes to " + ForwardConfig.shortName(arn) + ".",
                    "Nothing to switch.");
        }
        return runner.start(new SwitchTraffic(traffic), effects, SwitchTraffic.State.start(r, arn, lock), r.onFailure(), abort);
    }

    /** The group's last succeeded drain that nothing restored yet. */
    public Optional<OperationRecord> lastDrain(String group) {
        return store.list().stream()
                .filter(o -> o.group().equals(group))
                .filter(o -> DrainGroup.KIND.equals(o.kind()) || RestoreDrain.KIND.equals(o.kind()))
                .findFirst()
                .filter(o -> DrainGroup.KIND.equals(o.kind()) && o.status() == OperationStatus.SUCCEEDED && o.restoredBy() == null);
    }

    /** After a restore succeeded, the drain it restored is marked so it is never restored twice. */
    public void markRestored(OperationRecord finished) {
        if (RestoreDrain.KIND.equals(finished.kind()) && finished.status() == OperationStatus.SUCCEEDED) {
            RestoreDrain.State state = store.mapper().convertValue(finished.state(), RestoreDrain.State.class);
            store.find(state.drainId()).ifPresent(d -> store.save(d.withRestoredBy(finished.id(), clock.instant())));
        }
    }

    private GroupView requireGroup(String name) {
        return groups.describe(name).orElseThrow(() -> FleetDeployException.invalidInput(
                "Auto Scaling group " + name + " does not exist.", "Check the group name and the region."));
    }

    private static void requireTargetGroup(GroupView group, String why) {
        if (group.targetGroupArns().isEmpty()) {
            throw FleetDeployException.invalidInput("Group " + group.name() + " has no target group, which " + why + " needs.",
                    "Attach the group to a target group, or use a drain/pull that needs none.");
        }
    }
}
