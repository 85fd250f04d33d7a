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

/** poll: a conditional GET of the channel pointer per run; an install only when it moved. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentPollTest {

    @RegisterExtension
    static final S3Endpoint s3 = new S3Endpoint();

    private AgentHarness instance(Path root, List<String> shell) throws Exception {
        // no prefix here: keys start with the app
        return new AgentHarness(s3, root, shell, s3.newBucket("poll"), "", "i-poll");
    }

    @ParameterizedTest(name = "{0} with S3 client {1}")
    @MethodSource("io.fleetdeploy.agent.Shells#posixShellsAndS3Clients")
    void installsWhenThePointerMovesAndOnlyChecksWhileItDoesNot(List<String> shell, String client, @TempDir Path root)
            throws Exception {
        AgentHarness agent = instance(root, shell).s3Client(client);
        String sha1 = agent.publish(Release.of("1.0"));
        String sha2 = agent.publish(Release.of("2.0").withLoggingHooks());
        agent.pointChannel("1.0", sha1, null, null);

        AgentHarness.Result first = agent.run("poll");
        first.assertSucceeded();
        agent.assertS3CallsMadeBy(client);
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.s3Calls()).anySatisfy(call -> assertThat(call).contains("shop/channels/prod.json"))
                .anySatisfy(call -> assertThat(call).contains("shop/releases/1.0/bundle.tar.gz"));
        agent.forgetS3Calls();

        AgentHarness.Result unchanged = agent.run("poll");
        unchanged.assertSucceeded();
        assertThat(unchanged.stdout()).contains("channel prod unchanged");
        assertThat(agent.s3Calls()).as("one conditional GET, no download, no status").singleElement()
                .satisfies(call -> assertThat(call).contains("get-object", "--if-none-match", "shop/channels/prod.json"));
        assertThat(agent.current()).isEqualTo("1.0");

        agent.pointChannel("2.0", sha2, "1.0", sha1);
        agent.forgetS3Calls();
        AgentHarness.Result moved = agent.run("poll");
        moved.assertSucceeded();
        assertThat(agent.current()).isEqualTo("2.0");
        assertThat(agent.s3Calls()).as("pointer, bundle (checked against the pointer's sha256, no manifest read), status")
                .satisfiesExactly(
                        call -> assertThat(call).contains("get-object", "shop/channels/prod.json"),
                        call -> assertThat(call).contains("get-object", "shop/releases/2.0/bundle.tar.gz"),
                        call -> assertThat(call).contains("put-object", "shop/status/web/i-poll.json"));
        assertThat(agent.hookLog()).containsExactly("start 2.0", "validate 2.0");
        assertThat(agent.status().get("version").asText()).isEqualTo("2.0");
        assertThat(agent.status().get("result").asText()).isEqualTo("installed");
        assertThat(agent.leftovers()).isEmpty();
    }

    @ParameterizedTest(name = "S3 client {0}")
    @MethodSource("io.fleetdeploy.agent.AgentHarness#s3Clients")
    void aPointerWhoseSha256TheBundleDoesNotMatchIsRefusedOnceAndMovingItBackIsReported(String client, @TempDir Path root)
            throws Exception {
        AgentHarness agent = instance(root, List.of("sh")).s3Client(client);
        String sha1 = agent.publish(Release.of("1.0"));
        String sha2 = agent.publish(Release.of("2.0").withLoggingHooks());
        agent.pointChannel("1.0", sha1, null, null);
        agent.run("poll").assertSucceeded();
        String wrong = "ab".repeat(32);
        agent.pointChannel("2.0", wrong, "1.0", sha1);
        agent.forgetS3Calls();

        AgentHarness.Result bad = agent.run("poll");

        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.lastErrorLine()).contains("checksum mismatch for the bundle of 2.0: the channel pointer says " + wrong,
                "downloaded bytes are " + sha2, "nothing was unpacked or run", "current still points at 1.0");
        assertThat(agent.hookLog()).as("no hook of 2.0 ran").isEmpty();
        assertThat(agent.releasesOnDisk()).containsExactly("1.0");
        assertThat(agent.leftovers()).isEmpty();
        assertThat(agent.status().get("result").asText()).isEqualTo("failed");
        assertThat(agent.status().get("version").asText()).isEqualTo("2.0");
        assertThat(agent.run("poll").stdout()).as("a failed release is not retried on every poll")
                .contains("channel prod unchanged");

        agent.pointChannel("1.0", sha1, "2.0", wrong);
        agent.forgetS3Calls();
        AgentHarness.Result back = agent.run("poll");

        back.assertSucceeded();
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.status().get("result").asText()).as("the status says 1.0 again").isEqualTo("installed");
        assertThat(agent.status().get("version").asText()).isEqualTo("1.0");
        assertThat(agent.s3Calls()).as("pointer read and status written, nothing downloaded").hasSize(2);
    }

    @Test
    void aPointerWithoutAValidSha256IsRefusedBeforeAnyDownload(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, List.of("sh"));
        String sha1 = agent.publish(Release.of("1.0"));
        agent.publish(Release.of("2.0"));
        agent.pointChannel("1.0", sha1, null, null);
        agent.run("poll").assertSucceeded();
        agent.pointChannel("2.0", "not-a-sha256", "1.0", sha1);
        agent.forgetS3Calls();

        AgentHarness.Result bad = agent.run("poll");

        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.lastErrorLine()).contains("shop/channels/prod.json names no valid sha256 for 2.0",
                "nothing was installed", "current still points at 1.0");
        assertThat(agent.s3Calls()).as("the pointer read and the failed status written, nothing downloaded")
                .satisfiesExactly(call -> assertThat(call).contains("get-object", "shop/channels/prod.json"),
                        call -> assertThat(call).contains("put-object", "shop/status/web/i-poll.json"));
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.releasesOnDisk()).containsExactly("1.0");
        assertThat(agent.status().get("result").asText()).isEqualTo("failed");
    }

    @ParameterizedTest(name = "S3 client {0}")
    @MethodSource("io.fleetdeploy.agent.AgentHarness#s3Clients")
    void aMissingPointerIsReportedAndChangesNothing(String client, @TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, List.of("sh")).s3Client(client);

        AgentHarness.Result result = agent.run("poll");

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.lastErrorLine()).startsWith("fleet-agent: could not read the channel pointer s3://")
                .contains("shop/channels/prod.json", "(NoSuchKey)", "GetObject", "nothing was changed");
        try (Stream<Path> files = Files.list(agent.home())) {
            assertThat(files).as("FLEET_HOME as it was: empty").isEmpty();
        }
        assertThat(agent.status()).isNull();
    }
}
