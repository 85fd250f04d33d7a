package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.Await;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;

class SandboxCommandTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void upStartsTheDefaultSandboxPrintsHowToReachItAndStopsCleanly() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger exitCode = new AtomicInteger(-1);
        Thread running = new Thread(() -> exitCode.set(FleetDeployCli.run(new PrintWriter(out, true),
                new PrintWriter(err, true), "sandbox", "up")), "sandbox-up");
        running.start();
        try {
            Await.until("the sandbox prints that it is up (stderr: " + err + ")", Duration.ofSeconds(180),
                    () -> out.toString().contains("  Try: aws"));
            String printed = out.toString();
            URI aws = URI.create(find(printed, "AWS endpoint:\\s+(\\S+)"));
            String accessKey = find(printed, "AWS_ACCESS_KEY_ID=(\\S+)");
            String secretKey = find(printed, "AWS_SECRET_ACCESS_KEY=(\\S+)");
            assertThat(find(printed, "Region:\\s+(\\S+)")).isEqualTo("us-east-1");
            assertThat(find(printed, "S3 endpoint:\\s+(\\S+)")).startsWith("http://127.0.0.1:");
            assertThat(find(printed, "Database shop-db:\\s+(\\S+)")).startsWith("jdbc:postgresql://");
            assertThat(printed).doesNotContain("sandbox-db-password");
            try (AutoScalingClient autoScaling = AutoScalingClient.builder().endpointOverride(aws).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                    .build()) {
                AutoScalingGroup group = autoScaling.describeAutoScalingGroups().autoScalingGroups().get(0);
                assertThat(group.autoScalingGroupName()).isEqualTo("shop-web");
                assertThat(group.desiredCapacity()).isEqualTo(3);
            }
            URI listener = URI.create(find(printed, "Listener shop:80:\\s+(\\S+)"));
            // No release is published yet: the listener answers, with no healthy target to send to.
            assertThat(http.send(HttpRequest.newBuilder(listener).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(503);

            running.interrupt();
            running.join(Duration.ofSeconds(60).toMillis());
            assertThat(running.isAlive()).as("sandbox up returned after the interrupt").isFalse();
            assertThat(exitCode.get()).isZero();
            assertThat(out.toString()).contains("fleet-deploy sandbox stopped; everything it started was closed.");
            assertThat(refusesConnections(aws)).as("the AWS endpoint is closed").isTrue();
            assertThat(refusesConnections(listener)).as("the listener is closed").isTrue();
        } finally {
            running.interrupt();
            running.join(Duration.ofSeconds(60).toMillis());
        }
    }

    @Test
    void aConfigWithMistakesIsRefusedBeforeAnythingStarts(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("sandbox.json"), """
                {"users": [{"name": "ci", "accessKeyId": "AKIATESTTESTTEST0001", "secretAccessKey": "secretsecretsecret01"}],
                 "groups": [{"name": "web", "app": "shop", "minSize": 2, "maxSize": 1, "targetGroups": ["nope"]}]}
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = FleetDeployCli.run(new PrintWriter(out), new PrintWriter(err), "sandbox", "up", "--config", config.toString());

        assertThat(code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(err.toString()).contains("has 2 mistakes; nothing was started")
                .contains("groups[0].maxSize: 1 is below minSize 2")
                .contains("groups[0].targetGroups[0]: no target group named 'nope' in targetGroups")
                .doesNotContain("secretsecretsecret01");
        assertThat(out.toString()).doesNotContain("is up");
    }

    private boolean refusesConnections(URI uri) throws InterruptedException {
        try {
            http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return e.getCause() instanceof ConnectException;
        }
    }

    private static String find(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        assertThat(matcher.find()).as("output has " + regex + ":\n" + text).isTrue();
        return matcher.group(1);
    }
}
