package io.fleetdeploy.cli;

import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.fleet.RolloutRequest;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OnFailure;
import io.fleetdeploy.core.operation.OperationRecord;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Puts a published version on an Auto Scaling group: push (in batches), pull (move the channel, wait for convergence) or replace (scale an idle group).")
final class RolloutCommand extends OperationCommand {

    @Option(names = "--group", required = true, description = "Auto Scaling group.")
    String group;

    @Option(names = "--version", required = true, description = "Published version to roll out.")
    String version;

    @Option(names = "--strategy", defaultValue = "push", description = "push, pull or replace (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--channel", description = "Channel pointer recording the group's desired version (default: the group name).")
    String channel;

    @Option(names = "--batch-size", description = "push: instances per batch.")
    Integer batchSize;

    @Option(names = "--batch-percent", description = "push: batch as a percentage of the InService instances.")
    Integer batchPercent;

    @Option(names = "--min-healthy-percent", description = "push: share of instances serving healthy at every moment.")
    Integer minHealthyPercent;

    @Option(names = "--canary", description = "push: the first batch is one instance.")
    boolean canary;

    @Option(names = "--pause-between-batches", converter = DurationConverter.class, description = "push: wait between batches.")
    Duration pause;

    @Option(names = "--healthy-checks", description = "push/pull/replace: consecutive healthy observations (target healthy, version reported) required (default 2). As many consecutive observations of an instance on the new version its target group reports unhealthy (not initial) fail the rollout at once.")
    Integer healthyChecks;

    @Option(names = "--timeout", converter = DurationConverter.class, description = "Bound of every wait (default 10m).")
    Duration timeout;

    @Option(names = "--on-failure", defaultValue = "rollback", description = "rollback or halt (default: ${DEFAULT-VALUE}).")
    String onFailure;

    @Option(names = "--converge-percent", description = "pull: share of InService instances that must serve healthy on the version (default 100).")
    Integer convergePercent;

    @Option(names = "--capacity", description = "replace: instances to run.")
    Integer capacity;

    @Option(names = "--match-group", description = "replace: run as many instances as this group.")
    String matchGroup;

    @Option(names = "--command-timeout", converter = DurationConverter.class, description = "push: bound of the SSM install per batch (default 10m).")
    Duration commandTimeout;

    @Option(names = "--instance-count", description = "push: only this many InService instances not on the version yet (a canary);"
            + " the channel pointer is left as it is.")
    Integer instanceCount;

    @Option(names = "--instance", description = "push: only this instance (repeatable); the channel pointer is left as it is.")
    List<String> instanceIds;

    @Override
    OperationRecord run(FleetOperations operations, AbortSignal abort) {
        RolloutRequest.Strategy parsed = switch (strategy.toLowerCase()) {
            case "push" -> RolloutRequest.Strategy.PUSH;
            case "pull" -> RolloutRequest.Strategy.PULL;
            case "replace" -> RolloutRequest.Strategy.REPLACE;
            default -> throw io.fleetdeploy.core.FleetDeployException.invalidInput("Strategy '" + strategy + "' is not known.",
                    "Use --strategy push, pull or replace.");
        };
        return operations.rollout(new RolloutRequest(group, version, parsed, channel, batchSize, batchPercent, minHealthyPercent,
                canary, pause, healthyChecks, timeout, OnFailure.parse(onFailure), convergePercent, capacity, matchGroup,
                commandTimeout, instanceCount, instanceIds), abort);
    }
}
