package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsSettings;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The {@code fleet-deploy} command. Global options are inherited by every subcommand, so they may
 * stand before or after the subcommand's name. Exit codes: 0 success, 1 a refused or failed
 * operation, 2 bad usage.
 */
@Command(
        name = "fleet-deploy",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Publishes releases and rolls them out to EC2 Auto Scaling groups.",
        subcommands = {
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
            io.fleetdeploy.cli.demo.DemoCommand.class,
        })
public final class FleetDeployCli {

    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;

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
        CommandLine commandLine = new CommandLine(root);
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

    private static String describe(Exception exception) {
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
