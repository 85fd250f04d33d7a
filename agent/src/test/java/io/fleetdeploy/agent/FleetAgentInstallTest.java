package io.fleetdeploy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** install, re-install, rollback and the failure paths of install: the real script, real CLI, real S3 protocol. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentInstallTest {

    @RegisterExtension
    static final S3Endpoint s3 = new S3Endpoint();

    private AgentHarness instance(Path root, List<String> shell) throws Exception {
        return new AgentHarness(s3, root, shell, s3.newBucket("install"), "deploy/eu",
                "i-0123456789abcdef0");
    }

    private AgentHarness instance(Path root) throws Exception {
        return instance(root, List.of("sh"));
    }

    @ParameterizedTest(name = "{0} with S3 client {1}")
    @MethodSource("io.fleetdeploy.agent.Shells#posixShellsAndS3Clients")
    void installsAReleaseAndReportsItInS3(List<String> shell, String client, @TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, shell).s3Client(client);
        // The start hook leaves a daemon running, as an application's would: the agent must not wait for it.
        String sha = agent.publish(Release.of("1.0").withLoggingHooks().withPrettyManifest()
                .withHook("start", "sleep 300 & echo $! > \"$FLEET_HOME/daemon.pid\""));

        AgentHarness.Result result;
        try {
            result = agent.run("install", "1.0");
        } finally {
            Path daemonPid = agent.home().resolve("daemon.pid");
            if (Files.exists(daemonPid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(daemonPid).strip())).ifPresent(ProcessHandle::destroy);
            }
        }

        result.assertSucceeded();
        agent.assertS3CallsMadeBy(client);
        assertThat(result.stdout()).contains("installed 1.0");
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.home().resolve("current/app.txt")).hasContent("application 1.0");
        assertThat(agent.hookLog()).containsExactly("start 1.0", "validate 1.0");
        JsonNode status = agent.status();
        assertThat(status.get("instanceId").asText()).isEqualTo("i-0123456789abcdef0");
        assertThat(status.get("group").asText()).isEqualTo("web");
        assertThat(status.get("app").asText()).isEqualTo("shop");
        assertThat(status.get("version").asText()).isEqualTo("1.0");
        assertThat(status.get("sha256").asText()).isEqualTo(sha);
        assertThat(status.get("result").asText()).isEqualTo("installed");
        assertThat(status.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(agent.leftovers()).isEmpty();
        agent.assertNoSecretOnDisk();

        AgentHarness.Result current = agent.run("current");
        current.assertSucceeded();
        assertThat(current.stdout()).isEqualTo("1.0\n");
        AgentHarness.Result local = agent.run("status");
        local.assertSucceeded();
        assertThat(local.stdout()).contains("\"current\":\"1.0\"", "\"releases\":[\"1.0\"]", "\"result\":\"installed\"");
    }

    @Test
    void reinstallingTheCurrentVersionIsANoOpThatStillReportsStatus(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        agent.publish(Release.of("1.0").withLoggingHooks());
        agent.run("install", "1.0").assertSucceeded();
        agent.deleteStatus();
        agent.forgetS3Calls();

        AgentHarness.Result again = agent.run("install", "1.0");

        again.assertSucceeded();
        assertThat(again.stdout()).contains("1.0 is already current");
        assertThat(agent.s3Calls()).as("only the status is written").singleElement()
                .satisfies(call -> assertThat(call).contains("put-object", "status/web/i-0123456789abcdef0.json"));
        assertThat(agent.hookLog()).as("no hook runs again").containsExactly("start 1.0", "validate 1.0");
        assertThat(agent.status().get("result").asText()).isEqualTo("installed");
        assertThat(agent.status().get("version").asText()).isEqualTo("1.0");
    }

    @Test
    void checksumMismatchUnpacksNothingRunsNothingAndLeavesCurrentAlone(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        agent.publish(Release.of("1.0").withLoggingHooks());
        agent.run("install", "1.0").assertSucceeded();
        String wrong = AgentHarness.sha256("not the bundle".getBytes());
        agent.publish(Release.of("2.0").withLoggingHooks().withHook("start", "touch \"$FLEET_HOME/ran-2.0\"")
                .withManifestSha256(wrong));

        AgentHarness.Result result = agent.run("install", "2.0");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.lastErrorLine()).startsWith("fleet-agent: checksum mismatch for the bundle of 2.0")
                .contains(wrong, "nothing was unpacked or run", "current still points at 1.0");
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.releasesOnDisk()).containsExactly("1.0");
        assertThat(agent.home().resolve("ran-2.0")).doesNotExist();
        assertThat(agent.hookLog()).as("not even the old release was stopped").containsExactly("start 1.0", "validate 1.0");
        assertThat(agent.leftovers()).isEmpty();
        JsonNode status = agent.status();
        assertThat(status.get("result").asText()).isEqualTo("failed");
        assertThat(status.get("version").asText()).isEqualTo("2.0");
        assertThat(status.get("message").asText()).contains("checksum mismatch");
    }

    @Test
    void failingValidateSwitchesBackToTheOldRelease(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        agent.publish(Release.of("1.0").withLoggingHooks());
        agent.run("install", "1.0").assertSucceeded();
        agent.publish(Release.of("2.0").withLoggingHooks().withHook("validate", "echo 'health: 503 from /ready' >&2; exit 3"));

        AgentHarness.Result result = agent.run("install", "2.0");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.lastErrorLine())
                .isEqualTo("fleet-agent: hook validate of 2.0 failed with exit code 3; switched back: current points at 1.0 again");
        assertThat(result.stderr()).as("the hook's own output is shown").contains("health: 503 from /ready");
        assertThat(agent.home().resolve(".fleet/hooks.log")).content().contains("hook validate of 2.0", "health: 503 from /ready");
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.releasesOnDisk()).containsExactly("1.0");
        assertThat(agent.hookLog()).containsExactly("start 1.0", "validate 1.0",
                "stop 1.0", "start 2.0", "validate 2.0", "stop 2.0", "start 1.0");
        assertThat(agent.leftovers()).isEmpty();
        JsonNode status = agent.status();
        assertThat(status.get("result").asText()).isEqualTo("failed");
        assertThat(status.get("version").asText()).isEqualTo("2.0");
        assertThat(status.get("message").asText()).contains("hook validate of 2.0 failed", "current points at 1.0");
    }

    @Test
    void aHookThatHangsIsStoppedAtTheTimeoutAndTheInstallUndone(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        agent.publish(Release.of("1.0").withHook("start", "sleep 60"));

        AgentHarness.Result result = agent.env("FLEET_HOOK_TIMEOUT", "1").run("install", "1.0");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.lastErrorLine()).contains("hook start of 1.0 timed out after 1s", "no release is current");
        assertThat(agent.current()).isNull();
        assertThat(agent.releasesOnDisk()).isEmpty();
        assertThat(agent.leftovers()).isEmpty();
        assertThat(agent.status().get("result").asText()).isEqualTo("failed");
    }

    @Test
    void aFailedFirstInstallLeavesNoReleaseBehind(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        agent.publish(Release.of("1.0").withPlainHook("start", "exit 7"));

        AgentHarness.Result result = agent.run("install", "1.0");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.lastErrorLine()).contains("hook start of 1.0 failed with exit code 7", "no release is current");
        assertThat(agent.current()).isNull();
        assertThat(agent.home().resolve("current")).doesNotExist();
        assertThat(agent.releasesOnDisk()).isEmpty();
        assertThat(agent.hookLog()).containsExactly("start 1.0");
        assertThat(agent.leftovers()).isEmpty();
    }

    @Test
    void rollbackWithoutAPreviousReleaseChangesNothing(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);

        AgentHarness.Result result = agent.run("rollback");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.lastErrorLine()).contains("no previous release", "no release is current");
        assertThat(agent.current()).isNull();
        assertThat(agent.s3Calls()).isEmpty();
        assertThat(agent.leftovers()).isEmpty();
    }

    @ParameterizedTest(name = "S3 client {0}")
    @MethodSource("io.fleetdeploy.agent.AgentHarness#s3Clients")
    void keepsTheLastReleasesAndRollsBackToThePreviousFromDisk(String client, @TempDir Path root) throws Exception {
        AgentHarness agent = instance(root).s3Client(client).env("FLEET_KEEP", "1");
        agent.publish(Release.of("1.0"));
        String sha2 = agent.publish(Release.of("2.0").withLoggingHooks());
        agent.publish(Release.of("3.0").withLoggingHooks());
        for (String version : List.of("1.0", "2.0", "3.0")) {
            agent.run("install", version).assertSucceeded();
        }
        assertThat(agent.current()).isEqualTo("3.0");
        assertThat(agent.releasesOnDisk()).as("FLEET_KEEP=1, but the previous release is kept for rollback")
                .containsExactly("2.0", "3.0");
        assertThat(agent.home().resolve(".fleet/1.0.sha256")).doesNotExist();
        agent.forgetS3Calls();

        AgentHarness.Result rollback = agent.run("rollback");

        rollback.assertSucceeded();
        assertThat(rollback.stdout()).contains("rolled-back 2.0");
        assertThat(agent.current()).isEqualTo("2.0");
        assertThat(agent.hookLog()).endsWith("stop 3.0", "start 2.0", "validate 2.0");
        assertThat(agent.s3Calls()).as("no download: 2.0 is still on disk").singleElement()
                .satisfies(call -> assertThat(call).contains("put-object"));
        assertThat(agent.status().get("result").asText()).isEqualTo("rolled-back");
        assertThat(agent.status().get("version").asText()).isEqualTo("2.0");
        assertThat(agent.status().get("sha256").asText()).isEqualTo(sha2);
        assertThat(agent.releasesOnDisk()).containsExactly("2.0", "3.0");
        assertThat(agent.run("rollback").exitCode()).as("rolling back again returns to 3.0").isZero();
        assertThat(agent.current()).isEqualTo("3.0");
    }
}
