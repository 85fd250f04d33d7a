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
}
