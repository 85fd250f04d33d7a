package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.fleet.DrainRequest;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OnFailure;
import io.fleetdeploy.core.operation.OperationRecord;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "drain", mixinStandardHelpOptions = true,
        description = "Takes instances of a group out of traffic and waits until they are drained; --restore puts back the group's last drain.")
final class DrainCommand extends OperationCommand {

    @Option(names = "--group", required = true, description = "Auto Scaling group.")
    String group;

    @Option(names = "--count", description = "Drain this many instances.")
    Integer count;

    @Option(names = "--percent", description = "Drain this percentage of the InService instances.")
    Integer percent;

    @Option(names = "--instance", paramLabel = "ID", description = "Drain these instances (repeatable).")
    List<String> instances;

    @Option(names = "--mode", defaultValue = "standby", description = "standby, deregister or scale-to-zero (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--timeout", converter = DurationConverter.class, description = "Bound of the drain wait (default 10m).")
    Duration timeout;

    @Option(names = "--on-failure", defaultValue = "rollback", description = "rollback or halt (default: ${DEFAULT-VALUE}).")
    String onFailure;

    @Option(names = "--restore", description = "Put back exactly what the group's last drain changed.")
    boolean restore;

    @Override
    OperationRecord run(FleetOperations operations, AbortSignal abort) {
        DrainRequest.Mode parsed = switch (mode.toLowerCase()) {
            case "standby" -> DrainRequest.Mode.STANDBY;
            case "deregister" -> DrainRequest.Mode.DEREGISTER;
            case "scale-to-zero", "scaletozero" -> DrainRequest.Mode.SCALE_TO_ZERO;
            default -> throw FleetDeployException.invalidInput("Mode '" + mode + "' is not known.",
                    "Use --mode standby, deregister or scale-to-zero.");
        };
        return operations.drain(new DrainRequest(group, count, percent, instances, parsed, timeout, OnFailure.parse(onFailure), restore), abort);
    }
}
