package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class FleetDeployCliTest {

    @Test
    void unknownOptionIsAUsageErrorWithExitCodeTwo() {
        StringWriter err = new StringWriter();
        int code = FleetDeployCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "--no-such-option");
        assertThat(code).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(err.toString()).contains("--no-such-option");
    }

    @Test
    void helpListsTheGlobalOptions() {
        StringWriter out = new StringWriter();
        int code = FleetDeployCli.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--help");
        assertThat(code).isZero();
        assertThat(out.toString()).contains("--endpoint", "--region", "--profile", "--json");
    }

    @Test
    void aCommandLineThatNamesASubcommandBuildsOnlyThatOne() {
        assertThat(FleetDeployCli.commandLine(new FleetDeployCli(), "--region", "eu-west-1", "--json", "publish", "--help")
                .getSubcommands().keySet()).containsExactly("publish");
        // "releases" here is the value of --profile, not a subcommand
        assertThat(FleetDeployCli.commandLine(new FleetDeployCli(), "--profile", "releases", "channel", "get")
                .getSubcommands().keySet()).containsExactly("channel");
    }

    @Test
    void helpUsageAndUnknownNamesSeeEverySubcommand() {
        int all = FleetDeployCli.commandLine(new FleetDeployCli()).getSubcommands().size();
        assertThat(all).isGreaterThan(10);
        assertThat(FleetDeployCli.commandLine(new FleetDeployCli(), "help", "publish").getSubcommands()).hasSize(all);
        assertThat(FleetDeployCli.commandLine(new FleetDeployCli(), "--json", "publsh").getSubcommands()).hasSize(all);

        StringWriter out = new StringWriter();
        assertThat(FleetDeployCli.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "help", "publish")).isZero();
        assertThat(out.toString()).contains("--bucket");
        StringWriter err = new StringWriter();
        assertThat(FleetDeployCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "publsh")).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(err.toString()).contains("publish"); // picocli's suggestion among all names
    }

    @Test
    void globalOptionsBeforeTheSubcommandStillParseWithIt() {
        StringWriter err = new StringWriter();
        int code = FleetDeployCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "--json", "--region", "eu-west-1", "publish");
        assertThat(code).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(err.toString()).contains("Missing required options", "--bucket=BUCKET").doesNotContain("Unknown option");
    }
}
