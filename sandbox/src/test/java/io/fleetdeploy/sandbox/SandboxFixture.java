package io.fleetdeploy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetdeploy.sandbox.runtime.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * A sandbox started from a JSON configuration (the real agent script wired in), real SDK clients
 * pointed at it, and the few things tests do to it: publish a release the way fleet-deploy does
 * (bundle, manifest, channel pointer), wait on conditions, call the admin API.
 */
final class SandboxFixture implements AutoCloseable {

    static final Path AGENT = Path.of("../agent/fleet-agent.sh");
    static final String ACCESS_KEY = "AKIASANDBOXTESTS0001";
    static final String SECRET_KEY = "sandboxTestSecretKey0000000000000001";
    static final String USERS = "\"users\": [{\"name\": \"deployer\", \"accessKeyId\": \"" + ACCESS_KEY
            + "\", \"secretAccessKey\": \"" + SECRET_KEY + "\"}]";

    final Sandbox sandbox;
    final AutoScalingClient autoScaling;
    final ElasticLoadBalancingV2Client elb;
    final Ec2Client ec2;
    final SsmClient ssm;
    final RdsClient rds;
    final S3Client s3;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Path build;

    /** @param configBody the configuration's fields after "users" (without the surrounding braces) */
    SandboxFixture(String configBody) {
        sandbox = Sandbox.start(SandboxConfig.parse("{" + USERS + (configBody.isBlank() ? "" : ", " + configBody) + "}",
                "test").withAgentScript(AGENT));
        autoScaling = client(AutoScalingClient.builder());
        elb = client(ElasticLoadBalancingV2Client.builder());
        ec2 = client(Ec2Client.builder());
        ssm = client(SsmClient.builder());
        rds = client(RdsClient.builder());
        s3 = S3Client.builder().endpointOverride(sandbox.s3Endpoint()).forcePathStyle(true)
                .region(Region.of(sandbox.region())).httpClient(ApacheHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
        try {
            build = Files.createDirectories(sandbox.workDir().resolve("test-builds"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    <B extends AwsClientBuilder<B, C>, C> C client(B builder) {
        return builder.endpointOverride(sandbox.awsEndpoint()).region(Region.of(sandbox.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .overrideConfiguration(ClientOverrideConfiguration.builder().retryStrategy(RetryMode.STANDARD).build())
                .build();
    }

    /**
     * Publishes a release of {@code app} as fleet-deploy lays it out (bundle.tar.gz built with tar,
     * manifest.json with its sha256) and moves the channel pointer to it.
     */
    void publish(String app, String channel, String version, boolean healthy) {
        try {
            Path source = Files.createDirectories(build.resolve(app + "-" + version));
            Files.writeString(source.resolve("app.properties"), "version=" + version + "\nschemaKey=k1\n"
                    + (healthy ? "" : "healthy=false\n"));
            Path bundle = build.resolve(app + "-" + version + ".tar.gz");
            Process tar = new ProcessBuilder("tar", "-czf", bundle.toString(), "-C", source.toString(), ".")
                    .redirectErrorStream(true).start();
            assertThat(tar.waitFor(30, TimeUnit.SECONDS)).as("tar finishes").isTrue();
            assertThat(tar.exitValue()).as("tar exit code").isZero();
            byte[] bytes = Files.readAllBytes(bundle);
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            String releases = app + "/releases/" + version + "/";
            s3.putObject(p -> p.bucket(sandbox.bucket()).key(releases + "bundle.tar.gz"), RequestBody.fromBytes(bytes));
            ObjectNode manifest = json.createObjectNode().put("app", app).put("version", version).put("sha256", sha256)
                    .put("size", bytes.length).put("schemaKey", "k1");
            putJson(releases + "manifest.json", manifest);
            putJson(app + "/channels/" + channel + ".json", json.createObjectNode().put("version", version).put("sha256", sha256));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private void putJson(String key, ObjectNode value) throws IOException {
        s3.putObject(p -> p.bucket(sandbox.bucket()).key(key).contentType("application/json"),
                RequestBody.fromString(json.writeValueAsString(value)));
    }

    /** Waits (polling every 50 ms) until the condition holds; fails naming what it waited for. */
    static void await(String what, Duration max, BooleanSupplier condition) {
        Await.until(what, max, Duration.ofMillis(50), condition);
    }

    HttpResponse<String> get(URI uri) {
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build());
    }

    /** Calls the admin API. */
    HttpResponse<String> admin(String method, String path, String body) {
        return send(HttpRequest.newBuilder(sandbox.adminEndpoint().resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        autoScaling.close();
        elb.close();
        ec2.close();
        ssm.close();
        rds.close();
        s3.close();
        sandbox.close();
    }
}
