package io.fleetdeploy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.operation.Sleeper;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs one fleet operation to its end. Ctrl-C requests abort: the runner stops between ticks and
 * replays the undo log; the shutdown hook waits (bounded) for that undo before the JVM exits.
 */
abstract class OperationCommand implements Callable<Integer> {

    /** How long Ctrl-C waits for the undo before giving up (the operation can then be resumed). */
    static final Duration UNDO_GRACE = Duration.ofMinutes(5);

    @ParentCommand
    FleetDeployCli root;

    @Mixin
    FleetOptions fleet;

    @Spec
    CommandSpec spec;

    /** Validates and runs; returns the final record. */
    abstract OperationRecord run(FleetOperations operations, AbortSignal abort);

    @Override
    public final Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        AbortSignal abort = new AbortSignal();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            abort.request("Ctrl-C");
            err.println("fleet-deploy: Ctrl-C: aborting; waiting up to " + UNDO_GRACE.toMinutes() + " min for the undo to finish.");
            err.flush();
            try {
                if (!finished.await(UNDO_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    err.println("fleet-deploy: the undo did not finish in time; run `fleet-deploy resume <operation-id>` to finish it.");
                    err.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fleet-deploy-abort");
        Runtime.getRuntime().addShutdownHook(hook);
        try (AwsFleet aws = new AwsFleet(root.awsSettings(), fleet.s3Settings(root.awsSettings()), fleet.layout(), fleet.options(), Clock.systemUTC(),
                Sleeper.interruptibleBy(abort), new CliProgress(err))) {
            OperationRecord record = run(aws.operations(), abort);
            print(spec.commandLine().getOut(), record, root.json());
            return record.status() == OperationStatus.SUCCEEDED ? 0 : FleetDeployCli.EXIT_FAILED;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting because of Ctrl-C: the hook is running and sees `finished`.
            }
        }
    }

    static void print(PrintWriter out, OperationRecord record, boolean json) {
        if (json) {
            try {
                out.println(io.fleetdeploy.core.fleet.FleetChange.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(record));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println(record.id() + " " + record.status() + (record.message() == null ? "" : ": " + record.message()));
            if (!record.apiCalls().isEmpty()) {
                // What the operation cost in AWS calls (retries included): the figure to watch on a throttled account.
                out.println("API calls: " + record.apiCallTotal());
            }
        }
        out.flush();
    }

}
