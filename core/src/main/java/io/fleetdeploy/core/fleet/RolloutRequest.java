package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.operation.OnFailure;
import java.time.Duration;
import java.util.List;

/**
 * Everything a rolloutGroup takes. Null fields get their documented defaults; {@link #checked()}
 * refuses what is wrong on its face (the rest needs the group and is checked by the operation
 * before any change).
 *
 * @param channel             the channel pointer that records the group's desired version; default: the group name
 * @param batchSize           push: instances per batch; null: batchPercent, else as many as minHealthyPercent allows
 * @param batchPercent        push: batch as a percentage of the InService instances
 * @param minHealthyPercent   push: share of InService instances that must serve healthy at every moment (default 100 - one batch)
 * @param canary              push: the first batch is one instance
 * @param pauseBetweenBatches push: wait between batches (default 0)
 * @param healthyChecks       push/replace: consecutive healthy observations needed (default 2); push: also the
 *                            consecutive observations of an installed instance reported unhealthy by its target
 *                            group (not "initial") that fail the batch at once, before the timeout
 * @param timeout             the bound of every wait (default 10 minutes)
 * @param convergePercent     pull: share of InService instances that must report the version (default 100)
 * @param capacity            replace: instances to run; or
 * @param matchGroup          replace: run as many as this group's desired capacity
 * @param commandTimeout      push: bound of the SSM install command per batch (default 10 minutes)
 * @param instanceCount       push: only this many InService instances (a partial rollout, e.g. a canary); or
 * @param instanceIds         push: only these InService instances. A partial rollout leaves the channel
 *                            pointer as it is: only a full rollout records the group's desired version
 */
