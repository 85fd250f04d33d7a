package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.release.Sha256;
import io.fleetdeploy.core.testing.EmbeddedS3Proxy;
import io.fleetdeploy.core.aws.AwsClients;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
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
 * the same certificate, reads back what was stored. The upload encrypts in BoringSSL where its
 * native library loads and in the JDK's TLS where it does not.
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
        assertThat(AwsClients.uploadTlsProvider()).isEqualTo(SslProvider.OPENSSL);
    }

    @Test
    void aMultipartPublishOverHttpsEncryptsInBoringSslAndStoresTheBundleTheManifestNames() throws Exception {
        Path bundle = randomBundle("bundle.tar.gz", 7);
        // The JDK's TLS debug log records every handshake the JDK's own SSLEngine or socket makes. A
        // publish makes all its requests (GET manifest, HEAD bundle, the upload, PUT manifest) through
        // the upload's client, whose connections BoringSSL makes: the JDK must make none.
        Ran publish = publish(bundle, "1.0", "-Djavax.net.debug=ssl:handshake");

        assertThat(publish.err().lines().filter(line -> line.startsWith("javax.net.ssl|")))
                .as("the JDK's TLS debug log is on (it logs its cipher limits when TLS classes load)")
                .isNotEmpty();
        assertThat(jdkClientHellos(publish.err())).as("handshakes the JDK's TLS made during the publish").isEmpty();
        assertStoredAsPublished(bundle, publish.out(), "1.0");
    }

    @Test
    void whereBoringSslCannotLoadThePublishUsesTheJdksTlsWithTheSameTrustStoreAndSaysNothingAboutIt() throws Exception {
        Path bundle = randomBundle("fallback.tar.gz", 11);
        // Netty unpacks the native library into its work directory before loading it: under a regular
        // file no directory can be made, so the library cannot load, as on a platform without a build of it.
        Path noWorkDirectory = bundle.resolve("native");
        Ran publish = publish(bundle, "2.0", "-Dio.netty.native.workdir=" + noWorkDirectory, "-Djavax.net.debug=ssl:handshake");

        assertThat(jdkClientHellos(publish.err()))
                .as("handshakes the JDK made on the upload's Netty threads, trusting the certificate through -Djavax.net.ssl.trustStore")
                .anyMatch(line -> line.contains(NETTY_THREAD));
        assertThat(publish.err()).as("what the command printed besides the JDK's TLS log")
                .doesNotContainIgnoringCase("tcnative").doesNotContain("OpenSsl").doesNotContain("UnsatisfiedLinkError")
                .doesNotContainIgnoringCase("native library");
        assertStoredAsPublished(bundle, publish.out(), "2.0");
    }

    /** The name the AWS SDK gives the Netty event loop threads that carry the upload's connections. */
    private static final String NETTY_THREAD = "aws-java-sdk-NettyEventLoop";

    /** The JDK TLS debug log's lines for a ClientHello the JDK's SSLEngine produced; each names its thread. */
    private static List<String> jdkClientHellos(String stderr) {
        return stderr.lines().filter(line -> line.startsWith("javax.net.ssl|") && line.contains("Produced ClientHello")).toList();
    }

    /** A bundle of two parts at the default 16 MiB part size, so the SDK's multipart upload runs. */
    private static Path randomBundle(String name, long seed) throws IOException {
        Path bundle = temp.resolve(name);
        byte[] bytes = new byte[20 * 1024 * 1024];
        new Random(seed).nextBytes(bytes);
        bytes[0] = 0x1f;
        bytes[1] = (byte) 0x8b;
        return Files.write(bundle, bytes);
    }

    /** Runs {@code fleet-deploy publish --json} in a JVM of its own that trusts the proxy through the trust store system properties. */
    private static Ran publish(Path bundle, String version, String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=changeit"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FleetDeployCli.class.getName(),
                "publish", "--endpoint", s3.endpoint().toString(), "--region", s3.region().id(),
                "--bucket", BUCKET, "--app", "shop", "--version", version, "--json", bundle.toString()));
        return run(command);
    }

    /** Standard output is the manifest alone, and the AWS CLI downloads the bytes it names. */
    private static void assertStoredAsPublished(Path bundle, String stdout, String version) throws Exception {
        // Fails on anything before or after the one JSON document (stdout carries --json output).
        JsonNode manifest = Json.mapper().readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(stdout);
        assertThat(manifest.get("version").asText()).isEqualTo(version);
        assertThat(manifest.get("sha256").asText()).isEqualTo(Sha256.of(bundle));
        Path downloaded = temp.resolve("downloaded-" + version + ".tar.gz");
        run(awsCli("s3", "cp", "--only-show-errors", "s3://" + BUCKET + "/shop/releases/" + version + "/bundle.tar.gz", downloaded.toString()));
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

    private record Ran(String out, String err) {
    }

    /** Runs {@code command} to its end (bounded), asserts exit 0 and returns what it printed. */
    private static Ran run(List<String> command) throws IOException, InterruptedException {
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
        return new Ran(Files.readString(stdout, StandardCharsets.UTF_8), err);
    }
}
