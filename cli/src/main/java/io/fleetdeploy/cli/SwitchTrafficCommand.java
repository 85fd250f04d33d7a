package io.fleetdeploy.cli;

import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.fleet.SwitchRequest;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OnFailure;
import io.fleetdeploy.core.operation.OperationRecord;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "switch-traffic", mixinStandardHelpOptions = true,
        description = "Moves a listener's (or rule's) traffic to a target group, at once or in weighted steps with a bake time and health gate.")
final class SwitchTrafficCommand extends OperationCommand {

    static final class Target {
        @Option(names = "--listener", required = true, paramLabel = "ARN", description = "Listener ARN.")
        String listener;

        @Option(names = "--rule", required = true, paramLabel = "ARN", description = "Listener rule ARN.")
        String rule;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--target-group", required = true, description = "Target group (name or ARN) to send traffic to.")
    String targetGroup;

    @Option(names = "--steps", split = ",", description = "Percentages to the new group, e.g. 10,50,100 (default: 100 at once).")
    List<Integer> steps;

    @Option(names = "--bake-time", converter = DurationConverter.class, description = "Wait after each step with the health gate checked.")
    Duration bakeTime;

    @Option(names = "--health-gate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Fail and restore when the new group turns unhealthy during a bake (default: on).")
    boolean healthGate;

    @Option(names = "--timeout", converter = DurationConverter.class, description = "Bound of every wait (default 10m).")
    Duration timeout;

    @Option(names = "--on-failure", defaultValue = "rollback", description = "rollback or halt (default: ${DEFAULT-VALUE}).")
    String onFailure;

    @Override
    OperationRecord run(FleetOperations operations, AbortSignal abort) {
        String arn = target.listener != null ? target.listener : target.rule;
        return operations.switchTraffic(new SwitchRequest(arn, targetGroup, steps, bakeTime, healthGate, timeout,
                OnFailure.parse(onFailure), null), abort);
    }
}
