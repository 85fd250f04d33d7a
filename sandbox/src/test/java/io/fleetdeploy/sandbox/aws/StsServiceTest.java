package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;
import software.amazon.awssdk.services.sts.model.StsException;

/** STS through the SDK (incl. its assume-role credentials provider) and the AWS CLI; temporary credentials at the endpoint. */
class StsServiceTest {

    private static final String ROLE = "arn:aws:iam::210987654321:role/deploy/FleetDeployer";
    private static final String GUARDED_ROLE = "arn:aws:iam::210987654321:role/Guarded";

    private EndpointFixture fixture;
    private StsClient sts;
    private AutoScalingClient autoScaling;

    @BeforeEach
    void start() throws Exception {
        fixture = new EndpointFixture(users -> List.of(new StsService(users, Map.of(GUARDED_ROLE, "ticket-42")),
                AwsApi.AUTO_SCALING.service(new TestAutoScalingService())));
        sts = fixture.client(StsClient.builder());
    }

    @AfterEach
    void stop() {
        sts.close();
        if (autoScaling != null) {
            autoScaling.close();
        }
        fixture.close();
    }

    @Test
    void callerIdentityOfAUser() {
        GetCallerIdentityResponse identity = sts.getCallerIdentity();

        assertThat(identity.account()).isEqualTo(EndpointFixture.ACCOUNT);
        assertThat(identity.arn()).isEqualTo("arn:aws:iam::123456789012:user/deployer");
        assertThat(identity.userId()).isEqualTo(fixture.user.userId()).startsWith("AIDA");
    }

    @Test
    void assumedRoleCredentialsWorkAtTheEndpointUntilTheyExpire() {
        AssumeRoleResponse assumed = sts.assumeRole(r -> r.roleArn(ROLE).roleSessionName("release-7").durationSeconds(900));

        assertThat(assumed.assumedRoleUser().arn()).isEqualTo("arn:aws:sts::210987654321:assumed-role/FleetDeployer/release-7");
        assertThat(assumed.credentials().expiration())
                .isEqualTo(fixture.clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(900));
        AwsSessionCredentials session = AwsSessionCredentials.create(assumed.credentials().accessKeyId(),
                assumed.credentials().secretAccessKey(), assumed.credentials().sessionToken());
        try (StsClient asRole = fixture.client(StsClient.builder(), session)) {
            GetCallerIdentityResponse identity = asRole.getCallerIdentity();
            assertThat(identity.arn()).isEqualTo(assumed.assumedRoleUser().arn());
            assertThat(identity.account()).isEqualTo("210987654321");
            assertThat(identity.userId()).isEqualTo(assumed.assumedRoleUser().assumedRoleId()).endsWith(":release-7");
        }
        autoScaling = fixture.client(AutoScalingClient.builder(), session);
        assertThat(autoScaling.describeAutoScalingGroups().autoScalingGroups()).isNotEmpty();

        fixture.clock.advance(Duration.ofSeconds(901));
        assertThatThrownBy(() -> autoScaling.describeAutoScalingGroups()).isInstanceOfSatisfying(AutoScalingException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ExpiredToken");
        });
    }

    @Test
    void temporaryKeyWithoutItsSessionTokenIsRefused() {
        AssumeRoleResponse assumed = sts.assumeRole(r -> r.roleArn(ROLE).roleSessionName("s1"));
        AwsSessionCredentials forged = AwsSessionCredentials.create(assumed.credentials().accessKeyId(),
                assumed.credentials().secretAccessKey(), assumed.credentials().sessionToken() + "x");

        try (StsClient client = fixture.client(StsClient.builder(), forged)) {
            assertThatThrownBy(client::getCallerIdentity).isInstanceOfSatisfying(StsException.class,
                    e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidClientTokenId"));
        }
    }

    @Test
    void sdkAssumeRoleCredentialsProviderDrivesOtherClients() {
        try (StsAssumeRoleCredentialsProvider provider = StsAssumeRoleCredentialsProvider.builder().stsClient(sts)
                .refreshRequest(r -> r.roleArn(GUARDED_ROLE).roleSessionName("pipeline").externalId("ticket-42")).build()) {
            autoScaling = AutoScalingClient.builder().endpointOverride(fixture.endpoint.endpoint()).region(EndpointFixture.REGION)
                    .credentialsProvider(provider).build();
            assertThat(autoScaling.describeAutoScalingGroups().autoScalingGroups()).isNotEmpty();
        }
        assertThat(fixture.counters.snapshot()).containsEntry("sts.AssumeRole", 1L).containsEntry("autoscaling.DescribeAutoScalingGroups", 1L);
    }

    @Test
    void guardedRoleNeedsItsExternalIdAndDurationIsBounded() {
        assertThatThrownBy(() -> sts.assumeRole(r -> r.roleArn(GUARDED_ROLE).roleSessionName("s1").externalId("wrong-id")))
                .isInstanceOfSatisfying(StsException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("User: arn:aws:iam::123456789012:user/deployer "
                            + "is not authorized to perform: sts:AssumeRole on resource: " + GUARDED_ROLE);
                });
        assertThatThrownBy(() -> sts.assumeRole(r -> r.roleArn(ROLE).roleSessionName("s1").durationSeconds(899)))
                .isInstanceOfSatisfying(StsException.class, e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationError"));
        assertThatThrownBy(() -> sts.assumeRole(r -> r.roleArn("arn:aws:iam::1:role/x").roleSessionName("s1")))
                .isInstanceOfSatisfying(StsException.class, e -> assertThat(e.awsErrorDetails().errorMessage())
                        .startsWith("1 validation error detected: Value 'arn:aws:iam::1:role/x' at 'roleArn'"));
        assertThat(fixture.users.users()).hasSize(1);
    }

    @Test
    void awsCliAssumesARoleAndUsesItsSessionToken() throws Exception {
        AwsCli cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id());

        AwsCli.Result assumed = cli.run(fixture.user, "sts", "assume-role", "--role-arn", GUARDED_ROLE,
                "--role-session-name", "cli-session", "--external-id", "ticket-42", "--duration-seconds", "1800");
        assertThat(assumed.exitCode()).as(assumed.stderr()).isZero();
        JsonNode credentials = assumed.json().get("Credentials");
        Credential issued = fixture.users.find(credentials.get("AccessKeyId").asText()).orElseThrow();
        assertThat(OffsetDateTime.parse(credentials.get("Expiration").asText()).toInstant()).isEqualTo(issued.expiration().orElseThrow());

        AwsCli.Result identity = cli.run(issued, "sts", "get-caller-identity");
        assertThat(identity.exitCode()).as(identity.stderr()).isZero();
        assertThat(identity.json().get("Arn").asText()).isEqualTo("arn:aws:sts::210987654321:assumed-role/Guarded/cli-session");
        assertThat(identity.json().get("Account").asText()).isEqualTo("210987654321");
    }
}
