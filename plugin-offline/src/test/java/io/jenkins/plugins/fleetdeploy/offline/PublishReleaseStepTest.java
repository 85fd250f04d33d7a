package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import com.cloudbees.plugins.credentials.CredentialsProvider;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** publishRelease end to end: a Jenkinsfile, the real step, the engine and a real S3 protocol (S3Proxy). */
class PublishReleaseStepTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path dir;

    private PipelineHarness jenkins;

    @BeforeEach
    void setUp() {
        jenkins = new PipelineHarness(dir).credentials(
                new TestAwsCredentials("deployer", S3.accessKey(), S3.secretKey()));
    }

    private String withFleet(String body) {
        return "withFleet(credentialsId: 'deployer', region: 'us-east-1', endpoint: '" + S3.endpoint()
                + "', bucket: '" + S3.bucket() + "', app: 'shop') {\n" + body + "\n}\n";
    }

    @Test
    void publishesTheWorkspaceDirectoryAndReturnsWhatItPublished() throws Exception {
        BuildResult build = jenkins.run("node {\n"
                + "  writeFile file: 'dist/app.txt', text: 'hello fleet'\n"
                + withFleet("    def r = publishRelease path: 'dist', version: '1.0.0', channel: 'staging'\n"
                        + "    echo \"published ${r.version} sha256=${r.sha256} already=${r.alreadyPublished} channel=${r.channel} moved=${r.channelMoved}\"\n"
                        + "    def again = publishRelease path: 'dist', version: '1.0.0'\n"
                        + "    echo \"second already=${again.alreadyPublished}\"")
                + "}\n");

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(S3.objects()).containsKeys("shop/releases/1.0.0/bundle.tar.gz", "shop/releases/1.0.0/manifest.json",
                "shop/channels/staging.json");
        assertThat(build.log()).containsPattern("published 1\\.0\\.0 sha256=[0-9a-f]{64} already=false channel=staging moved=true")
                .contains("second already=true")
                .contains("[fleet-deploy] Published shop 1.0.0");
        assertThat(Json.mapper().readTree(S3.read("shop/releases/1.0.0/manifest.json")).get("buildUrl").asText())
                .isEqualTo("http://jenkins.invalid/job/folder/job/deploy-shop/1/");
        FleetSummaryAction summary = build.run().getAction(FleetSummaryAction.class);
        assertThat(summary.getOperations()).extracting(FleetOperationRecord::getOutcome).containsExactly("SUCCEEDED", "UNCHANGED");
        assertThat(CredentialsProvider.trackedForTests()).contains(build.run().getExternalizableId() + " deployer");
    }

    @Test
    void otherBytesUnderAPublishedVersionAreRefusedAndTheReleaseStaysAsItWas() throws Exception {
        jenkins.run("node {\n  writeFile file: 'dist/app.txt', text: 'one'\n"
                + withFleet("publishRelease path: 'dist', version: '2.0.0'") + "}\n");
        byte[] before = S3.read("shop/releases/2.0.0/bundle.tar.gz");

        BuildResult build = jenkins.run("node {\n  writeFile file: 'dist/app.txt', text: 'two'\n"
                + withFleet("publishRelease path: 'dist', version: '2.0.0'") + "}\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: Version 2.0.0 of shop is already published with other bytes")
                .contains("publish these bytes under a new version");
        assertThat(S3.read("shop/releases/2.0.0/bundle.tar.gz")).isEqualTo(before);
        assertThat(build.run().getAction(FleetSummaryAction.class).getOperations())
                .extracting(FleetOperationRecord::getOutcome).containsExactly("FAILED");
    }

    @Test
    void aPathThatDoesNotExistFailsBeforeAnythingIsUploaded() throws Exception {
        BuildResult build = jenkins.run("node {\n" + withFleet("publishRelease path: 'missing', version: '1.0.0'") + "}\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: Nothing at").contains("correct path:");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void outsideANodeThereIsNoWorkspaceAndTheStepSaysSo() throws Exception {
        BuildResult build = jenkins.run(withFleet("publishRelease path: 'dist', version: '1.0.0'"));

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("Required context class hudson.FilePath is missing")
                .contains("such as: node");
        assertThat(S3.objects()).isEmpty();
    }

    @Test
    void s3RequestsGoToTheS3EndpointAndTheStepsOwnWinsOverWithFleets() throws Exception {
        // Nothing listens on port 9: only S3 traffic sent to the step's own s3Endpoint can succeed.
        BuildResult build = jenkins.run("node {\n  writeFile file: 'dist/app.txt', text: 's3 endpoint'\n"
                + "  withFleet(credentialsId: 'deployer', region: 'us-east-1', endpoint: 'http://127.0.0.1:9',"
                + " s3Endpoint: 'http://127.0.0.1:9', bucket: '" + S3.bucket() + "', app: 'shop') {\n"
                + "    def r = publishRelease path: 'dist', version: '3.0.0', s3Endpoint: '" + S3.endpoint() + "'\n"
                + "    echo \"published ${r.version}\"\n  }\n}\n");

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).contains("s3Endpoint=http://127.0.0.1:9").contains("published 3.0.0");
        assertThat(S3.objects()).containsKeys("shop/releases/3.0.0/bundle.tar.gz", "shop/releases/3.0.0/manifest.json");
    }

    @Test
    void anS3EndpointThatIsNotAUrlFailsBeforeAnythingIsUploaded() throws Exception {
        BuildResult build = jenkins.run("node {\n  writeFile file: 'dist/app.txt', text: 'x'\n"
                + withFleet("publishRelease path: 'dist', version: '1.0.0', s3Endpoint: 'not a url'") + "}\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: The s3Endpoint 'not a url' is not a URL.");
        assertThat(S3.objects()).isEmpty();
    }
}
