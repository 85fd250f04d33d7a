package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import io.jenkins.plugins.fleetdeploy.harness.TestJob;
import io.jenkins.plugins.fleetdeploy.harness.TestUsernamePassword;
import io.jenkins.plugins.fleetdeploy.steps.FlipSchemaKeyStep;
import io.jenkins.plugins.fleetdeploy.steps.PublishReleaseStep;
import io.jenkins.plugins.fleetdeploy.steps.RolloutGroupStep;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The form methods the Snippet Generator calls: credential lists by kind, and the offline checks. */
class SnippetGeneratorFormsTest {

    @TempDir
    Path dir;

    @Test
    void credentialListsOfferOnlyTheKindEachFieldTakes() {
        new PipelineHarness(dir).credentials(new TestAwsCredentials("deployer", "AKIAFORMS", "secret"),
                new TestUsernamePassword("db", "flyway", "pw"));
        TestJob job = new TestJob("folder/deploy-shop");
        FlipSchemaKeyStep.DescriptorImpl flip = new FlipSchemaKeyStep.DescriptorImpl();

        ListBoxModel aws = flip.doFillCredentialsIdItems(job, "");
        ListBoxModel db = flip.doFillDatabaseCredentialsIdItems(job, "gone");

        assertThat(aws).extracting(o -> o.value).containsExactly("", "deployer");
        assertThat(db).extracting(o -> o.value).containsExactly("", "gone", "db");
    }

    @Test
    void offlineChecksCatchBadNamesAndPercentagesButLeaveExpressionsAlone() {
        PublishReleaseStep.DescriptorImpl publish = new PublishReleaseStep.DescriptorImpl();
        RolloutGroupStep.DescriptorImpl rollout = new RolloutGroupStep.DescriptorImpl();

        assertThat(publish.doCheckVersion("1.4.2").kind).isEqualTo(FormValidation.Kind.OK);
        assertThat(publish.doCheckVersion("${BUILD_NUMBER}").kind).isEqualTo(FormValidation.Kind.OK);
        assertThat(publish.doCheckVersion("1.4 beta").kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(publish.doCheckVersion("").kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(rollout.doCheckBatchPercent("25").kind).isEqualTo(FormValidation.Kind.OK);
        assertThat(rollout.doCheckBatchPercent("150").kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(rollout.doCheckMinHealthyPercent("a lot").kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(rollout.doCheckRoleDurationSeconds("600").kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(rollout.doCheckRoleArn("deployer").kind).isEqualTo(FormValidation.Kind.ERROR);
    }
}
