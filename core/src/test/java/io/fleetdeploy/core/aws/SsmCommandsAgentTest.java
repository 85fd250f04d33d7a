package io.fleetdeploy.core.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell lines {@link SsmCommands} sends as AWS-RunShellScript, run the way the SSM agent runs
 * them (one script under sh, with the instance's environment), with the agent script core ships,
 * the real AWS CLI and a real S3 protocol (S3Proxy).
 */
class SsmCommandsAgentTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path dir;

    private S3Layout layout() {
        return S3Layout.of(S3.bucket(), "deploys", "shop");
    }

    private void publish(String version) throws Exception {
        Path build = Files.createDirectories(dir.resolve("build-" + version));
        Files.writeString(build.resolve("app.properties"), "version=" + version + "\n");
        try (Releases releases = new Releases(S3.client(), AwsClients.s3Multipart(S3.settings()), layout(), Clock.systemUTC(), ProgressListener.NONE)) {
            releases.publish(PublishRequest.of(build, version));
        }
    }

    private record Ran(int exit, String output) {
    }

    /** Runs the command lines as one script, like the SSM agent's aws:runShellScript plugin. */
    private Ran runOnInstance(List<String> lines, Path home) throws Exception {
        Path script = dir.resolve("_script.sh");
        Files.writeString(script, String.join("\n", lines) + "\n");
        ProcessBuilder builder = new ProcessBuilder("sh", script.toString()).directory(home.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("AWS_ACCESS_KEY_ID", S3.accessKey());
        env.put("AWS_SECRET_ACCESS_KEY", S3.secretKey());
        env.put("AWS_DEFAULT_REGION", S3.region().id());
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_SSM_INSTANCE_ID", "i-0abc"); // what the SSM agent sets; the command falls back to it
        env.put("FLEET_HOME", home.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the install ends within 120 s").isTrue();
        return new Ran(process.exitValue(), output);
    }

    private SsmCommands commandsFor() {
        return new SsmCommands(null, new SsmCommands.AgentSettings(layout(), S3.endpoint().toString(), null));
    }

    @Test
    void theInstallCommandInstallsThePublishedVersionAndReportsIt() throws Exception {
        publish("1.0");
        Path home = Files.createDirectories(dir.resolve("i-0abc"));

        Ran ran = runOnInstance(commandsFor().commands("web", "1.0"), home);

        assertThat(ran.exit()).as(ran.output()).isZero();
        assertThat(Files.readString(home.resolve("current/app.properties"))).contains("version=1.0");
        assertThat(Files.exists(home.resolve("bin/fleet-agent.sh"))).as("the shipped agent was written to the instance").isTrue();
        JsonNode status = Json.mapper().readTree(S3.read("deploys/shop/status/web/i-0abc.json"));
        assertThat(status.path("version").asText()).isEqualTo("1.0");
        assertThat(status.path("result").asText()).isEqualTo("installed");
        assertThat(status.path("group").asText()).isEqualTo("web");
    }

    @Test
    void anUnpublishedVersionFailsTheCommandAndLeavesTheInstanceAsItWas() throws Exception {
        publish("1.0");
        Path home = Files.createDirectories(dir.resolve("i-0abc"));
        assertThat(runOnInstance(commandsFor().commands("web", "1.0"), home).exit()).isZero();

        Ran ran = runOnInstance(commandsFor().commands("web", "9.9"), home);

        assertThat(ran.exit()).isNotZero();
        assertThat(Files.readString(home.resolve("current/app.properties"))).contains("version=1.0");
    }
}
