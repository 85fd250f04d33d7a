package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release commands end to end through {@link FleetDeployCli#run}, against a real S3 endpoint.
 * Credentials come the way users give them, through the SDK's default chain (here its system
 * properties, the in-process stand-in for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
 */
class ReleaseCommandsTest {

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

    private CliRun cli(String... args) {
        return CliRun.against(S3.endpoint().toString(), S3.region().id(), args);
    }

    @Test
    void publishPrintsTheManifestAndRepublishingSaysItIsAlreadyThere() throws IOException {
        Path app = app("one");

        CliRun first = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "1.0", "--channel", "prod",
                "--git-commit", "abc123", "--build-url", "https://ci.example.com/1/", "--sse", "AES256", "--json", app.toString());

        assertThat(first.exitCode()).as(first.err()).isZero();
        JsonNode manifest = Json.mapper().readTree(first.out());
        assertThat(manifest.get("version").asText()).isEqualTo("1.0");
        assertThat(manifest.get("sha256").asText()).matches("[0-9a-f]{64}");
        assertThat(manifest.get("gitCommit").asText()).isEqualTo("abc123");
        assertThat(manifest.get("alreadyPublished").asBoolean()).isFalse();
        assertThat(S3.objects()).containsOnlyKeys("shop/releases/1.0/bundle.tar.gz", "shop/releases/1.0/manifest.json", "shop/channels/prod.json");
        Map<String, String> before = S3.objects();

        CliRun again = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "1.0", app.toString());

        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).startsWith("Already published: shop 1.0 sha256 " + manifest.get("sha256").asText());
        assertThat(S3.objects()).isEqualTo(before);

        CliRun pointer = cli("channel", "get", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--json");
        assertThat(pointer.exitCode()).isZero();
        JsonNode channel = Json.mapper().readTree(pointer.out());
        assertThat(channel.get("version").asText()).isEqualTo("1.0");
        assertThat(channel.get("sha256").asText()).isEqualTo(manifest.get("sha256").asText());
        assertThat(channel.get("etag").asText()).isEqualTo(manifest.get("etag").asText());
    }

    @Test
    void otherBytesUnderAPublishedVersionFailWithExitOneAndChangeNothing() throws IOException {
        assertThat(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "1", app("one").toString()).exitCode()).isZero();
        Map<String, String> before = S3.objects();

        CliRun conflict = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "1", app("two").toString());

        assertThat(conflict.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(conflict.err()).contains("already published with other bytes", "left as it was");
        assertThat(conflict.err()).containsPattern("sha256 [0-9a-f]{64}.*sha256 [0-9a-f]{64}");
        assertThat(S3.objects()).isEqualTo(before);
    }

    @Test
    void badInputFailsWithAMessageAndChangesNothing() throws IOException {
        Path app = app("one");
        assertThat(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "1", app.toString()).exitCode()).isZero();
        Map<String, String> before = S3.objects();

        assertFails(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "2", temp.resolve("nope").toString()),
                "does not exist");
        assertFails(cli("publish", "--bucket", S3.bucket(), "--app", "../shop", "--version", "2", app.toString()), "app '../shop'");
        assertFails(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "2;reboot", app.toString()), "version");
        assertFails(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "2", "--kms-key-id", "k", app.toString()), "aws:kms");
        assertFails(cli("channel", "set", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--version", "9"), "not published");
        assertFails(cli("releases", "prune", "--bucket", S3.bucket(), "--app", "shop", "--keep", "0"), "at least 1");
        CliRun missingBucket = cli("publish", "--bucket", "no-such-bucket", "--app", "shop", "--version", "2", app.toString());
        assertFails(missingBucket, "bucket 'no-such-bucket' does not exist");
        assertThat(missingBucket.err()).contains("region " + S3.region().id());

        System.setProperty("aws.secretAccessKey", "not-the-secret");
        CliRun wrongKeys = cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", "2", app.toString());
        assertFails(wrongKeys, "rejected the credentials");
        assertThat(wrongKeys.err()).doesNotContain("not-the-secret");

        assertThat(S3.objects()).isEqualTo(before);
    }

    @Test
    void usageErrorsExitWithTwo() {
        CliRun noBucket = cli("publish", "--app", "shop", "--version", "1", "x");
        assertThat(noBucket.exitCode()).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(noBucket.err()).contains("--bucket");
        assertThat(cli("releases", "--bucket", "b").exitCode()).isEqualTo(FleetDeployCli.EXIT_USAGE);
    }

    @Test
    void aChannelMoveThatLostTheRaceSaysWhoMovedItUnlessRetryIsGiven() throws IOException {
        for (String version : new String[] {"1", "2", "3"}) {
            assertThat(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", version, app(version).toString()).exitCode()).isZero();
        }
        assertThat(cli("channel", "set", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--version", "1").exitCode()).isZero();
        CliRun seen = cli("channel", "get", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod");
        String etag = seen.out().lines().filter(l -> l.startsWith("pointer ETag ")).findFirst().orElseThrow()
                .substring("pointer ETag ".length()).split(" ")[0];
        assertThat(cli("channel", "set", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--version", "2",
                "--updated-by", "carol").exitCode()).isZero();
        Map<String, String> before = S3.objects();

        CliRun lost = cli("channel", "set", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--version", "3",
                "--expect-etag", etag);

        assertFails(lost, "was moved by carol");
        assertThat(lost.err()).contains("left as that writer set it, at version 2");
        assertThat(S3.objects()).isEqualTo(before);

        CliRun retried = cli("channel", "set", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--version", "3",
                "--expect-etag", etag, "--retry", "--json");
        assertThat(retried.exitCode()).as(retried.err()).isZero();
        JsonNode pointer = Json.mapper().readTree(retried.out());
        assertThat(pointer.get("version").asText()).isEqualTo("3");
        assertThat(pointer.get("previous").get("version").asText()).isEqualTo("2");
    }

    @Test
    void listShowDownloadAndPrune() throws IOException {
        for (String version : new String[] {"1", "2", "3"}) {
            assertThat(cli("publish", "--bucket", S3.bucket(), "--app", "shop", "--version", version, app(version).toString()).exitCode()).isZero();
        }
        assertThat(cli("channel", "set", "--bucket", S3.bucket(), "--app", "shop", "--channel", "prod", "--version", "1").exitCode()).isZero();

        CliRun list = cli("releases", "list", "--bucket", S3.bucket(), "--app", "shop", "--json");
        assertThat(list.exitCode()).isZero();
        JsonNode releases = Json.mapper().readTree(list.out()).get("releases");
        assertThat(releases).hasSize(3);
        assertThat(releases.findValuesAsText("version")).containsExactlyInAnyOrder("1", "2", "3");

        CliRun show = cli("releases", "show", "--bucket", S3.bucket(), "--app", "shop", "--version", "2");
        String sha = Json.mapper().readTree(show.out()).get("sha256").asText();
        Path to = temp.resolve("dl/bundle.tar.gz");
        CliRun download = cli("releases", "download", "--bucket", S3.bucket(), "--app", "shop", "--version", "2", "--to", to.toString());
        assertThat(download.exitCode()).as(download.err()).isZero();
        assertThat(io.fleetdeploy.core.release.Sha256.of(to)).isEqualTo(sha);

        CliRun prune = cli("releases", "prune", "--bucket", S3.bucket(), "--app", "shop", "--keep", "1", "--json");
        assertThat(prune.exitCode()).as(prune.err()).isZero();
        JsonNode result = Json.mapper().readTree(prune.out());
        assertThat(result.get("deleted").toString()).isEqualTo("[\"2\"]");
        assertThat(S3.objects().keySet()).containsOnly("shop/releases/1/manifest.json", "shop/releases/1/bundle.tar.gz",
                "shop/releases/3/manifest.json", "shop/releases/3/bundle.tar.gz", "shop/channels/prod.json");
    }

    private static void assertFails(CliRun run, String mentions) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(run.err()).contains(mentions);
    }

    private Path app(String content) throws IOException {
        Path root = temp.resolve("app-" + content);
        Files.createDirectories(root.resolve("hooks"));
        Files.writeString(root.resolve("app.properties"), "release=" + content + "\n");
        Files.writeString(root.resolve("hooks/start"), "#!/bin/sh\necho " + content + "\n");
        return root;
    }
}
