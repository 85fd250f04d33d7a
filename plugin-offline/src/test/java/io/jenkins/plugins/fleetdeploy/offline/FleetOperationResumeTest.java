package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.ProgramDat;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness.StepUnderTest;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a long fleet step keeps across a controller restart: the execution is serialized as the
 * Pipeline saves it, read back with a fresh context, and onResume() called. Only ids and settings
 * are kept, never a secret.
 */
class FleetOperationResumeTest {

    @TempDir
    Path dir;

    private static final String SECRET = "resume-test-secret-key-never-serialized-42";

    private StepUnderTest drain(PipelineHarness jenkins) throws Exception {
        FleetSettings fleet = FleetSettings.builder().app("shop").bucket("releases").region("eu-west-1")
                .endpoint("http://127.0.0.1:9").credentialsId("deployer").build();
        return jenkins.prepare("drainGroup", Map.of("group", "web", "percent", 50), fleet);
    }

    @Test
    void theSavedExecutionHoldsSettingsAndIdsButNoSecret() throws Exception {
        PipelineHarness jenkins = new PipelineHarness(dir).credentials(new TestAwsCredentials("deployer", "AKIARESUMETEST", SECRET));
        StepUnderTest step = drain(jenkins);

        byte[] saved = ProgramDat.save(step.execution());

        String text = new String(saved, StandardCharsets.ISO_8859_1);
        assertThat(text).contains("deployer").contains("releases").doesNotContain(SECRET);
        assertThat(ProgramDat.load(saved).getStatus()).isEqualTo("starting drainGroup on web");
    }

    @Test
    void aRestartBeforeTheOperationStartedEndsTheStepSayingNothingWasChanged() throws Exception {
        PipelineHarness jenkins = new PipelineHarness(dir).credentials(new TestAwsCredentials("deployer", "AKIARESUMETEST", SECRET));
        StepUnderTest step = drain(jenkins);

        StepExecution afterRestart = ProgramDat.load(ProgramDat.save(step.execution()));
        afterRestart.onResume();

        assertThatThrownBy(() -> step.outcome(Duration.ofSeconds(30)))
                .hasMessage("Jenkins restarted before drainGroup on web had started its operation; nothing in the fleet"
                        + " was changed by it. Run the build again.");
    }

    @Test
    void stopBeforeTheOperationStartedFailsWithTheCause() throws Exception {
        PipelineHarness jenkins = new PipelineHarness(dir).credentials(new TestAwsCredentials("deployer", "AKIARESUMETEST", SECRET));
        StepUnderTest step = drain(jenkins);
        InterruptedException cause = new InterruptedException("Aborted by a user");

        step.execution().stop(cause);

        assertThatThrownBy(() -> step.outcome(Duration.ofSeconds(30))).isSameAs(cause);
    }
}