public record RolloutRequest(String group, String version, Strategy strategy, String channel, Integer batchSize,
                             Integer batchPercent, Integer minHealthyPercent, boolean canary, Duration pauseBetweenBatches,
                             Integer healthyChecks, Duration timeout, OnFailure onFailure, Integer convergePercent,
                             Integer capacity, String matchGroup, Duration commandTimeout,
                             Integer instanceCount, List<String> instanceIds) {

    public enum Strategy { PUSH, PULL, REPLACE }

    public RolloutRequest {
        strategy = strategy == null ? Strategy.PUSH : strategy;
        channel = channel == null || channel.isBlank() ? group : channel;
        pauseBetweenBatches = pauseBetweenBatches == null ? Duration.ZERO : pauseBetweenBatches;
        healthyChecks = healthyChecks == null ? 2 : healthyChecks;
        timeout = timeout == null ? Duration.ofMinutes(10) : timeout;
        onFailure = onFailure == null ? OnFailure.ROLLBACK : onFailure;
        convergePercent = convergePercent == null ? 100 : convergePercent;
        commandTimeout = commandTimeout == null ? Duration.ofMinutes(10) : commandTimeout;
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
    }

    /** A rollout of the whole group (no instanceCount, no instanceIds). */
    public RolloutRequest(String group, String version, Strategy strategy, String channel, Integer batchSize,
                          Integer batchPercent, Integer minHealthyPercent, boolean canary, Duration pauseBetweenBatches,
                          Integer healthyChecks, Duration timeout, OnFailure onFailure, Integer convergePercent,
                          Integer capacity, String matchGroup, Duration commandTimeout) {
        this(group, version, strategy, channel, batchSize, batchPercent, minHealthyPercent, canary, pauseBetweenBatches,
                healthyChecks, timeout, onFailure, convergePercent, capacity, matchGroup, commandTimeout, null, null);
    }

    /** The same rollout limited to {@code count} instances (null: no count limit). */
    public RolloutRequest withInstanceCount(Integer count) {
        return new RolloutRequest(group, version, strategy, channel, batchSize, batchPercent, minHealthyPercent, canary,
                pauseBetweenBatches, healthyChecks, timeout, onFailure, convergePercent, capacity, matchGroup, commandTimeout,
                count, instanceIds);
    }

    /** The same rollout limited to these instances (empty: no limit). */
    public RolloutRequest withInstanceIds(List<String> ids) {
        return new RolloutRequest(group, version, strategy, channel, batchSize, batchPercent, minHealthyPercent, canary,
                pauseBetweenBatches, healthyChecks, timeout, onFailure, convergePercent, capacity, matchGroup, commandTimeout,
                instanceCount, ids);
    }

    /** True when only part of the group is asked for: then the channel pointer is left as it is. */
    public boolean partial() {
        return instanceCount != null || !instanceIds.isEmpty();
    }

    public static RolloutRequest push(String group, String version) {
        return new RolloutRequest(group, version, Strategy.PUSH, null, null, null, null, false, null, null, null, null,
                null, null, null, null);
    }

    /** Checks what can be checked without AWS; returns this. */
    public RolloutRequest checked() {
        Names.requireSafe("group", group);
        Names.requireSafe("version", version);
        Names.requireSafe("channel", channel);
        if (batchSize != null && batchSize < 1) {
            throw FleetDeployException.invalidInput("batchSize " + batchSize + " is not allowed.", "Give a batchSize of 1 or more.");
        }
        if (batchPercent != null && (batchPercent < 1 || batchPercent > 100)) {
            throw FleetDeployException.invalidInput("batchPercent " + batchPercent + " is outside 1..100.", "Give a batchPercent from 1 to 100.");
        }
        if (batchSize != null && batchPercent != null) {
            throw FleetDeployException.invalidInput("Both batchSize and batchPercent were given.", "Give one of them.");
        }
        if (minHealthyPercent != null && (minHealthyPercent < 0 || minHealthyPercent > 100)) {
            throw FleetDeployException.invalidInput("minHealthyPercent " + minHealthyPercent + " is outside 0..100.",
                    "Give a minHealthyPercent from 0 to 100.");
        }
        if (convergePercent < 1 || convergePercent > 100) {
            throw FleetDeployException.invalidInput("convergePercent " + convergePercent + " is outside 1..100.",
                    "Give a convergePercent from 1 to 100.");
        }
        if (healthyChecks < 1) {
            throw FleetDeployException.invalidInput("healthyChecks " + healthyChecks + " is not allowed.", "Give healthyChecks of 1 or more.");
        }
        requirePositive("timeout", timeout);
        requirePositive("commandTimeout", commandTimeout);
        if (pauseBetweenBatches.isNegative()) {
            throw FleetDeployException.invalidInput("pauseBetweenBatches " + pauseBetweenBatches + " is negative.", "Give zero or more.");
        }
        if (partial() && strategy != Strategy.PUSH) {
            throw FleetDeployException.invalidInput("instanceCount and instanceIds apply to a push rollout only, not " + strategy + ".",
                    "Drop them, or use strategy push.");
        }
        if (instanceCount != null && !instanceIds.isEmpty()) {
            throw FleetDeployException.invalidInput("Both instanceCount and instanceIds were given.", "Give one of them.");
        }
        if (instanceCount != null && instanceCount < 1) {
            throw FleetDeployException.invalidInput("instanceCount " + instanceCount + " is not allowed.",
                    "Give an instanceCount of 1 or more (at most the group's InService instances).");
        }
        instanceIds.forEach(id -> Names.requireSafe("instance id", id));
        if (instanceIds.stream().distinct().count() != instanceIds.size()) {
            throw FleetDeployException.invalidInput("instanceIds names an instance twice: " + instanceIds + ".", "Name each instance once.");
        }
        if (strategy == Strategy.REPLACE) {
            if ((capacity == null) == (matchGroup == null)) {
                throw FleetDeployException.invalidInput("A replace rollout needs exactly one of capacity and matchGroup.",
                        "Give capacity (a number of instances) or matchGroup (the group whose size to match).");
            }
            if (capacity != null && capacity < 1) {
                throw FleetDeployException.invalidInput("capacity " + capacity + " is not allowed.", "Give a capacity of 1 or more.");
            }
            if (matchGroup != null) {
                Names.requireSafe("matchGroup", matchGroup);
            }
        }
        return this;
    }

    static void requirePositive(String field, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw FleetDeployException.invalidInput(field + " " + value + " is not positive.", "Give a positive " + field + ".");
        }
    }
}
