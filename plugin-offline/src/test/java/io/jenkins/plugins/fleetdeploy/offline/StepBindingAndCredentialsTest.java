package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.S3ProxyExtension;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import io.jenkins.plugins.fleetdeploy.harness.TestUsernamePassword;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input reaches the user the way Jenkins reports it, before anything changes: binding errors
 * (unknown, unnamed or mistyped arguments), missing arguments, credentials that do not exist or
 * are of the wrong kind, no region; and where withFleet's values apply and where a step's own win.
 */
class StepBindingAndCredentialsTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path dir;

    private PipelineHarness jenkins;

    @BeforeEach
    void setUp() {
        jenkins = new PipelineHarness(dir).credentials(
                new TestAwsCredentials("deployer", S3.accessKey(), S3.secretKey()),
                new TestUsernamePassword("db-login", "flyway", "db-password-123"));
    }

    private String publish(String fleetArgs, String stepArgs) {
        return "node {\n  writeFile file: 'dist/app.txt', text: 'hello'\n"
                + "  withFleet(" + fleetArgs + ") {\n    publishRelease(" + stepArgs + ")\n  }\n}\n";
    }

    private String fleet(String credentialsId) {
        return "credentialsId: '" + credentialsId + "', region: 'us-east-1', endpoint: '" + S3.endpoint()
                + "', bucket: '" + S3.bucket() + "', app: 'shop'";
    }

    @Test
    void aMisspeltArgumentFailsWithDescribableModelsMessage() throws Exception {
        BuildResult build = jenkins.run(publish(fleet("deployer"), "path: 'dist', version: '1.0.0', chanel: 'staging'"));

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("WARNING: Unknown parameter(s) found for class type "
                + "'io.jenkins.plugins.fleetdeploy.steps.PublishReleaseStep': chanel");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void anArgumentOfTheWrongTypeFailsWithDescribableModelsMessage() throws Exception {
        BuildResult build = jenkins.run(publish(fleet("deployer"), "path: 'dist', version: 1.5"));

        assertThat(build.log()).contains("io.jenkins.plugins.fleetdeploy.steps.PublishReleaseStep.version expects class java.lang.String"
                + " but received class java.math.BigDecimal");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void unnamedArgumentsToAStepWithTwoRequiredOnesAreRefused() throws Exception {
        BuildResult build = jenkins.run(publish(fleet("deployer"), "'dist'"));

        assertThat(build.log()).contains("Arguments to class io.jenkins.plugins.fleetdeploy.steps.PublishReleaseStep have to be explicitly named");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void aMissingRequiredArgumentIsNamedAndNothingChanges() throws Exception {
        BuildResult build = jenkins.run(publish(fleet("deployer"), "path: 'dist'"));

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: The version is missing. Nothing was changed.");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void anUnknownCredentialIdIsReportedWhenTheBlockStarts() throws Exception {
        BuildResult build = jenkins.run(publish(fleet("no-such-id"), "path: 'dist', version: '1.0.0'"));

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: No credential with id 'no-such-id' is available to this build.")
                .contains("'AWS Credentials'")
                .doesNotContain("[Pipeline] publishRelease");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void aCredentialOfAnotherKindSaysWhichKindsFit() throws Exception {
        BuildResult build = jenkins.run(publish(fleet("db-login"), "path: 'dist', version: '1.0.0'"));

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: The credential 'db-login' is a TestUsernamePassword, which fleet-deploy cannot use here.")
                .contains("Use a credential of type 'AWS Credentials' (an IAM access key and secret key, optionally with an IAM role to assume).");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void noRegionAnywhereIsReportedBeforeAnyRequest() throws Exception {
        String noRegion = "credentialsId: 'deployer', endpoint: '" + S3.endpoint() + "', bucket: '" + S3.bucket() + "', app: 'shop'";

        BuildResult build = jenkins.run(publish(noRegion, "path: 'dist', version: '1.0.0'"));

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: No AWS region was given and none is configured on this Jenkins controller.")
                .contains("set AWS_REGION in the build environment");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void theBuildEnvironmentsRegionApplies() throws Exception {
        String noRegion = "credentialsId: 'deployer', endpoint: '" + S3.endpoint() + "', bucket: '" + S3.bucket() + "', app: 'shop'";

        BuildResult build = jenkins.run("withEnv(['AWS_REGION=us-east-1']) {\n" + publish(noRegion, "path: 'dist', version: '1.0.0'") + "}\n");

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(S3.objects()).containsKey("shop/releases/1.0.0/manifest.json");
    }

    @Test
    void aStepsOwnArgumentWinsOverWithFleetAndInnerBlocksWinOverOuterOnes() throws Exception {
        String other = S3.createBucket();
        BuildResult build = jenkins.run("node {\n  writeFile file: 'dist/app.txt', text: 'hello'\n"
                + "  withFleet(" + fleet("deployer") + ") {\n"
                + "    withFleet(app: 'inner') {\n"
                + "      publishRelease(path: 'dist', version: '1.0.0')\n"
                + "      publishRelease(path: 'dist', version: '1.0.0', bucket: '" + other + "', app: 'own')\n"
                + "    }\n"
                + "    publishRelease(path: 'dist', version: '1.0.0')\n"
                + "  }\n}\n");

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(S3.objects().keySet()).containsExactlyInAnyOrder(
                "inner/releases/1.0.0/bundle.tar.gz", "inner/releases/1.0.0/manifest.json",
                "shop/releases/1.0.0/bundle.tar.gz", "shop/releases/1.0.0/manifest.json");
        assertThat(S3.objects(other).keySet()).containsExactlyInAnyOrder(
                "own/releases/1.0.0/bundle.tar.gz", "own/releases/1.0.0/manifest.json");
    }

    @Test
    void aCredentialWithoutKeysFallsBackToTheControllersDefaultChain() throws Exception {
        jenkins.credentials(new TestAwsCredentials("instance-profile", "", ""));
        String before = System.getProperty("aws.accessKeyId");
        System.setProperty("aws.accessKeyId", S3.accessKey());
        System.setProperty("aws.secretAccessKey", S3.secretKey());
        try {
            BuildResult build = jenkins.run(publish(fleet("instance-profile"), "path: 'dist', version: '1.0.0'"));

            assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
            assertThat(S3.objects()).containsKey("shop/releases/1.0.0/manifest.json");
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
            if (before != null) {
                System.setProperty("aws.accessKeyId", before);
            }
        }
    }

    @Test
    void theSecretKeyNeverReachesTheLogNeitherOnSuccessNorWhenAwsRefusesIt() throws Exception {
        String wrongSecret = "wrong-secret-key-that-must-not-leak-0123456789";
        jenkins.credentials(new TestAwsCredentials("stale", S3.accessKey(), wrongSecret));

        BuildResult ok = jenkins.run(publish(fleet("deployer"), "path: 'dist', version: '1.0.0'"));
        BuildResult refused = jenkins.run(publish(fleet("stale"), "path: 'dist', version: '2.0.0'"));

        assertThat(ok.result()).isEqualTo("SUCCESS");
        assertThat(ok.log()).doesNotContain(S3.secretKey());
        assertThat(refused.result()).isEqualTo("FAILURE");
        assertThat(refused.log()).contains("ERROR:").doesNotContain(wrongSecret).doesNotContain("****");
        assertThat(S3.objects()).doesNotContainKey("shop/releases/2.0.0/manifest.json");
    }
}
