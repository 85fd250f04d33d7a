package io.fleetdeploy.cli;

import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Continues an operation whose process died (or finishes its undo) from its persisted state.")
final class ResumeCommand extends OperationCommand {

    @Parameters(index = "0", paramLabel = "OPERATION-ID", description = "As printed when it started (fleet-deploy operations list).")
    String operationId;

    @Override
    OperationRecord run(FleetOperations operations, AbortSignal abort) {
        return operations.resume(operationId, abort);
    }
}
