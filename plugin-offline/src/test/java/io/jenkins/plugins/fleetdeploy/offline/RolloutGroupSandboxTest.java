package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TimerThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long fleet steps from Jenkinsfiles against the sandbox (core's SandboxFleet, one for all of
 * them: the tests run one after another, and its check after each test finds the groups as they
 * were: no Standby, no suspended process, capacities as before, no lease). rolloutGroup (push):
 * the step's execution is ticked by jenkins.util.Timer, the engine talks to the sandbox's Auto
 * Scaling, ELBv2 and SSM on one endpoint and to its S3 on another (s3Endpoint), and the instances
 * install through the shipped agent; it survives a controller restart (the SleepStep pattern) and
 * stop() undoes it. drainGroup (part of a group, then restore) and switchTraffic (at once).
 */
class RolloutGroupSandboxTest {

    private static final List<String> GROUPS = List.of("happy", "stopped", "restarted", "stopresumed", "canary");
    private static final int SIZE = 2;

    /** After every test it checks that nothing the test changed is left behind: Standby, suspended processes, capacities, leases. */
    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("RolloutGroupSandboxTest",
            GROUPS.stream().map(g -> new SandboxFleet.GroupSpec(g, SIZE, 0)).toList());
    private static final SandboxFleetPipelines PIPELINES = new SandboxFleetPipelines(SANDBOX);

    @TempDir
    Path dir;

    private PipelineHarness jenkins() {
        return PIPELINES.jenkins(dir, Duration.ofMinutes(3));
    }

    private String withFleet(String steps) {
        return PIPELINES.withFleet(steps);
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
        assertThat(SANDBOX.servingVersion("happy", "2.0", SIZE)).isTrue();
        assertThat(build.log()).containsPattern("rollout SUCCEEDED on happy operation \\S+ changes \\d+")
                .contains("batch 2/2").doesNotContain(PIPELINES.secretKey());
        List<String> progress = build.log().lines().filter(l -> l.startsWith("[fleet-deploy] ")).toList();
        for (int i = 1; i < progress.size(); i++) {
            assertThat(progress.get(i)).as("one line per state change, not per poll:\n%s", build.log()).isNotEqualTo(progress.get(i - 1));
        }
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
                .contains("Everything this operation changed was put back.").doesNotContain(PIPELINES.secretKey());
        Await.until("group stopped serves 1.0 again", Duration.ofMinutes(1), () -> SANDBOX.servingVersion("stopped", "1.0", SIZE));
    }

    @Test
    void aControllerRestartMidInstallIsNotAFailureAndTheResumedStepFinishesTheRollout() throws Exception {
        long sentBefore = SANDBOX.sandbox().counters().get("ssm.SendCommand");
        PipelineHarness.Running running = jenkins().stepTimeout(Duration.ofMinutes(6)).start(rollout("restarted"), Map.of());
        Await.until("the install command of 2.0 on group restarted is sent", Duration.ofMinutes(2),
                () -> SANDBOX.sandbox().counters().get("ssm.SendCommand") > sentBefore);
        // A ListCommandInvocations after the send comes from a later tick: the sent command's id is saved by then.
        long listsAfterSend = ssmListCalls();
        Await.until("the rollout observes the command it sent", Duration.ofMinutes(1), () -> ssmListCalls() > listsAfterSend);

        // The timer is shut down (no tick waits for SSM: the step holds no thread between ticks), the
        // execution is saved as program.dat and read back, and onResume() is called with a new timer.
        List<StepExecution> resumed = running.build().restartController();
        BuildResult build = running.result().get(6, TimeUnit.MINUTES);

        assertThat(resumed).as("withFleet and rolloutGroup were running").hasSize(2);
        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(SANDBOX.sandbox().counters().get("ssm.SendCommand") - sentBefore)
                .as("one install command per batch (batchSize 1, %d instances): the resumed step waits on the one it sent", SIZE)
                .isEqualTo(SIZE);
        assertThat(build.log()).contains("taken back after a controller restart: rollout-")
                .containsPattern("rollout SUCCEEDED on restarted operation \\S+")
                .as("a restart is not a failure: nothing rolled back").doesNotContain("Rolling back").doesNotContain("undo:")
                .doesNotContain(PIPELINES.secretKey());
        assertThat(SANDBOX.servingVersion("restarted", "2.0", SIZE)).isTrue();
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
                .doesNotContain(PIPELINES.secretKey());
        Await.until("group stopresumed serves 1.0 again", Duration.ofMinutes(1), () -> SANDBOX.servingVersion("stopresumed", "1.0", SIZE));
    }

    @Test
    void drainGroupTakesPartOfAGroupOutOfTrafficAndRestorePutsItBack() throws Exception {
        BuildResult drained = jenkins().run(withFleet("  def d = drainGroup group: 'happy', percent: 50, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"drain ${d.status} on ${d.group} operation ${d.operationId} changes ${d.changes}\"\n"));

        assertThat(drained.result()).as(drained.log()).isEqualTo("SUCCESS");
        assertThat(drained.log()).containsPattern("drain SUCCEEDED on happy operation drain-\\S+ changes [1-9]").doesNotContain(PIPELINES.secretKey());
        assertThat(SANDBOX.group("happy").instances()).as("half of the group in Standby")
                .filteredOn(i -> i.lifecycleStateAsString().equals("Standby")).hasSize(SIZE / 2);

        BuildResult restored = jenkins().run(withFleet("  def r = drainGroup group: 'happy', restore: true, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"restore ${r.status} on ${r.group}\"\n"));

        assertThat(restored.result()).as(restored.log()).isEqualTo("SUCCESS");
        assertThat(restored.log()).contains("restore SUCCEEDED on happy");
        Await.until("group happy has " + SIZE + " InService instances again", Duration.ofMinutes(1),
                () -> SANDBOX.group("happy").instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString())).count() == SIZE);
    }

    @Test
    void switchTrafficMovesTheListenerAtOnceAndReturnsWhatItDid() throws Exception {
        String listener = SANDBOX.listenerArn("happy");
        String switchTo = "  def s = switchTraffic listenerArn: '" + listener + "', targetGroup: '%s', pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"switch ${s.status} on ${s.group} operation ${s.operationId} changes ${s.changes}\"\n";

        BuildResult build = jenkins().run(withFleet(switchTo.formatted("stopped")));

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).containsPattern("switch SUCCEEDED on listener-\\S+ operation switch-\\S+ changes 1").doesNotContain(PIPELINES.secretKey());
        assertThat(SandboxFleet.forwardedTo(SANDBOX.listenerAction(listener))).as("all traffic on the new target group")
                .containsExactly(SANDBOX.targetGroupArn("stopped"));

        BuildResult back = jenkins().run(withFleet(switchTo.formatted("happy")));
        assertThat(back.result()).as(back.log()).isEqualTo("SUCCESS");
        assertThat(SandboxFleet.forwardedTo(SANDBOX.listenerAction(listener))).containsExactly(SANDBOX.targetGroupArn("happy"));
    }

    private long ssmListCalls() {
        return SANDBOX.sandbox().counters().get("ssm.ListCommandInvocations");
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
        assertThat(SANDBOX.servingVersion("canary", "2.0", SIZE)).isTrue();
    }
}
