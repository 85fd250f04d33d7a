package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.release.Sha256;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with a client no one here wrote: the Debian AWS CLI (/usr/bin/aws, installed by .ci/run).
 *
 * <p>The immutability rules for bundles that other clients put under a release key:
 * before the version is published, identical bytes are adopted and other bytes are refused;
 * after it is published, a plain overwrite (the AWS CLI sends no conditional header) cannot be
 * stopped by us, but every download checks the manifest's ETag and sha256 and refuses it.
 */
class AwsCliInteropTest {

    private static final String AWS = "/usr/bin/aws";

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path temp;

    @BeforeEach
    void credentials() {
        System.setProperty("aws.accessKeyId", S3.accessKey());
        System.setProperty("aws.secretAccessKey", S3.secretKey());
    }

    @AfterEach
    void forgetCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void theAwsCliDownloadsAPublishedBundleWhoseSha256MatchesTheManifest() throws Exception {
        // 20 MiB (over the CLI's 16 MiB part size): uploaded by us as a multipart object, which the AWS CLI must read back whole.
        Path bundle = randomGzipLikeFile("big.tar.gz", 20 * 1024 * 1024, 1);
        CliRun publish = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "1.0", "--json", bundle.toString());
        assertThat(publish.exitCode()).as(publish.err()).isZero();
        JsonNode published = Json.mapper().readTree(publish.out());

        Path downloaded = temp.resolve("by-aws-cli.tar.gz");
        aws("s3", "cp", "s3://" + S3.bucket() + "/shop/releases/1.0/bundle.tar.gz", downloaded.toString());
        Path manifestCopy = temp.resolve("manifest.json");
        aws("s3", "cp", "s3://" + S3.bucket() + "/shop/releases/1.0/manifest.json", manifestCopy.toString());

        JsonNode manifest = Json.mapper().readTree(manifestCopy.toFile());
        assertThat(Sha256.of(downloaded)).isEqualTo(manifest.get("sha256").asText()).isEqualTo(published.get("sha256").asText());
        assertThat(Files.size(downloaded)).isEqualTo(manifest.get("size").asLong());
    }

    @Test
    void aBundleTheAwsCliPutBeforePublishingIsAdoptedWhenIdenticalAndRefusedOtherwise() throws Exception {
        Path bundle = randomGzipLikeFile("bundle.tar.gz", 300_000, 2);
        aws("s3", "cp", bundle.toString(), "s3://" + S3.bucket() + "/shop/releases/2.0/bundle.tar.gz");

        CliRun adopt = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "2.0", "--json", bundle.toString());

        assertThat(adopt.exitCode()).as(adopt.err()).isZero();
        assertThat(adopt.err()).contains("already holds these exact bytes");
        assertThat(Json.mapper().readTree(adopt.out()).get("etag").asText()).isEqualTo(S3.objects().get("shop/releases/2.0/bundle.tar.gz"));

        Path other = randomGzipLikeFile("other.tar.gz", 300_000, 3);
        aws("s3", "cp", other.toString(), "s3://" + S3.bucket() + "/shop/releases/2.1/bundle.tar.gz");
        Map<String, String> before = S3.objects();

        CliRun refuse = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "2.1", bundle.toString());

        assertThat(refuse.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(refuse.err()).contains("already holds other bytes", Sha256.of(other), Sha256.of(bundle));
        assertThat(S3.objects()).isEqualTo(before);
    }

    @Test
    void aBundleTheAwsCliOverwroteAfterPublishingIsRefusedOnDownload() throws Exception {
        Path bundle = randomGzipLikeFile("bundle.tar.gz", 100_000, 4);
        assertThat(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "3.0", bundle.toString()).exitCode()).isZero();
        Path other = randomGzipLikeFile("other.tar.gz", 100_000, 5);
        aws("s3", "cp", other.toString(), "s3://" + S3.bucket() + "/shop/releases/3.0/bundle.tar.gz");
        Path to = temp.resolve("dl/bundle.tar.gz");

        CliRun download = cli("releases", "download", "--bucket", S3.bucket(), "--app", "shop", "--version", "3.0", "--to", to.toString());

        assertThat(download.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(download.err()).contains("no longer the object the manifest of 3.0 recorded", "was not written");
        assertThat(to).doesNotExist();
    }

    private CliRun cli(String... args) {
        return CliRun.against(S3.endpoint().toString(), S3.region().id(), args);
    }

    private void aws(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(AWS, "--endpoint-url", S3.endpoint().toString(), "--no-cli-pager"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(S3.awsCliEnvironment());
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("aws " + String.join(" ", args) + " finished within 120 s").isTrue();
        assertThat(process.exitValue()).as("aws " + String.join(" ", args) + ": " + new String(output, StandardCharsets.UTF_8)).isZero();
    }

    private Path randomGzipLikeFile(String name, int size, long seed) throws IOException {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        data[0] = 0x1f;
        data[1] = (byte) 0x8b;
        return Files.write(temp.resolve(name), data);
    }
}
