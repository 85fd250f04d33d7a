package io.fleetdeploy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The curl client's own concerns: credentials from the instance role through IMDSv2 (the usual case
 * on an instance), secrets kept out of every argv and file, and its failures, each leaving current as
 * it was. The behaviour both clients share is tested through both in the other classes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentCurlTest {

    @RegisterExtension
    static final S3Endpoint s3 = new S3Endpoint();

    private AgentHarness instance(Path root) throws Exception {
        return new AgentHarness(s3, root, List.of("sh"), s3.newBucket("curl"), "deploy", "i-curl");
    }

    /** As on an instance: no AWS_* keys or region in the environment, only the metadata service. */
    private static AgentHarness onlyInstanceMetadata(AgentHarness agent, String imdsEndpoint) {
        return agent.env("AWS_ACCESS_KEY_ID", null).env("AWS_SECRET_ACCESS_KEY", null).env("AWS_DEFAULT_REGION", null)
                .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imdsEndpoint);
    }

    /** An installed 1.0 and a published 2.0: the state every failure below must leave unchanged. */
    private static void installOneAndPublishTwo(AgentHarness agent) throws Exception {
        agent.publish(Release.of("1.0"));
        agent.publish(Release.of("2.0").withLoggingHooks());
        agent.s3Client("curl").run("install", "1.0").assertSucceeded();
        agent.forgetS3Calls();
    }

    private static void assertNothingChanged(AgentHarness agent) throws IOException {
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.releasesOnDisk()).containsExactly("1.0");
        assertThat(agent.hookLog()).as("no hook ran").isEmpty();
        assertThat(agent.leftovers()).isEmpty();
        assertThat(agent.status().get("version").asText()).as("the status still reports 1.0").isEqualTo("1.0");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void installsWithTheInstanceRoleCredentialsFromImdsV2AndNoSecretInAnyArgvOrFile(@TempDir Path root) throws Exception {
        try (FakeInstanceMetadata imds = new FakeInstanceMetadata(S3Endpoint.REGION)) {
            s3.allow(imds.accessKeyId(), imds.secretAccessKey());
            AgentHarness agent = onlyInstanceMetadata(instance(root), imds.endpoint()).s3Client("auto")
                    .expectSessionToken(imds.sessionToken()).secret(imds.secretAccessKey()).secret(imds.imdsToken());
            String sha = agent.publish(Release.of("1.0").withLoggingHooks());

            AgentHarness.Result result = agent.run("install", "1.0");

            result.assertSucceeded(); // also: no secret in its output or in any argv (AgentHarness.finish)
            assertThat(agent.current()).isEqualTo("1.0");
            assertThat(agent.status().get("sha256").asText()).isEqualTo(sha);
            agent.assertS3CallsMadeBy("auto");
            assertThat(agent.rawCalls()).as("every signed request carried the role's session token")
                    .contains("session token: sent").doesNotContain("session token: missing");
            assertThat(imds.requests()).as("IMDSv2: a token first, then every read with it")
                    .containsExactly("PUT /latest/api/token (no token)",
                            "GET /latest/meta-data/iam/security-credentials/ (token)",
                            "GET /latest/meta-data/iam/security-credentials/" + FakeInstanceMetadata.ROLE + " (token)",
                            "GET /latest/meta-data/placement/region (token)");
            agent.assertNoSecretOnDisk();
            assertThat(agent.leftovers()).isEmpty();
        }
    }

    @Test
    void aRefusedSignatureFailsNamingTheOperationAndS3sCodeAndInstallsNothing(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        installOneAndPublishTwo(agent);
        String wrongSecret = "wrong-secret-" + UUID.randomUUID();

        AgentHarness.Result result = agent.secret(wrongSecret).env("AWS_SECRET_ACCESS_KEY", wrongSecret).run("install", "2.0");

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.lastErrorLine()).startsWith("fleet-agent: could not read the manifest s3://")
                .contains("(SignatureDoesNotMatch) when calling the GetObject operation: HTTP 403",
                        "nothing was installed, current still points at 1.0");
        assertThat(agent.s3Calls()).singleElement().satisfies(call -> assertThat(call).startsWith("curl get-object"));
        assertNothingChanged(agent);
    }

    @Test
    void anUnreachableEndpointFailsWithinTheRetriesAndInstallsNothing(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        installOneAndPublishTwo(agent);

        AgentHarness.Result result = agent.env("FLEET_S3_ENDPOINT", "http://127.0.0.1:" + closedPort()).run("install", "2.0");

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.lastErrorLine()).contains("could not read the manifest",
                "Could not complete the GetObject request to S3 (curl exit 7:", "current still points at 1.0");
        agent.env("FLEET_S3_ENDPOINT", s3.endpoint().toString());
        assertNothingChanged(agent);
    }

    /** What a faulty S3 answers to every request: a raw HTTP response, or nothing at all (connection closed). */
    static Stream<Arguments> transientFaults() {
        String slowDown = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                + "<Message>Please reduce your request rate.</Message><RequestId>R1</RequestId></Error>";
        return Stream.of(
                Arguments.of("503 SlowDown", "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                        + slowDown.length() + "\r\nConnection: close\r\n\r\n" + slowDown,
                        "An error occurred (SlowDown) when calling the GetObject operation: HTTP 503"),
                Arguments.of("closed without a reply", "",
                        "Could not complete the GetObject request to S3 (curl exit 52: Empty reply from server)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transientFaults")
    void aTransientFaultIsRetriedLikeTheCliThenFailsSayingWhatAndInstallsNothing(String fault, String response,
            String message, @TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        installOneAndPublishTwo(agent);
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket faulty = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> answerEveryRequest(faulty, response, requests), "faulty-s3");
            server.setDaemon(true);
            server.start();

            AgentHarness.Result result = agent.env("FLEET_S3_ENDPOINT", "http://127.0.0.1:" + faulty.getLocalPort())
                    .run("install", "2.0");

            assertThat(result.exitCode()).isEqualTo(3);
            assertThat(result.lastErrorLine()).contains("could not read the manifest", message, "current still points at 1.0");
            assertThat(requests.get()).as("3 attempts, as the AWS CLI's standard retry mode makes").isEqualTo(3);
        }
        agent.env("FLEET_S3_ENDPOINT", s3.endpoint().toString());
        assertNothingChanged(agent);
    }

    /** Reads each request's head and answers it with {@code response} (empty: none), then closes; until the socket closes. */
    private static void answerEveryRequest(ServerSocket server, String response, AtomicInteger requests) {
        while (!server.isClosed()) {
            try (Socket connection = server.accept()) {
                BufferedReader head = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.ISO_8859_1));
                for (String line = head.readLine(); line != null && !line.isEmpty(); line = head.readLine()) {
                    // the request's head; a GetObject has no body
                }
                requests.incrementAndGet();
                connection.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Test
    void aCurlWithoutSigV4LeavesItToTheAwsCliAndIsRefusedWhenAskedFor(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root).curlReportingVersion("7.68.0");
        agent.publish(Release.of("1.0"));

        AgentHarness.Result refused = agent.s3Client("curl").run("install", "1.0");

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.lastErrorLine()).isEqualTo("fleet-agent: FLEET_S3_CLIENT=curl, but curl is older than 7.75 "
                + "(no --aws-sigv4); nothing was changed, no release is current");
        assertThat(agent.current()).isNull();

        agent.s3Client("auto").run("install", "1.0").assertSucceeded();

        agent.assertS3CallsMadeBy("cli");
        assertThat(agent.current()).isEqualTo("1.0");
    }

    @Test
    void withoutTheMetadataServiceCurlFailsClearlyAndAutoLeavesItToTheAwsCli(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root);
        installOneAndPublishTwo(agent);
        String unreachable = "http://127.0.0.1:" + closedPort();
        // with the slash, as the AWS CLI wants it (it appends "latest/api/token"); the agent takes either
        onlyInstanceMetadata(agent, unreachable + "/");

        AgentHarness.Result curl = agent.s3Client("curl").run("install", "2.0");

        assertThat(curl.exitCode()).isEqualTo(3);
        assertThat(curl.lastErrorLine()).isEqualTo("fleet-agent: FLEET_S3_CLIENT=curl, but the instance metadata service at "
                + unreachable + " did not answer the token request (HTTP 000); nothing was changed, current still points at 1.0");
        assertThat(agent.s3Calls()).isEmpty();

        AgentHarness.Result auto = agent.s3Client("auto").run("install", "2.0");

        assertThat(auto.stderr()).contains("fleet-agent: using the AWS CLI: the instance metadata service at " + unreachable);
        assertThat(auto.exitCode()).as("the AWS CLI finds no credentials either").isEqualTo(3);
        assertThat(auto.lastErrorLine()).contains("could not read the manifest", "Unable to locate credentials",
                "current still points at 1.0");
        assertThat(agent.s3Calls()).singleElement().satisfies(call -> assertThat(call).startsWith("--endpoint-url"));
        agent.env("AWS_ACCESS_KEY_ID", s3.accessKey()).env("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        assertNothingChanged(agent);
    }

    @Test
    void aMetadataServiceThatIsDisabledIsNotAskedAndAutoUsesTheAwsCli(@TempDir Path root) throws Exception {
        try (FakeInstanceMetadata imds = new FakeInstanceMetadata(S3Endpoint.REGION)) {
            AgentHarness agent = instance(root);
            installOneAndPublishTwo(agent);
            onlyInstanceMetadata(agent, imds.endpoint()).env("AWS_EC2_METADATA_DISABLED", "true");

            AgentHarness.Result result = agent.s3Client("curl").run("install", "2.0");

            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.lastErrorLine()).isEqualTo("fleet-agent: FLEET_S3_CLIENT=curl, but AWS_EC2_METADATA_DISABLED "
                    + "is true, so no instance role credentials; nothing was changed, current still points at 1.0");
            assertThat(imds.requests()).isEmpty();
            agent.env("AWS_ACCESS_KEY_ID", s3.accessKey()).env("AWS_SECRET_ACCESS_KEY", s3.secretKey());
            assertNothingChanged(agent);
        }
    }
}
