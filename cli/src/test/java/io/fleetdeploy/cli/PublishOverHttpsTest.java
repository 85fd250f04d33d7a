package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.release.Sha256;
import io.fleetdeploy.core.testing.EmbeddedS3Proxy;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing over HTTPS, as every publish to real S3 goes: the CLI in a JVM of its own (a trust
 * store given the way users give one, {@code -Djavax.net.ssl.trustStore}) uploads a multipart
 * bundle to an S3Proxy that serves HTTPS only, and the AWS CLI, an independent client that trusts
 * the same certificate, reads back what was stored.
 */
class PublishOverHttpsTest {

    private static final String AWS = "/usr/bin/aws";
    private static final String BUCKET = "releases";

    @TempDir
    static Path temp;

    private static Path trustStore;
    private static Path certificate;
    private static EmbeddedS3Proxy s3;

    @BeforeAll
    static void startHttpsProxy() throws Exception {
        // A certificate for 127.0.0.1 made for this test only; the password protects nothing.
        String password = "throw-away-test-keystore";
        Path keystore = temp.resolve("proxy.p12");
        certificate = temp.resolve("proxy.pem");
        trustStore = temp.resolve("trust.p12");
        keytool("-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", password, "-alias", "proxy",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2");
        keytool("-exportcert", "-rfc", "-keystore", keystore.toString(), "-storepass", password, "-alias", "proxy",
                "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
                "-alias", "proxy", "-file", certificate.toString());
        s3 = EmbeddedS3Proxy.startFilesystem(Files.createDirectories(temp.resolve("store")), keystore, password);
        assertThat(s3.endpoint().getScheme()).isEqualTo("https");
        run(awsCli("s3", "mb", "s3://" + BUCKET));
    }

    @AfterAll
    static void stopProxy() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void theCommandLineShipsBoringSslForTheAwsSdksNettyClient() {
        assertThat(System.getProperty("os.name")).as("the platforms the CLI ships native TLS for").isEqualTo("Linux");
        assertThat(OpenSsl.isAvailable())
                .as("netty-tcnative-boringssl-static on the CLI's runtime class path loads here: %s", OpenSsl.unavailabilityCause())
                .isTrue();
    }

    @Test
    void aMultipartPublishOverHttpsStoresTheBundleTheManifestNames() throws Exception {
        Path bundle = temp.resolve("bundle.tar.gz");
        byte[] bytes = new byte[20 * 1024 * 1024]; // two parts of the default 16 MiB part size
        new Random(7).nextBytes(bytes);
        bytes[0] = 0x1f;
        bytes[1] = (byte) 0x8b;
        Files.write(bundle, bytes);

        List<String> publish = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=changeit",
                "-cp", System.getProperty("java.class.path"), FleetDeployCli.class.getName(),
                "publish", "--endpoint", s3.endpoint().toString(), "--region", s3.region().id(),
                "--bucket", BUCKET, "--app", "shop", "--version", "1.0", "--json", bundle.toString()));
        String out = run(publish);

        JsonNode manifest = Json.mapper().readTree(out);
        assertThat(manifest.get("sha256").asText()).isEqualTo(Sha256.of(bundle));
        Path downloaded = temp.resolve("downloaded.tar.gz");
        run(awsCli("s3", "cp", "--only-show-errors", "s3://" + BUCKET + "/shop/releases/1.0/bundle.tar.gz", downloaded.toString()));
        assertThat(Sha256.of(downloaded)).as("the stored bundle, read by the AWS CLI").isEqualTo(Sha256.of(bundle));
    }

    private static List<String> awsCli(String... args) {
        List<String> command = new ArrayList<>(List.of(AWS, "--endpoint-url", s3.endpoint().toString(), "--no-cli-pager"));
        command.addAll(List.of(args));
        return command;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        run(command);
    }

    /** Runs {@code command} to its end (bounded), asserts exit 0 and returns its standard output. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Path stdout = Files.createTempFile(temp, "out", ".txt");
        Path stderr = Files.createTempFile(temp, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        Map<String, String> env = builder.environment();
        env.putAll(s3 == null ? Map.of() : s3.awsCliEnvironment());
        env.put("AWS_CA_BUNDLE", certificate.toString());
        Process process = builder.start();
        String name = Path.of(command.get(0)).getFileName() + " " + command.get(command.size() - 1);
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not finish within 180 s");
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s: %s", name, err).isZero();
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }
}
