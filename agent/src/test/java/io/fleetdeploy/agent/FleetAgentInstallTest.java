package io.fleetdeploy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** install, re-install, rollback and the failure paths of install, under /bin/sh (dash here). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentInstallTest {

    private final AtomicInteger buckets = new AtomicInteger();
    private S3Endpoint s3;
    private AgentHarness agent;

    @BeforeAll
    void startS3() throws Exception {
        s3 = new S3Endpoint();
    }

    @AfterAll
    void stopS3() throws Exception {
        s3.close();
    }

    @BeforeEach
    void newInstance(@TempDir Path root) throws Exception {
        agent = new AgentHarness(s3, root, List.of("sh"), "install-" + buckets.incrementAndGet(), "deploy/eu",
                "i-0123456789abcdef0");
    }

    @Test
    void installsAReleaseAndReportsItInS3() throws Exception {
        String sha = agent.publish(Release.of("1.0").withLoggingHooks());

        AgentHarness.Result result = agent.run("install", "1.0");

        assertThat(result.exitCode()).as(result.stderr()).isZero();
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
    }
}
