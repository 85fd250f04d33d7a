package io.fleetdeploy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.schema.DatabaseConnector;
import io.fleetdeploy.core.schema.FlipRequest;
import io.fleetdeploy.core.schema.KeyExpectation;
import io.fleetdeploy.core.schema.SchemaKeyChange;
import io.fleetdeploy.core.schema.SchemaKeyState;
import io.fleetdeploy.core.schema.SchemaKeyStore;
import io.fleetdeploy.core.schema.SchemaKeyTables;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code fleet-deploy schema-key get|flip|history}: the schema key protocol from the command line. */
@Command(name = "schema-key", mixinStandardHelpOptions = true,
        description = "Reads, flips (compare-and-set) and lists the history of the schema key that says which code may do work.",
        subcommands = {SchemaKeyCommand.Get.class, SchemaKeyCommand.Flip.class, SchemaKeyCommand.History.class})
final class SchemaKeyCommand implements Runnable {

    @ParentCommand
    FleetDeployCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Choose one of: get, flip, history.");
    }

    /** Options every schema-key subcommand has. */
    static final class Target {
        @Option(names = "--app", required = true, paramLabel = "APP", description = "The application.")
        String app;

        @Option(names = "--table", paramLabel = "TABLE", defaultValue = "fleet_schema_key",
                description = "The key table (default ${DEFAULT-VALUE}).")
        String table;

        @Option(names = "--history-table", paramLabel = "TABLE", description = "The history table (default: <table>_history).")
        String historyTable;

        @Mixin
        DatabaseOptions database;

        SchemaKeyStore store(RdsDatabases rds, CliProgress progress) {
            SchemaKeyTables tables = new SchemaKeyTables(table, historyTable);
            return new SchemaKeyStore(new DatabaseConnector(rds).connect(database.target(), progress), tables);
        }
    }

    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        SchemaKeyCommand parent;

        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Override
        public Integer call() throws JsonProcessingException {
            CliProgress progress = new CliProgress(spec.commandLine().getErr());
            try (RdsDatabases rds = RdsDatabases.of(parent.root.awsSettings())) {
                Object result = run(target.store(rds, progress), progress, spec.commandLine().getOut());
                if (parent.root.json()) {
                    spec.commandLine().getOut().println(Json.mapper().writeValueAsString(result));
                }
            }
            return 0;
        }

        /** Does the work, prints text unless --json, and returns what --json prints. */
        abstract Object run(SchemaKeyStore store, CliProgress progress, PrintWriter out);

        boolean text() {
            return !parent.root.json();
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Prints the app's schema key (none before its first flip).")
    static final class Get extends Subcommand {
        @Override
        Object run(SchemaKeyStore store, CliProgress progress, PrintWriter out) {
            Optional<SchemaKeyState> state = store.get(target.app);
            if (text()) {
                out.println(state.map(s -> s.app() + ": " + s.schemaKey() + " (set " + s.updatedAt() + " by " + s.updatedBy()
                                + (s.note() == null ? "" : ": " + s.note()) + ")")
                        .orElse(target.app + ": no schema key set"));
            }
            if (state.isPresent()) {
                return state.get();
            }
            Map<String, Object> none = new LinkedHashMap<>();
            none.put("app", target.app);
            none.put("schemaKey", null);
            return none;
        }
    }

    @Command(name = "flip", mixinStandardHelpOptions = true,
            description = "Moves the app's schema key from the expected key to a new one, atomically: fails with"
                    + " 'the key is X, expected Y' and changes nothing when it is not the expected key.")
    static final class Flip extends Subcommand {
        @Option(names = "--to", required = true, paramLabel = "KEY", description = "The new schema key.")
        String to;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Expect expect;

        static final class Expect {
            @Option(names = "--expect", paramLabel = "KEY", description = "The key it must have now.")
            String key;

            @Option(names = "--expect-unset", description = "It must have no key yet (the app's first flip).")
            boolean unset;

            @Option(names = "--force", description = "Whatever it is now (recorded as forced in the history).")
            boolean force;
        }

        @Option(names = "--by", paramLabel = "WHO", description = "Who flips, for the history; default: $BUILD_URL, else user@host.")
        String by;

        @Option(names = "--note", paramLabel = "TEXT", description = "Why, for the history.")
        String note;

        @Override
        Object run(SchemaKeyStore store, CliProgress progress, PrintWriter out) {
            KeyExpectation expectation = expect.key != null ? KeyExpectation.is(expect.key)
                    : expect.unset ? KeyExpectation.unset() : KeyExpectation.force();
            SchemaKeyChange change = store.flip(new FlipRequest(target.app, expectation, to, by != null ? by : whoAmI(), note), progress);
            if (text()) {
                out.println(change.app() + ": " + (change.fromKey() == null ? "(none)" : change.fromKey()) + " -> " + change.toKey()
                        + " at " + change.changedAt() + " by " + change.changedBy() + (change.forced() ? " (forced)" : ""));
            }
            return change;
        }

        private static String whoAmI() {
            String buildUrl = System.getenv("BUILD_URL");
            if (buildUrl != null && !buildUrl.isBlank()) {
                return buildUrl;
            }
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "unknown-host";
            }
            return System.getProperty("user.name") + "@" + host;
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true, description = "Lists the app's flips, newest first.")
    static final class History extends Subcommand {
        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        Object run(SchemaKeyStore store, CliProgress progress, PrintWriter out) {
            List<SchemaKeyChange> changes = store.history(target.app, limit);
            if (text()) {
                if (changes.isEmpty()) {
                    out.println(target.app + ": no flips recorded");
                }
                for (SchemaKeyChange c : changes) {
                    out.println(c.changedAt() + "  " + (c.fromKey() == null ? "(none)" : c.fromKey()) + " -> " + c.toKey()
                            + "  by " + c.changedBy() + (c.forced() ? "  (forced)" : "") + (c.note() == null ? "" : "  " + c.note()));
                }
            }
            return changes;
        }
    }

}
