package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.SandboxConfigException;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code fleet-deploy sandbox up}: the local AWS-compatible cloud, until Ctrl-C. */
@Command(name = "sandbox", description = "A local AWS-compatible cloud with real instances, listeners and databases.",
        subcommands = SandboxCommand.Up.class)
public final class SandboxCommand {

    /** Where core ships the instance agent. */
    static final String AGENT_RESOURCE = "/io/fleetdeploy/agent/fleet-agent.sh";

    @ParentCommand
    FleetDeployCli root;

    @Command(name = "up", description = {
            "Starts the sandbox on 127.0.0.1 and prints its endpoints, region, keys and listener URLs.",
            "Without --config: one app (shop), one group of 3 instances behind an ALB listener, one PostgreSQL.",
            "Ctrl-C stops it and everything it started."})
    static final class Up implements Callable<Integer> {

        @ParentCommand
        SandboxCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "Sandbox configuration (JSON); default: the built-in one.")
        Path config;

        @Option(names = "--agent", paramLabel = "FILE",
                description = "The fleet-agent.sh new instances run; default: the config's agentScript, else the one this CLI ships.")
        Path agent;

        @Override
        public Integer call() throws InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            SandboxConfig settings = read();
            Path shippedAgent = null;
            if (agent != null) {
                settings = settings.withAgentScript(agent);
            } else if (settings.agentScript().isEmpty()) {
                shippedAgent = extractShippedAgent();
                settings = settings.withAgentScript(shippedAgent);
            }
            Sandbox sandbox;
            try {
                sandbox = Sandbox.start(settings);
            } catch (SandboxConfigException e) {
                throw FleetDeployException.invalidInput(e.getMessage(), "");
            } catch (UncheckedIOException e) {
                throw new FleetDeployException("The sandbox could not start: " + e.getMessage(),
                        "Everything it had started was stopped.", "Check that the machine has free loopback ports"
                        + " and disk space, then run it again.", e);
            }
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(1);
            Thread onCtrlC = new Thread(() -> {
                stop.countDown();
                try {
                    // The JVM exits when this hook returns: let close() finish first.
                    stopped.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "sandbox-stop");
            Runtime.getRuntime().addShutdownHook(onCtrlC);
            try {
                print(out, sandbox);
                stop.await();
            } catch (InterruptedException e) {
                // An interrupt (the test entry point, an embedding program) stops it as Ctrl-C does.
                Thread.currentThread().interrupt();
            } finally {
                sandbox.close();
                deleteQuietly(shippedAgent);
                out.println("fleet-deploy sandbox stopped; everything it started was closed.");
                out.flush();
                stopped.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(onCtrlC);
                } catch (IllegalStateException alreadyShuttingDown) {
                    // Ctrl-C: the hook is running and waits for "stopped".
                }
            }
            return 0;
        }

        private SandboxConfig read() {
            try {
                return config == null ? SandboxConfig.defaults() : SandboxConfig.load(config);
            } catch (SandboxConfigException e) {
                throw FleetDeployException.invalidInput(e.getMessage(), "");
            }
        }

        private static void print(PrintWriter out, Sandbox sandbox) {
            out.println("fleet-deploy sandbox is up (Ctrl-C stops it)");
            out.println("  AWS endpoint:  " + sandbox.awsEndpoint() + "   (Auto Scaling, ELBv2, EC2, SSM, RDS, STS)");
            out.println("  S3 endpoint:   " + sandbox.s3Endpoint() + "   (path-style; bucket " + sandbox.bucket() + ")");
            out.println("  Region:        " + sandbox.region());
            out.println("  Admin API:     " + sandbox.adminEndpoint() + "   (faults, call counters)");
            for (SandboxConfig.User user : sandbox.users()) {
                // A local sandbox's own keys: users need them to point clients at it.
                out.println("  User " + user.name() + ":  AWS_ACCESS_KEY_ID=" + user.accessKeyId()
                        + "  AWS_SECRET_ACCESS_KEY=" + user.secretAccessKey());
            }
            for (Map.Entry<String, URI> listener : sandbox.listenerUrls().entrySet()) {
                out.println("  Listener " + listener.getKey() + ":  " + listener.getValue());
            }
            for (Map.Entry<String, DatabaseServer> db : sandbox.databases().entrySet()) {
                out.println("  Database " + db.getKey() + ":  " + db.getValue().jdbcUrl() + "  (user "
                        + db.getValue().masterUser() + ", password as configured)");
            }
            for (SandboxConfig.Group group : sandbox.config().groups()) {
                out.println("  Group " + group.name() + ":  app " + group.app() + ", channel " + group.channel()
                        + ", desired " + group.desiredCapacity());
            }
            out.println("  Try: aws --endpoint-url " + sandbox.awsEndpoint() + " --region " + sandbox.region()
                    + " autoscaling describe-auto-scaling-groups");
            out.flush();
        }
    }

    /** Writes the agent this CLI ships to a temporary file (the caller deletes it with {@link #deleteQuietly}). */
    public static Path extractShippedAgent() {
        try (InputStream in = SandboxCommand.class.getResourceAsStream(AGENT_RESOURCE)) {
            if (in == null) {
                throw FleetDeployException.invalidInput("This fleet-deploy build carries no instance agent ("
                        + AGENT_RESOURCE + ").", "Give one with --agent agent/fleet-agent.sh (sandbox up), or rebuild the command line.");
            }
            Path file = Files.createTempFile("fleet-agent-", ".sh");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new FleetDeployException("The instance agent could not be written to a temporary file: "
                    + e.getMessage(), "Nothing was started.", "Free some disk space or give --agent FILE.", e);
        }
    }

    public static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file left behind is the OS's temp cleaning's to remove
            }
        }
    }
}
