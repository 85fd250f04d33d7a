package io.fleetdeploy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input is refused before any S3 call and before anything on disk changes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentInputTest {

    @RegisterExtension
    static final S3Endpoint s3 = new S3Endpoint();

    static Stream<String> badVersions() {
        return Stream.of("../x", "$(id)", "a;b", "`id`", "a b", "-rf", ".hidden", "1..2", "", "1.0/../../etc",
                "x".repeat(129), "1.0\n2.0", "caf\u00e9", "a|b", "*");
    }

    @ParameterizedTest
    @MethodSource("badVersions")
    void refusesUnsafeVersionsBeforeAnyS3Call(String version, @TempDir Path root) throws Exception {
        AgentHarness agent = new AgentHarness(s3, root, List.of("sh"), "input", "", "i-1");

        AgentHarness.Result result = agent.run("install", version);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr()).startsWith("fleet-agent: refused version").contains("nothing was changed")
                .doesNotContain("uid=");
        assertThat(result.stderr().strip()).as("one line").doesNotContain("\n");
        assertThat(agent.s3Calls()).isEmpty();
        try (Stream<Path> files = Files.list(agent.home())) {
            assertThat(files).as("FLEET_HOME untouched").isEmpty();
        }
    }

    @Test
    void refusesBadSettingsAndUsage(@TempDir Path root) throws Exception {
        AgentHarness agent = new AgentHarness(s3, root, List.of("sh"), "input", "", "i-1");

        assertThat(agent.run().exitCode()).isEqualTo(2);
        assertThat(agent.run("deploy", "1.0").lastErrorLine()).startsWith("fleet-agent: usage:");
        assertThat(agent.run("install").exitCode()).isEqualTo(2);
        assertThat(agent.env("FLEET_KEEP", "0").run("install", "1.0").lastErrorLine())
                .contains("FLEET_KEEP='0'", "positive whole number");
        agent.env("FLEET_KEEP", null);
        assertThat(agent.env("FLEET_HOOK_TIMEOUT", "1s").run("install", "1.0").exitCode()).isEqualTo(2);
        agent.env("FLEET_HOOK_TIMEOUT", null);
        assertThat(agent.env("FLEET_GROUP", "web/../x").run("install", "1.0").lastErrorLine())
                .startsWith("fleet-agent: refused FLEET_GROUP");
        agent.env("FLEET_GROUP", "web");
        assertThat(agent.env("FLEET_BUCKET", null).run("install", "1.0").lastErrorLine())
                .isEqualTo("fleet-agent: FLEET_BUCKET is not set; nothing was changed");
        agent.env("FLEET_BUCKET", "input");
        assertThat(agent.env("FLEET_CHANNEL", "../prod").run("poll").lastErrorLine())
                .startsWith("fleet-agent: refused FLEET_CHANNEL");
        assertThat(agent.env("FLEET_S3_CLIENT", "python").run("install", "1.0").lastErrorLine())
                .isEqualTo("fleet-agent: refused FLEET_S3_CLIENT='python': it must be auto, curl or cli; nothing was changed");
        agent.s3Client("cli");
        assertThat(agent.env("FLEET_AWS", "/nonexistent/aws").run("install", "1.0").lastErrorLine())
                .isEqualTo("fleet-agent: cannot find '/nonexistent/aws' (fleet-agent needs it); nothing was changed");

        assertThat(agent.s3Calls()).isEmpty();
        assertThat(agent.leftovers()).isEmpty();
        assertThat(agent.releasesOnDisk()).isEmpty();
    }

    @Test
    void currentWithoutAnInstallSaysSo(@TempDir Path root) throws Exception {
        AgentHarness agent = new AgentHarness(s3, root, List.of("sh"), "input", "", "i-1");

        AgentHarness.Result result = agent.run("current");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.lastErrorLine()).startsWith("fleet-agent: no release is current");
    }
}
