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
import io.jenkins.plugins.fleetdeploy.harness.TimerThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
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
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupTuple;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The long fleet steps from Jenkinsfiles against the sandbox (one sandbox for all of them: the
 * tests run one after another and each leaves its groups as it found them). rolloutGroup (push):
 * the step's execution is ticked by jenkins.util.Timer, the engine talks to the sandbox's Auto
 * Scaling, ELBv2 and SSM on one endpoint and to its S3 on another (s3Endpoint), and the instances
 * install through the shipped agent; it survives a controller restart (the SleepStep pattern) and
 * stop() undoes it. drainGroup (part of a group, then restore) and switchTraffic (at once).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolloutGroupSandboxTest {

    private static final String ACCESS_KEY = "AKIAPLUGINSANDBOX001";
    private static final String SECRET_KEY = "pluginSandboxRolloutSecret0000000000001";
    private static final String HEALTH = "\"healthCheck\": {\"intervalMillis\": 200, \"timeoutMillis\": 150,"
            + " \"healthyThreshold\": 2, \"unhealthyThreshold\": 2}, \"deregistrationDelayMillis\": 300";
    private static final List<String> GROUPS = List.of("happy", "stopped", "restarted", "stopresumed", "canary");
    private static final int SIZE = 2;

    @TempDir
    Path dir;

    private Sandbox sandbox;
    private AwsSettings s3;
    private S3Layout layout;
    private AutoScalingClient autoScaling;
    private ElasticLoadBalancingV2Client elb;

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
                + " \"loadBalancers\": [{\"name\": \"shop\", \"listeners\": [" + listeners + "]},"
                + " {\"name\": \"switch\", \"listeners\": [{\"port\": " + port + ", \"forward\": [{\"targetGroup\": \"happy\", \"weight\": 1}]}]}]}";
        sandbox = Sandbox.start(SandboxConfig.parse(config, "RolloutGroupSandboxTest").withAgentScript(Path.of("../agent/fleet-agent.sh")));
        AwsSettings aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
        s3 = aws.withEndpoint(sandbox.s3Endpoint());
        layout = S3Layout.of(sandbox.bucket(), sandbox.prefix(), "shop");
        autoScaling = AwsClients.configure(AutoScalingClient.builder(), aws).build();
        elb = AwsClients.configure(ElasticLoadBalancingV2Client.builder(), aws).build();
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
        if (elb != null) {
            elb.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private PipelineHarness jenkins() {
        return new PipelineHarness(dir).stepTimeout(Duration.ofMinutes(3))
                .credentials(new TestAwsCredentials("deployer", ACCESS_KEY, SECRET_KEY));
    }

    /** A Jenkinsfile whose {@code steps} run inside withFleet pointed at the sandbox. */
    private String withFleet(String steps) {
        return "withFleet(credentialsId: 'deployer', region: '" + sandbox.region() + "', endpoint: '" + sandbox.awsEndpoint()
                + "', s3Endpoint: '" + sandbox.s3Endpoint() + "', bucket: '" + sandbox.bucket() + "', prefix: '" + sandbox.prefix()
                + "', app: 'shop') {\n" + steps + "}\n";
    }

    private String rollout(String group) {
        return withFleet("  def r = rolloutGroup group: '" + group + "', version: '2.0', strategy: 'push', batchSize: 1, minHealthyPercent: 50,"
                + " healthyChecks: 2, pollSeconds: 1, timeoutMinutes: 4\n"
                + "  echo \"rollout ${r.status} on ${r.group} operation ${r.operationId} changes ${r.changes}\"\n");
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
        // Throughout the first batch (Standby, install, the exit from Standby, the health gate) and the undo (the
        // install of 1.0, the health gate after each Standby exit), every look at the timer's threads finds none
        // sleeping or waiting inside the engine: the ticks only look and return.
        List<String> blocked = new ArrayList<>();
        AtomicInteger looksDuringTheFirstBatch = new AtomicInteger();
        Await.until("the second batch starts", Duration.ofMinutes(2), () -> {
            boolean exitedStandby = running.build().log().text().contains("exit Standby:");
            TimerThreads.collectWaitingInTheEngine(blocked);
            boolean secondBatch = running.build().log().text().contains("batch 2/2");
            if (exitedStandby && !secondBatch) {
                looksDuringTheFirstBatch.incrementAndGet();
            }
            return secondBatch;
        });

        running.build().abort();
        AtomicInteger looksDuringTheUndosInstall = new AtomicInteger();
        Await.until("the rollback of group stopped ends", Duration.ofMinutes(3), () -> {
            boolean undoInstallSent = running.build().log().text().contains("undo: install 1.0 on");
            TimerThreads.collectWaitingInTheEngine(blocked);
            boolean done = running.result().isDone();
            if (undoInstallSent && !done) {
                looksDuringTheUndosInstall.incrementAndGet();
            }
            return done;
        });
        BuildResult build = running.result().get(3, TimeUnit.MINUTES);

        assertThat(looksDuringTheFirstBatch.get()).as("the timer's threads were looked at after the first batch left Standby").isPositive();
        assertThat(looksDuringTheUndosInstall.get()).as("the timer's threads were looked at while the undo ran").isPositive();
        assertThat(blocked).as("timer threads found waiting inside the engine during the rollout or its undo").isEmpty();
        assertThat(build.result()).as(build.log()).isEqualTo("ABORTED");
        assertThat(build.log()).contains("undo: install 1.0 on").contains("ABORTED: Aborted (aborted in Jenkins")
                .contains("Everything this operation changed was put back.").doesNotContain(SECRET_KEY);
        Await.until("group stopped serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("stopped", "1.0"));
        assertNothingLeftBehind("stopped");
    }

    @Test
    void aControllerRestartMidInstallIsNotAFailureAndTheResumedStepFinishesTheRollout() throws Exception {
        long sentBefore = sandbox.counters().get("ssm.SendCommand");
        PipelineHarness.Running running = jenkins().stepTimeout(Duration.ofMinutes(6)).start(rollout("restarted"), Map.of());
        Await.until("the install command of 2.0 on group restarted is sent", Duration.ofMinutes(2),
                () -> sandbox.counters().get("ssm.SendCommand") > sentBefore);
        // A ListCommandInvocations after the send comes from a later tick: the sent command's id is saved by then.
        long listsAfterSend = ssmListCalls();
        Await.until("the rollout observes the command it sent", Duration.ofMinutes(1), () -> ssmListCalls() > listsAfterSend);

        // The timer is shut down (no tick waits for SSM: the step holds no thread between ticks), the
        // execution is saved as program.dat and read back, and onResume() is called with a new timer.
        List<StepExecution> resumed = running.build().restartController();
        BuildResult build = running.result().get(6, TimeUnit.MINUTES);

        assertThat(resumed).as("withFleet and rolloutGroup were running").hasSize(2);
        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(sandbox.counters().get("ssm.SendCommand") - sentBefore)
                .as("one install command per batch (batchSize 1, %d instances): the resumed step waits on the one it sent", SIZE)
                .isEqualTo(SIZE);
        assertThat(build.log()).contains("taken back after a controller restart: rollout-")
                .containsPattern("rollout SUCCEEDED on restarted operation \\S+")
                .as("a restart is not a failure: nothing rolled back").doesNotContain("Rolling back").doesNotContain("undo:")
                .doesNotContain(SECRET_KEY);
        assertThat(servingVersion("restarted", "2.0")).isTrue();
        assertNothingLeftBehind("restarted");
    }

    @Test
    void stopAfterAControllerRestartUndoesEverythingTheRolloutChanged() throws Exception {
        PipelineHarness.Running running = jenkins().stepTimeout(Duration.ofMinutes(6)).start(rollout("stopresumed"), Map.of());
        Await.until("an install of 2.0 on group stopresumed is under way", Duration.ofMinutes(2),
                () -> running.build().log().text().contains("install 2.0 on "));
        running.build().restartController();
        Await.until("the resumed step has taken the operation back", Duration.ofMinutes(2),
                () -> running.build().log().text().contains("taken back after a controller restart"));
        long listCallsBeforeStop = ssmListCalls();
        long stoppedAt = System.nanoTime();

        running.build().abort();
        BuildResult build = running.result().get(6, TimeUnit.MINUTES);

        // The undo puts 1.0 back through SSM; its polls are paced (1 s), not back to back. A loose
        // bound on calls per second, not on time: a slow machine only makes fewer calls.
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stoppedAt));
        assertThat(ssmListCalls() - listCallsBeforeStop).as("ListCommandInvocations calls in %d s after stop()", seconds)
                .isLessThanOrEqualTo(5 * seconds + 10);
        assertThat(build.result()).as(build.log()).isEqualTo("ABORTED");
        assertThat(build.log()).contains("ABORTED: Aborted (aborted in Jenkins").contains("Everything this operation changed was put back.")
                .doesNotContain(SECRET_KEY);
        Await.until("group stopresumed serves 1.0 again", Duration.ofMinutes(1), () -> servingVersion("stopresumed", "1.0"));
        assertNothingLeftBehind("stopresumed");
    }

    @Test
    void drainGroupTakesPartOfAGroupOutOfTrafficAndRestorePutsItBack() throws Exception {
        BuildResult drained = jenkins().run(withFleet("  def d = drainGroup group: 'happy', percent: 50, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"drain ${d.status} on ${d.group} operation ${d.operationId} changes ${d.changes}\"\n"));

        assertThat(drained.result()).as(drained.log()).isEqualTo("SUCCESS");
        assertThat(drained.log()).containsPattern("drain SUCCEEDED on happy operation drain-\\S+ changes [1-9]").doesNotContain(SECRET_KEY);
        assertThat(group("happy").instances()).as("half of the group in Standby")
                .filteredOn(i -> i.lifecycleStateAsString().equals("Standby")).hasSize(SIZE / 2);

        BuildResult restored = jenkins().run(withFleet("  def r = drainGroup group: 'happy', restore: true, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"restore ${r.status} on ${r.group}\"\n"));

        assertThat(restored.result()).as(restored.log()).isEqualTo("SUCCESS");
        assertThat(restored.log()).contains("restore SUCCEEDED on happy");
        Await.until("group happy has " + SIZE + " InService instances again", Duration.ofMinutes(1),
                () -> group("happy").instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString())).count() == SIZE);
        assertNothingLeftBehind("happy");
    }

    @Test
    void switchTrafficMovesTheListenerAtOnceAndReturnsWhatItDid() throws Exception {
        String listener = switchListenerArn();
        String switchTo = "  def s = switchTraffic listenerArn: '" + listener + "', targetGroup: '%s', pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"switch ${s.status} on ${s.group} operation ${s.operationId} changes ${s.changes}\"\n";

        BuildResult build = jenkins().run(withFleet(switchTo.formatted("stopped")));

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).containsPattern("switch SUCCEEDED on listener-\\S+ operation switch-\\S+ changes 1").doesNotContain(SECRET_KEY);
        assertThat(forwardedTo(listener)).as("all traffic on the new target group").containsExactly("stopped");

        BuildResult back = jenkins().run(withFleet(switchTo.formatted("happy")));
        assertThat(back.result()).as(back.log()).isEqualTo("SUCCESS");
        assertThat(forwardedTo(listener)).containsExactly("happy");
        try (S3Client client = AwsClients.s3(s3)) {
            String lock = "listener-" + listener.substring(listener.lastIndexOf('/') + 1);
            assertThat(new S3Leases(client, layout, Clock.systemUTC(), d -> { }).read(lock)).as("no lease left").isEmpty();
        }
    }

    private String switchListenerArn() {
        String lb = elb.describeLoadBalancers(b -> b.names("switch")).loadBalancers().get(0).loadBalancerArn();
        return elb.describeListeners(b -> b.loadBalancerArn(lb)).listeners().get(0).listenerArn();
    }

    /** Names of the target groups the listener sends traffic to (weight above 0). */
    private List<String> forwardedTo(String listenerArn) {
        Action action = elb.describeListeners(b -> b.listenerArns(listenerArn)).listeners().get(0).defaultActions().get(0);
        List<String> arns = action.forwardConfig() != null
                ? action.forwardConfig().targetGroups().stream().filter(t -> t.weight() == null || t.weight() > 0)
                        .map(TargetGroupTuple::targetGroupArn).toList()
                : List.of(action.targetGroupArn());
        return arns.stream().map(arn -> arn.substring(arn.indexOf(":targetgroup/") + ":targetgroup/".length()).split("/")[0]).toList();
    }

    private long ssmListCalls() {
        return sandbox.counters().get("ssm.ListCommandInvocations");
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
