package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsSettings;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The {@code fleet-deploy} command. Global options are inherited by every subcommand, so they may
 * stand before or after the subcommand's name. Exit codes: 0 success, 1 a refused or failed
 * operation, 2 bad usage, 130 stopped by Ctrl-C.
 */
@Command(
        name = "fleet-deploy",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Publishes releases and rolls them out to EC2 Auto Scaling groups.")
public final class FleetDeployCli {

    /**
     * The subcommands, registered by {@link #commandLine}: picocli builds a command's model by
     * reflection over all its options, which for every subcommand was a third of a short command's
     * start-up, so a command line that names one gets only that one.
     */
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            CommandLine.HelpCommand.class,
            PublishCommand.class,
            ReleasesCommand.class,
            ChannelCommand.class,
            DrainCommand.class,
            RolloutCommand.class,
            SwitchTrafficCommand.class,
            ResumeCommand.class,
            OperationsCommand.class,
            SandboxCommand.class,
            MigrateCommand.class,
            SchemaKeyCommand.class,
            io.fleetdeploy.cli.demo.DemoCommand.class);

    /** Global options that take a value: the word after them is that value, not a subcommand. */
    private static final Set<String> GLOBAL_OPTIONS_WITH_VALUE = Set.of("--region", "--endpoint", "--profile");

    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    /** Stopped by Ctrl-C: the shell's code for SIGINT (128 + 2), which the JVM exits with anyway once the shutdown hooks ran. */
    public static final int EXIT_INTERRUPTED = 130;

    @Option(names = "--region", scope = ScopeType.INHERIT, paramLabel = "REGION",
            description = "AWS region; default: the SDK's region chain (AWS_REGION, profile, instance metadata).")
    String region;

    @Option(names = "--endpoint", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Endpoint override for every AWS call (an S3-compatible store, the sandbox).")
    String endpoint;

    @Option(names = "--profile", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Named profile from ~/.aws/credentials; default: the SDK's credentials chain.")
    String profile;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the result as JSON on stdout.")
    boolean json;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of failures.")
    boolean debug;

    public AwsSettings awsSettings() {
        return AwsSettings.of(region, endpoint, profile);
    }

    public boolean json() {
        return json;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line; the entry point for tests, which give their own writers. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        FleetDeployCli root = new FleetDeployCli();
        CommandLine commandLine = commandLine(root, args);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, failedCommand, parseResult) -> {
            PrintWriter errors = failedCommand.getErr();
            errors.println("fleet-deploy: " + describe(exception));
            if (root.debug) {
                exception.printStackTrace(errors);
            }
            errors.flush();
            return exception instanceof IllegalArgumentException && !(exception instanceof FleetDeployException)
                    ? EXIT_USAGE : EXIT_FAILED;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The command line with the one subcommand {@code args} names, or with all of them when it names
     * none or {@code help} (usage and help list them all; an unknown name gets picocli's suggestions).
     */
    static CommandLine commandLine(FleetDeployCli root, String... args) {
        CommandLine commandLine = new CommandLine(root);
        String named = subcommandName(args);
        for (Class<?> subcommand : SUBCOMMANDS) {
            if (named == null || named.equals("help") || named.equals(subcommand.getAnnotation(Command.class).name())) {
                commandLine.addSubcommand(subcommand);
            }
        }
        return commandLine;
    }

    /** The first word of {@code args} that is a subcommand's name, skipping the values of global options; null if none. */
    private static String subcommandName(String... args) {
        Set<String> names = new HashSet<>();
        for (Class<?> subcommand : SUBCOMMANDS) {
            names.add(subcommand.getAnnotation(Command.class).name());
        }
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                return null;
            }
            if (GLOBAL_OPTIONS_WITH_VALUE.contains(args[i])) {
                i++;
            } else if (names.contains(args[i])) {
                return args[i];
            } else if (!args[i].startsWith("-")) {
                return null; // a word that names no subcommand: picocli reports it against all of them
            }
        }
        return null;
    }

    static String describe(Exception exception) {
        if (exception instanceof FleetDeployException) {
            return exception.getMessage();
        }
        if (exception instanceof SdkException) {
            return "An AWS call failed: " + exception.getMessage()
                    + " Nothing more was changed by this command after that call. Check the credentials, region and endpoint.";
        }
        return exception.getClass().getSimpleName() + ": " + exception.getMessage();
    }
}
