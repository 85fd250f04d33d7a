package io.fleetdeploy.cli;

import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.fleet.FleetChange;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStore;
import io.fleetdeploy.core.operation.UndoEntry;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;

@Command(name = "operations", mixinStandardHelpOptions = true, description = "Lists and shows the persisted operations of an app.",
        subcommands = {OperationsCommand.ListOperations.class, OperationsCommand.ShowOperation.class})
final class OperationsCommand {

    @ParentCommand
    FleetDeployCli root;

    abstract static class StoreCommand implements Callable<Integer> {
        @ParentCommand
        OperationsCommand parent;

        @Mixin
        FleetOptions fleet;

        @Spec
        CommandSpec spec;

        abstract void run(OperationStore store, PrintWriter out, boolean json);

        @Override
        public Integer call() {
            try (S3Client s3 = AwsClients.s3(fleet.s3Settings(parent.root.awsSettings()))) {
                PrintWriter out = spec.commandLine().getOut();
                run(new OperationStore(s3, fleet.layout(), FleetChange.mapper()), out, parent.root.json());
                out.flush();
                return 0;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every operation of the app, newest first.")
    static final class ListOperations extends StoreCommand {
        @Override
        void run(OperationStore store, PrintWriter out, boolean json) {
            List<OperationRecord> records = store.list();
            if (json) {
                try {
                    out.println(store.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(records));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                return;
            }
            for (OperationRecord r : records) {
                out.printf("%-50s %-13s %-12s %-20s %s%n", r.id(), r.status(), r.group(), r.created(), r.holder());
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One operation: status, history and undo log.")
    static final class ShowOperation extends StoreCommand {
        @Parameters(index = "0", paramLabel = "OPERATION-ID")
        String operationId;

        @Override
        void run(OperationStore store, PrintWriter out, boolean json) {
            OperationRecord r = store.load(operationId);
            if (json) {
                OperationCommand.print(out, r, true);
                return;
            }
            out.println(r.id() + " (" + r.kind() + ", group " + r.group() + ", by " + r.holder() + ")");
            out.println("status: " + r.status() + (r.message() == null ? "" : " - " + r.message()));
            if (r.waitingFor() != null) {
                out.println("waiting for: " + r.waitingFor());
            }
            out.println("history:");
            r.history().forEach(line -> out.println("  " + line));
            out.println("undo log (" + r.undo().size() + ", replayed newest first):");
            for (UndoEntry entry : r.undo()) {
                out.println("  " + entry.change().describe() + "  <-  " + (entry.inverse() == null ? "(cannot be undone)" : entry.inverse().describe()));
            }
        }
    }
}
