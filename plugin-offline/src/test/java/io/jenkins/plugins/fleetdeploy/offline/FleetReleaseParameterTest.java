package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import io.jenkins.plugins.fleetdeploy.FleetReleaseParameterDefinition;
import io.jenkins.plugins.fleetdeploy.FleetReleaseParameterDefinition.ReleaseChoices;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import io.jenkins.plugins.fleetdeploy.harness.TestJob;
import hudson.model.StringParameterValue;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The fleetRelease build parameter lists what is published, newest first, and still takes a typed version. */
class FleetReleaseParameterTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path dir;

    private final TestJob job = new TestJob("folder/deploy-shop");

    @BeforeEach
    void credentials() {
        new PipelineHarness(dir).credentials(new TestAwsCredentials("deployer", S3.accessKey(), S3.secretKey()));
    }

    private FleetReleaseParameterDefinition parameter(String bucket) {
        FleetReleaseParameterDefinition p = new FleetReleaseParameterDefinition("VERSION");
        p.setApp("shop");
        p.setBucket(bucket);
        p.setRegion("us-east-1");
        p.setEndpoint(S3.endpoint().toString());
        p.setCredentialsId("deployer");
        return p;
    }

    @Test
    void offersThePublishedReleasesNewestFirst() throws Exception {
        try (Releases releases = new Releases(S3.client(), io.fleetdeploy.core.aws.AwsClients.s3Multipart(S3.settings()),
                S3Layout.of(S3.bucket(), "", "shop"), java.time.Clock.systemUTC(), ProgressListener.NONE)) {
            for (String version : new String[] {"1.9.0", "1.10.0", "1.10.1"}) {
                Path content = Files.createDirectories(dir.resolve(version));
                Files.writeString(content.resolve("app.txt"), version);
                releases.publish(PublishRequest.of(content, version));
            }
        }

        ReleaseChoices choices = parameter(S3.bucket()).releaseChoices(job);

        assertThat(choices.error()).isNull();
        assertThat(choices.versions()).containsExactly("1.10.1", "1.10.0", "1.9.0");
    }

    @Test
    void whenTheBucketCannotBeListedTheFormSaysWhyAndOffersNothing() {
        ReleaseChoices choices = parameter("no-such-bucket").releaseChoices(job);

        assertThat(choices.versions()).isEmpty();
        assertThat(choices.error()).contains("no-such-bucket");
    }

    @Test
    void aTypedVersionIsTheValueAndAnImpossibleOneIsRefused() {
        FleetReleaseParameterDefinition p = parameter(S3.bucket());

        assertThat(((StringParameterValue) p.createValue(" 2.0.0 ")).getValue()).isEqualTo("2.0.0");
        assertThatThrownBy(() -> p.createValue("../etc"))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("The version '../etc' is not allowed");
    }
}
