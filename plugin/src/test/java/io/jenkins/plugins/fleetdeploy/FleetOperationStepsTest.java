package io.jenkins.plugins.fleetdeploy;

import static org.assertj.core.api.Assertions.assertThat;

import hudson.model.Result;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import java.time.Duration;
import java.util.List;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * The long fleet steps in a real Jenkins against the sandbox (core's SandboxFleet, one for the class;
 * after every test its check finds the groups as they were: no Standby, no suspended process,
 * capacities as before, traffic only on healthy targets, no lease). The same Jenkinsfiles as
 * plugin-offline's RolloutGroupSandboxTest: rolloutGroup (push, and a release that fails its health
 * checks, rolled back), drainGroup (part of a group, then restore) and switchTraffic (at once).
 */
@WithJenkins
class FleetOperationStepsTest {

    private static final int SIZE = 2;

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("FleetOperationStepsTest",
            List.of(new SandboxFleet.GroupSpec("happy", SIZE, 0), new SandboxFleet.GroupSpec("bad", SIZE, 0),
                    new SandboxFleet.GroupSpec("drained", SIZE, 0)));
    private static final SandboxPipelines PIPELINES = new SandboxPipelines(SANDBOX);

    private static String rollout(String group, String version) {
        return PIPELINES.withFleet("  def r = rolloutGroup group: '" + group + "', version: '" + version + "', strategy: 'push', batchSize: 1,"
                + " minHealthyPercent: 50, healthyChecks: 2, pollSeconds: 1, timeoutMinutes: 4\n"
                + "  echo \"rollout ${r.status} on ${r.group} operation ${r.operationId} changes ${r.changes}\"\n");
    }

    private static List<String> outcomes(WorkflowRun b) {
        return b.getAction(FleetSummaryAction.class).getOperations().stream().map(o -> o.getStep() + " " + o.getOutcome()).toList();
    }

    @Test
    void aPushRolloutPutsTheNewVersionOnEveryInstanceAndReturnsWhatItDid(JenkinsRule r) throws Exception {
        PIPELINES.addCredentials();

        WorkflowRun b = r.buildAndAssertSuccess(SandboxPipelines.job(r, "deploy-happy", rollout("happy", SandboxFleet.NEW)));

        assertThat(SANDBOX.servingVersion("happy", SandboxFleet.NEW, SIZE)).isTrue();
        assertThat(JenkinsRule.getLog(b)).containsPattern("rollout SUCCEEDED on happy operation rollout-\\S+ changes \\d+")
                .contains("batch 2/2");
        r.assertLogNotContains(PIPELINES.secretKey(), b);
        assertThat(outcomes(b)).containsExactly("rolloutGroup SUCCEEDED");
    }

    @Test
    void aReleaseThatFailsItsHealthChecksIsRolledBackAndTheGroupServesTheOldVersion(JenkinsRule r) throws Exception {
        PIPELINES.addCredentials();

        WorkflowRun b = r.buildAndAssertStatus(Result.FAILURE,
                SandboxPipelines.job(r, "deploy-bad", rollout("bad", SandboxFleet.UNHEALTHY)));

        r.assertLogContains("rolloutGroup on bad ended ROLLED_BACK (operation rollout-", b);
        r.assertLogContains("unhealthy on " + SandboxFleet.UNHEALTHY, b);
        r.assertLogContains("undo: install " + SandboxFleet.OLD + " on ", b);
        r.assertLogContains("Everything this operation changed was put back.", b);
        r.assertLogNotContains("batch 2/2", b);
        r.assertLogNotContains("rollout SUCCEEDED", b);
        r.assertLogNotContains(PIPELINES.secretKey(), b);
        assertThat(outcomes(b)).containsExactly("rolloutGroup ROLLED_BACK");
        // The final state: every instance back on 1.0 and InService (the extension's check adds: no Standby, no
        // suspended process, capacities as before, no lease, traffic only on healthy targets).
        Await.until("group bad serves " + SandboxFleet.OLD + " on " + SIZE + " instances again", Duration.ofMinutes(1),
                () -> SANDBOX.servingVersion("bad", SandboxFleet.OLD, SIZE));
        assertThat(SANDBOX.channelVersion("bad")).as("the group's channel still points at the old release").isEqualTo(SandboxFleet.OLD);
    }

    @Test
    void drainGroupTakesPartOfAGroupOutOfTrafficAndRestorePutsItBack(JenkinsRule r) throws Exception {
        PIPELINES.addCredentials();

        WorkflowRun drained = r.buildAndAssertSuccess(SandboxPipelines.job(r, "drain", PIPELINES.withFleet(
                "  def d = drainGroup group: 'drained', percent: 50, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"drain ${d.status} on ${d.group} operation ${d.operationId} changes ${d.changes}\"\n")));

        assertThat(JenkinsRule.getLog(drained)).containsPattern("drain SUCCEEDED on drained operation drain-\\S+ changes [1-9]");
        r.assertLogNotContains(PIPELINES.secretKey(), drained);
        assertThat(SANDBOX.group("drained").instances()).as("half of the group in Standby")
                .filteredOn(i -> "Standby".equals(i.lifecycleStateAsString())).hasSize(SIZE / 2);

        WorkflowRun restored = r.buildAndAssertSuccess(SandboxPipelines.job(r, "restore", PIPELINES.withFleet(
                "  def s = drainGroup group: 'drained', restore: true, pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"restore ${s.status} on ${s.group}\"\n")));

        r.assertLogContains("restore SUCCEEDED on drained", restored);
        Await.until("group drained has " + SIZE + " InService instances again", Duration.ofMinutes(1),
                () -> SANDBOX.inServiceIds("drained").size() == SIZE);
        assertThat(outcomes(restored)).containsExactly("drainGroup SUCCEEDED");
    }

    @Test
    void switchTrafficMovesTheListenerAtOnceAndBack(JenkinsRule r) throws Exception {
        PIPELINES.addCredentials();
        String listener = SANDBOX.listenerArn("happy");
        String switchTo = "  def s = switchTraffic listenerArn: '" + listener + "', targetGroup: '%s', pollSeconds: 1, timeoutMinutes: 2\n"
                + "  echo \"switch ${s.status} on ${s.group} operation ${s.operationId} changes ${s.changes}\"\n";

        WorkflowRun b = r.buildAndAssertSuccess(SandboxPipelines.job(r, "switch", PIPELINES.withFleet(switchTo.formatted("drained"))));

        assertThat(JenkinsRule.getLog(b)).containsPattern("switch SUCCEEDED on listener-\\S+ operation switch-\\S+ changes 1");
        r.assertLogNotContains(PIPELINES.secretKey(), b);
        assertThat(SandboxFleet.forwardedTo(SANDBOX.listenerAction(listener))).as("all traffic on the new target group")
                .containsExactly(SANDBOX.targetGroupArn("drained"));

        r.buildAndAssertSuccess(SandboxPipelines.job(r, "switch-back", PIPELINES.withFleet(switchTo.formatted("happy"))));

        assertThat(SandboxFleet.forwardedTo(SANDBOX.listenerAction(listener))).as("all traffic back on the first target group")
                .containsExactly(SANDBOX.targetGroupArn("happy"));
    }
}
