package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;

/** SigV4 checks the SDK clients never trip on their own: presigned URLs, clock skew, tampering, missing auth, routing. */
class SigV4VerifierTest {

    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";
    private static final String CALLER_IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15";

    private EndpointFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new EndpointFixture(users -> List.of(new StsService(users, Map.of())));
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void presignedUrlWorksUntilItExpires() throws Exception {
        SdkHttpRequest presigned = fixture.sign(get(CALLER_IDENTITY), "", "sts", EndpointFixture.ACCESS_KEY,
                EndpointFixture.SECRET_KEY, r -> r
                        .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                        .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, Duration.ofMinutes(2)));
        assertThat(presigned.rawQueryParameters()).containsKey("X-Amz-Signature");

        HttpResponse<String> fresh = fixture.send(presigned, "");
        assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(200);
        assertThat(fresh.body()).contains("<Arn>arn:aws:iam::123456789012:user/deployer</Arn>");

        fixture.clock.advance(Duration.ofMinutes(3));
        HttpResponse<String> expired = fixture.send(presigned, "");
        assertThat(expired.statusCode()).isEqualTo(403);
        assertThat(expired.body()).contains("<Code>SignatureDoesNotMatch</Code><Message>Signature expired");
    }

    @Test
    void signatureFromASkewedClockIsRefused() throws Exception {
        Clock twentyMinutesAgo = Clock.fixed(Instant.now().minus(Duration.ofMinutes(20)), ZoneOffset.UTC);
        SdkHttpRequest signed = fixture.sign(post(), CALLER_IDENTITY, "sts", EndpointFixture.ACCESS_KEY, EndpointFixture.SECRET_KEY,
                r -> r.putProperty(HttpSigner.SIGNING_CLOCK, twentyMinutesAgo));

        HttpResponse<String> response = fixture.send(signed, CALLER_IDENTITY);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("<Code>SignatureDoesNotMatch</Code>").contains("by more than 15 minutes");
    }

    @Test
    void bodyChangedAfterSigningIsRefusedAndNotCounted() throws Exception {
        SdkHttpRequest signed = fixture.sign(post(), CALLER_IDENTITY, "sts", EndpointFixture.ACCESS_KEY, EndpointFixture.SECRET_KEY,
                r -> { });

        HttpResponse<String> response = fixture.send(signed, "Action=AssumeRole&Version=2011-06-15&RoleArn=x");

        assertThat(response.statusCode()).as(response.body() + signed.headers()).isEqualTo(403);
        assertThat(response.body()).contains("<Type>Sender</Type><Code>SignatureDoesNotMatch</Code>");
        assertThat(fixture.counters.snapshot()).isEmpty();
    }

    /** The instance agent signs with curl --aws-sigv4 (7.75+), not an SDK: its signatures must verify as they do at AWS. */
    @Test
    void curlsOwnSigV4SignatureIsAccepted() throws Exception {
        Process curl = new ProcessBuilder("curl", "-sS", "--config", "-", "--aws-sigv4", "aws:amz:" + EndpointFixture.REGION.id() + ":sts",
                "-H", "Content-Type: " + FORM, "--data-binary", CALLER_IDENTITY, "-w", "\n%{http_code}",
                fixture.endpoint.endpoint() + "/").redirectErrorStream(true).start();
        try (OutputStream config = curl.getOutputStream()) {
            config.write(("user = \"" + EndpointFixture.ACCESS_KEY + ":" + EndpointFixture.SECRET_KEY + "\"\n").getBytes());
        }
        String output = new String(curl.getInputStream().readAllBytes());
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).as("curl ends").isTrue();

        assertThat(output).as("curl's response").endsWith("\n200")
                .contains("<Arn>arn:aws:iam::123456789012:user/deployer</Arn>");
    }

    @Test
    void unsignedRequestIsMissingAuthenticationToken() throws Exception {
        HttpResponse<String> response = fixture.send(post(), CALLER_IDENTITY);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("<Code>MissingAuthenticationToken</Code>");
    }

    @Test
    void credentialScopeOfAServiceTheSandboxDoesNotAnswerIsNamed() throws Exception {
        HttpResponse<String> response = fixture.signedPost("lambda", FORM, CALLER_IDENTITY, Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("<Code>UnknownService</Code>").contains("'lambda'").contains("[sts]");
    }

    private SdkHttpRequest get(String query) {
        return SdkHttpRequest.builder().method(SdkHttpMethod.GET).uri(URI.create(fixture.endpoint.endpoint() + "/?" + query)).build();
    }

    private SdkHttpRequest post() {
        return SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(fixture.endpoint.endpoint().resolve("/"))
                .putHeader("Content-Type", FORM).build();
    }

}
