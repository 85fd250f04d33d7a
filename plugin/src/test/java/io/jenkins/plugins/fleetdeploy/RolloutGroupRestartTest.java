package io.jenkins.plugins.fleetdeploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import java.time.Duration;
import java.util.List;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jvnet.hudson.test.junit.jupiter.JenkinsSessionExtension;

/**
 * A controller restart in the middle of a push rolloutGroup, in a real Jenkins against the sandbox:
 * the first session ends while the first batch's install runs (the step holds no thread: Jenkins
 * saves the Pipeline with the step's operation id), the second session's onResume() takes the
 * operation back, waits on the install command it had sent, and finishes the rollout; the build
 * succeeds and the group ends on the new version. The offline twin is RolloutGroupSandboxTest's
 * aControllerRestartMidInstallIsNotAFailureAndTheResumedStepFinishesTheRollout.
 */
class RolloutGroupRestartTest {

    private static final String GROUP = "restarted";
    private static final int SIZE = 2;
    private static final String JOB = "deploy-shop";

    /** After the test it checks that nothing the rollout changed is left behind: Standby, suspended processes, capacities, leases. */
    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("RolloutGroupRestartTest", List.of(new SandboxFleet.GroupSpec(GROUP, SIZE, 0)));
    private static final SandboxPipelines PIPELINES = new SandboxPipelines(SANDBOX);

    @RegisterExtension
    private final JenkinsSessionExtension sessions = new JenkinsSessionExtension();

    @Test
    void aControllerRestartMidInstallIsNotAFailureAndTheResumedStepFinishesTheRollout() throws Throwable {
        long sentBefore = ssmCalls("ssm.SendCommand");
        sessions.then(r -> {
            PIPELINES.addCredentials();
            WorkflowJob p = SandboxPipelines.job(r, JOB, PIPELINES.withFleet("  def r = rolloutGroup group: '" + GROUP + "', version: '"
                    + SandboxFleet.NEW + "', strategy: 'push', batchSize: 1, minHealthyPercent: 50, healthyChecks: 2, pollSeconds: 1,"
                    + " timeoutMinutes: 4\n"
                    + "  echo \"rollout ${r.status} on ${r.group} operation ${r.operationId}\"\n"));
            p.scheduleBuild2(0).waitForStart();
            Await.until("the install command of " + SandboxFleet.NEW + " on group " + GROUP + " is sent", Duration.ofMinutes(2),
                    () -> ssmCalls("ssm.SendCommand") > sentBefore);
            // A ListCommandInvocations after the send comes from a later tick: the sent command's id is saved by then.
            long listsAfterSend = ssmCalls("ssm.ListCommandInvocations");
            Await.until("the rollout observes the command it sent", Duration.ofMinutes(1),
                    () -> ssmCalls("ssm.ListCommandInvocations") > listsAfterSend);
            // Leaving the session stops Jenkins mid-install: jenkins.util.Timer is shut down and the Pipeline saved.
        });
        sessions.then(r -> {
            WorkflowRun b = r.jenkins.getItemByFullName(JOB, WorkflowJob.class).getBuildByNumber(1);
            r.waitForCompletion(b);
            r.assertBuildStatusSuccess(b);
            r.assertLogContains("taken back after a controller restart: rollout-", b);
            r.assertLogContains("rollout SUCCEEDED on " + GROUP + " operation rollout-", b);
            // A restart is not a failure: nothing was rolled back.
            r.assertLogNotContains("undo:", b);
            r.assertLogNotContains(PIPELINES.secretKey(), b);
            r.assertLogNotContains("Rolling back", b);
        });

        assertThat(ssmCalls("ssm.SendCommand") - sentBefore)
                .as("one install command per batch (batchSize 1, %d instances): the resumed step waits on the one it sent", SIZE)
                .isEqualTo(SIZE);
        assertThat(SANDBOX.servingVersion(GROUP, SandboxFleet.NEW, SIZE)).as("every instance of %s serves %s", GROUP, SandboxFleet.NEW).isTrue();
    }

    private static long ssmCalls(String serviceAction) {
        return SANDBOX.sandbox().counters().get(serviceAction);
    }
}
