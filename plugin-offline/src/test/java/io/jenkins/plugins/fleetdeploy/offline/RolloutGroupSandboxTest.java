package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.release.ChannelUpdate;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * rolloutGroup (push) from a Jenkinsfile against the sandbox: the step's execution is ticked by
 * jenkins.util.Timer, the engine talks to the sandbox's Auto Scaling, ELBv2 and SSM on one endpoint
 * and to its S3 on another (s3Endpoint), and the instances install through the shipped agent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolloutGroupSandboxTest {

    private static final String ACCESS_KEY = "AKIAPLUGINSANDBOX001";
    private static final String SECRET_KEY = "pluginSandboxRolloutSecret0000000000001";
    private static final String HEALTH = "\"healthCheck\": {\"intervalMillis\": 200, \"timeoutMillis\": 150,"
            + " \"healthyThreshold\": 2, \"unhealthyThreshold\": 2}, \"deregistrationDelayMillis\": 300";
    private static final List<String> GROUPS = List.of("happy", "stopped", "canary");
    private static final int SIZE = 2;

    @TempDir
    Path dir;

    private Sandbox sandbox;
    private AwsSettings s3;
    private S3Layout layout;
    private AutoScalingClient autoScaling;

    @BeforeAll
    void start() throws Exception {
        StringBuilder groups = new StringBuilder();
        StringBuilder targetGroups = new StringBuilder();
        StringBuilder listeners = new StringBuilder();
        int port = 80;
        for (String g : GROUPS) {
            String sep = groups.length() == 0 ? "" : ",";
            // A target group health-checks only while a listener forwards to it (as in AWS).
            listeners.append(sep).append("{\"port\": ").append(port++).append(", \"forward\": [{\"targetGroup\": \"").append(g)
                    .append("\", \"weight\": 1}]}");
            groups.append(sep).append("{\"name\": \"").append(g).append("\", \"app\": \"shop\", \"channel\": \"").append(g)
                    .append("\", \"minSize\": 0, \"maxSize\": 4, \"desiredCapacity\": 0, \"targetGroups\": [\"").append(g).append("\"]}");
            targetGroups.append(sep).append("{\"name\": \"").append(g).append("\", ").append(HEALTH).append("}");
        }
        String config = "{\"users\": [{\"name\": \"deployer\", \"accessKeyId\": \"" + ACCESS_KEY + "\", \"secretAccessKey\": \"" + SECRET_KEY
                + "\"}], \"bootDelayMillis\": 100, \"targetGroups\": [" + targetGroups + "], \"groups\": [" + groups + "],"
                + " \"loadBalancers\": [{\"name\": \"shop\", \"listeners\": [" + listeners + "]}]}";
        sandbox = Sandbox.start(SandboxConfig.parse(config, "RolloutGroupSandboxTest").withAgentScript(Path.of("../agent/fleet-agent.sh")));
        AwsSettings aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
        s3 = aws.withEndpoint(sandbox.s3Endpoint());
        layout = S3Layout.of(sandbox.bucket(), sandbox.prefix(), "shop");
        autoScaling = AwsClients.configure(AutoScalingClient.builder(), aws).build();
        Path builds = Files.createDirectories(sandbox.workDir().resolve("plugin-sandbox-test-builds"));
        try (Releases releases = Releases.connect(s3, layout, ProgressListener.NONE)) {
            for (String version : List.of("1.0", "2.0")) {
                Path release = Files.createDirectories(builds.resolve(version));
                Files.writeString(release.resolve("app.properties"), "version=" + version + "\n");
                releases.publish(PublishRequest.of(release, version));
            }
            for (String g : GROUPS) {
                releases.setChannel(ChannelUpdate.of(g, "1.0", "test", false));
            }
        }
        for (String g : GROUPS) {
            autoScaling.setDesiredCapacity(b -> b.autoScalingGroupName(g).desiredCapacity(SIZE));
        }
        for (String g : GROUPS) {
            Await.until("group " + g + " serves 1.0 on " + SIZE + " instances", Duration.ofMinutes(3), () -> servingVersion(g, "1.0"));
        }
    }

    @AfterAll
    void stopSandbox() {
        if (autoScaling != null) {
            autoScaling.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private PipelineHarness jenkins() {
        return new PipelineHarness(dir).stepTimeout(Duration.ofMinutes(3))
                .credentials(new TestAwsCredentials("deployer", ACCESS_KEY, SECRET_KEY));
    }

    private String rollout(String group) {
        return withFleet("  def r = rolloutGroup group: '" + group + "', version: '2.0', strategy: 'push', batchSize: 1, minHealthyPercent: 50,"
                + " healthyChecks: 2, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"rollout ${r.status} on ${r.group} operation ${r.operationId} changes ${r.changes}\"\n");
    }

    private String withFleet(String body) {
        return "withFleet(credentialsId: 'deployer', region: '" + sandbox.region() + "', endpoint: '" + sandbox.awsEndpoint()
                + "', s3Endpoint: '" + sandbox.s3Endpoint() + "', bucket: '" + sandbox.bucket() + "', prefix: '" + sandbox.prefix()
                + "', app: 'shop') {\n" + body + "}\n";
    }

    @Test
    void aPushRolloutPutsTheNewVersionOnEveryInstanceAndReturnsWhatItDid() throws Exception {
        BuildResult build = jenkins().run(rollout("happy"));

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(servingVersion("happy", "2.0")).isTrue();
        assertThat(build.log()).containsPattern("rollout SUCCEEDED on happy operation \\S+ changes \\d+")
                .contains("batch 2/2").doesNotContain(SECRET_KEY);
        List<String> progress = build.log().lines().filter(l -> l.startsWith("[fleet-deploy] ")).toList();
        for (int i = 1; i < progress.size(); i++) {
            assertThat(progress.get(i)).as("one line per state change, not per poll:\n%s", build.log()).isNotEqualTo(progress.get(i - 1));
        }
        assertNothingLeftBehind("happy");
    }

    @Test
    void stopMidRolloutRunsTheUndoLogAndTheGroupIsBackAsBefore() throws Exception {
        PipelineHarness.Running running = jenkins().start(rollout("stopped"), Map.of());
        Await.until("the second batch starts", Duration.ofMinutes(2), () -> running.build().log().text().contains("batch 2/2"));

        running.build().abort();
        BuildResult build = running.result().get(3, TimeUnit.MINUTES);

        assertThat(build.result()).as(build.log()).isEqualTo("ABORTED");
        assertThat(build.log()).contains("undo: install 1.0 on").contains("ABORTED: Aborted (aborted in Jenkins")
                .contains("Everything this operation changed was put back.").doesNotContain(SECRET_KEY);
        Await.until("group stopped serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("stopped", "1.0"));
        assertNothingLeftBehind("stopped");
    }

    @Test
    void aCanaryOfOneInstanceThenTheRestAsExamplesPushJenkinsfileDoes() throws Exception {
        BuildResult build = jenkins().run(withFleet(
                "  def canary = rolloutGroup group: 'canary', version: '2.0', strategy: 'push', instanceCount: 1, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"canary ${canary.status}\"\n"
                + "  def rest = rolloutGroup group: 'canary', version: '2.0', strategy: 'push', minHealthyPercent: 50, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"rest ${rest.status}\"\n"));

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).contains("1 of " + SIZE + " instances (channel canary stays at 1.0)", "canary SUCCEEDED",
                "already on 2.0", "rest SUCCEEDED");
        assertThat(servingVersion("canary", "2.0")).isTrue();
        assertNothingLeftBehind("canary");
    }

    private void assertNothingLeftBehind(String name) {
        AutoScalingGroup group = group(name);
        assertThat(group.instances()).as("no instance of %s left in Standby", name).noneMatch(i -> i.lifecycleStateAsString().contains("Standby"));
        assertThat(group.suspendedProcesses()).as("no process of %s left suspended", name).isEmpty();
        assertThat(group.desiredCapacity()).as("capacity of %s as before", name).isEqualTo(SIZE);
        try (S3Client client = AwsClients.s3(s3)) {
            assertThat(new S3Leases(client, layout, Clock.systemUTC(), d -> { }).read(name)).as("no lease left on %s", name).isEmpty();
        }
    }

    private AutoScalingGroup group(String name) {
        return autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(name)).autoScalingGroups().get(0);
    }

    /** {@code SIZE} InService instances, each answering on its own port with {@code version}. */
    private boolean servingVersion(String groupName, String version) {
        List<String> inService = group(groupName).instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString()))
                .map(i -> i.instanceId()).toList();
        return inService.size() == SIZE && inService.stream()
                .allMatch(id -> sandbox.instance(id).flatMap(m -> m.host().currentVersion()).map(version::equals).orElse(false));
    }
}
