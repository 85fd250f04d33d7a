package io.fleetdeploy.cli.demo;

import io.fleetdeploy.cli.CliProgress;
import io.fleetdeploy.cli.SandboxCommand;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.sandbox.SandboxConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fleet-deploy demo}: a whole deploy under live traffic, in a local sandbox, measured. Exit
 * code 0 when every run ended as it should (without --fault: deployed, 0 non-2xx, final state OK; with
 * --fault: final state OK), 1 otherwise.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = {
        "Starts a local sandbox (real instances, listener, PostgreSQL), brings a fleet up on release 1.0 (schema key k1),",
        "sends live traffic through the listener and deploys 2.0 (a migration and schema key k2) the way",
        "examples/<strategy>.Jenkinsfile does; then reports errors, code/schema skew, latency, AWS API calls and",
        "the final state. Nothing outside 127.0.0.1 is contacted; everything started is stopped at the end."})
public final class DemoCommand implements Callable<Integer> {

    /** The sandbox's default FLEET_AWS: Debian's AWS CLI v2, which .ci/run installs. */
    static final String AWS_CLI = "/usr/bin/aws";

    @Spec
    CommandSpec spec;

    @Option(names = "--strategy", defaultValue = "all", paramLabel = "push|pull|blue-green|all",
            description = "Which deploy to run (default: ${DEFAULT-VALUE}: the three, one after the other).")
    String strategy;

    @Option(names = "--instances", defaultValue = "8", paramLabel = "N", description = "Instances per group, 1..32; push needs 4 or more (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--rps", defaultValue = "100", paramLabel = "R", description = "Requests per second through the listener, 1..1000 (default: ${DEFAULT-VALUE}).")
    int rps;

    @Option(names = "--fault", paramLabel = "bad-release|kill-instance|throttle",
            description = "Inject a fault into the deploy and show the automatic rollback.")
    String fault;

    @Option(names = "--report", paramLabel = "FILE.html", description = "Also write the report as one self-contained HTML page.")
    Path report;

    @Option(names = "--max-load", defaultValue = "600", paramLabel = "SECONDS",
            description = "Bound of each run's load, in seconds (default: ${DEFAULT-VALUE}).")
    int maxLoadSeconds;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CliProgress progress = new CliProgress(spec.commandLine().getErr());
        List<Strategy> strategies = validate();
        Fault injected = fault == null ? null : Fault.parse(fault);
        List<ScenarioResult> results = new ArrayList<>();
        Path agent = SandboxCommand.extractShippedAgent();
        try {
            // One sandbox per strategy: each starts from an empty database and an empty bucket.
            for (Strategy each : strategies) {
                try (DemoCloud cloud = startCloud(each, agent)) {
                    ScenarioResult result = new Scenario(cloud, each, injected, instances, rps, Duration.ofSeconds(maxLoadSeconds),
                            progress).run();
                    results.add(result);
                    TextReport.print(out, List.of(result));
                }
            }
        } finally {
            SandboxCommand.deleteQuietly(agent);
        }
        if (report != null) {
            try {
                Files.writeString(report, HtmlReport.render(results));
            } catch (IOException e) {
                throw new FleetDeployException("The HTML report could not be written to " + report + ": " + e.getMessage(),
                        "The text report above is complete; the sandbox was stopped.", "Give a writable --report path.", e);
            }
            out.println("HTML report: " + report.toAbsolutePath());
            out.flush();
        }
        boolean good = results.stream().allMatch(r -> r.finalState().ok()
                && (injected != null || r.deployed() && r.figures().non2xx() == 0));
        return good ? 0 : 1;
    }

    private List<Strategy> validate() {
        List<Strategy> strategies;
        try {
            strategies = Strategy.parse(strategy);
            if (fault != null) {
                Fault.parse(fault);
            }
        } catch (IllegalArgumentException e) {
            throw FleetDeployException.invalidInput(e.getMessage() + ".", "Nothing was started; see fleet-deploy demo --help.");
        }
        if (instances < 1 || instances > 32) {
            throw FleetDeployException.invalidInput("--instances " + instances + " is outside 1..32.", "Nothing was started; give 1 to 32.");
        }
        int pushMinimum = Scenario.pushMinimumInstances();
        if (strategies.contains(Strategy.PUSH) && instances < pushMinimum) {
            throw FleetDeployException.invalidInput("--instances " + instances + " is too few for the push demo: like "
                    + "examples/push.Jenkinsfile it puts 2.0 on one canary instance, then rolls out the rest while "
                    + Scenario.PUSH_MIN_HEALTHY_PERCENT + " % of the group keeps serving (minHealthyPercent), and with "
                    + instances + " instance(s) no instance could be taken out.",
                    "Nothing was started; give --instances " + pushMinimum + " or more for push (or all), or run another --strategy.");
        }
                if (rps < 1 || rps > 1000) {
            throw FleetDeployException.invalidInput("--rps " + rps + " is outside 1..1000.", "Nothing was started; give 1 to 1000.");
        }
        if (maxLoadSeconds < 10 || maxLoadSeconds > 3600) {
            throw FleetDeployException.invalidInput("--max-load " + maxLoadSeconds + " is outside 10..3600.",
                    "Nothing was started; give 10 to 3600 seconds.");
        }
        if (report != null && (report.getParent() != null && !Files.isDirectory(report.getParent()) || Files.isDirectory(report))) {
            throw FleetDeployException.invalidInput("--report " + report + " is not a file in an existing directory.",
                    "Nothing was started; give a path like demo-report.html.");
        }
        if (!Files.isExecutable(Path.of(AWS_CLI))) {
            throw FleetDeployException.invalidInput("The demo's instances run the real agent, which calls the AWS CLI at " + AWS_CLI
                    + ", and there is none.", "Nothing was started; install it (apt-get install -y awscli) and run the demo again.");
        }
        return strategies;
    }

    private DemoCloud startCloud(Strategy strategy, Path agent) {
        try {
            return DemoCloud.start(strategy, instances, agent);
        } catch (SandboxConfigException e) {
            throw new FleetDeployException("The demo's sandbox configuration was refused: " + e.getMessage(), "Nothing was started.",
                    "Report this as a bug of fleet-deploy demo.", e);
        } catch (UncheckedIOException e) {
            throw new FleetDeployException("The sandbox could not start: " + e.getMessage(), "Everything it had started was stopped.",
                    "Check that the machine has free loopback ports and disk space, then run it again.", e);
        }
    }
}
