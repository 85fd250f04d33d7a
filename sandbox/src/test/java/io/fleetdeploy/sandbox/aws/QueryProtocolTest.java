package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.SetDesiredCapacityRequest;

/** The Query protocol (Auto Scaling) as the AWS SDK for Java v2 and the AWS CLI speak it, faults included. */
class QueryProtocolTest {

    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";

    private static TestAutoScalingService service;
    private static EndpointFixture fixture;
    private static AutoScalingClient autoScaling;

    @BeforeAll
    static void start() throws Exception {
        service = new TestAutoScalingService();
        fixture = new EndpointFixture(List.of(AwsApi.AUTO_SCALING.service(service)));
        autoScaling = fixture.client(AutoScalingClient.builder());
    }

    @AfterAll
    static void stop() {
        autoScaling.close();
        fixture.close();
    }

    @BeforeEach
    void clean() {
        fixture.faults.clear();
        fixture.counters.reset();
    }

    @Test
    void sdkReadsNestedGroupsAcrossPagesAndItsRequestArrivesWhole() {
        List<AutoScalingGroup> groups = autoScaling.describeAutoScalingGroupsPaginator(r -> r
                .autoScalingGroupNames("web-blue", "web-green & <co>").maxRecords(50)).autoScalingGroups().stream().toList();

        assertThat(groups).containsExactly(TestAutoScalingService.group("web-blue", 2),
                TestAutoScalingService.group("web-green & <co>", 1));
        assertThat(service.lastRequest.get()).isEqualTo(DescribeAutoScalingGroupsRequest.builder()
                .autoScalingGroupNames("web-blue", "web-green & <co>").maxRecords(50).nextToken("page-2").build());
        assertThat(fixture.counters.snapshot()).containsExactly(Map.entry("autoscaling.DescribeAutoScalingGroups", 2L));
    }

    @Test
    void actionWithoutOutputAnswersAndScalarsArrive() {
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web-blue").desiredCapacity(3).honorCooldown(true));

        assertThat(service.lastRequest.get()).isEqualTo(SetDesiredCapacityRequest.builder()
                .autoScalingGroupName("web-blue").desiredCapacity(3).honorCooldown(true).build());
    }

    @Test
    void serviceErrorReachesTheSdkWithCodeMessageStatusAndRequestId() {
        assertThatThrownBy(() -> autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("nope").desiredCapacity(1)))
                .isInstanceOfSatisfying(AutoScalingException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("AutoScalingGroup name not found - nope");
                    assertThat(e.requestId()).matches("[0-9a-f-]{36}");
                });
    }

    @Test
    void awsCliReadsTheSameGroupsAsTheSdkAcrossPages() throws Exception {
        List<AutoScalingGroup> sdkGroups = autoScaling.describeAutoScalingGroupsPaginator(r -> { }).autoScalingGroups().stream().toList();

        AwsCli.Result cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id())
                .run(fixture.user, "autoscaling", "describe-auto-scaling-groups");

        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        JsonNode cliGroups = cli.json().get("AutoScalingGroups");
        assertThat(cliGroups).hasSize(sdkGroups.size());
        for (int i = 0; i < sdkGroups.size(); i++) {
            AutoScalingGroup sdk = sdkGroups.get(i);
            JsonNode json = cliGroups.get(i);
            assertThat(json.get("AutoScalingGroupName").asText()).isEqualTo(sdk.autoScalingGroupName());
            assertThat(json.get("DesiredCapacity").asInt()).isEqualTo(sdk.desiredCapacity());
            assertThat(json.get("MaxSize").asInt()).isEqualTo(sdk.maxSize());
            assertThat(OffsetDateTime.parse(json.get("CreatedTime").asText()).toInstant()).isEqualTo(sdk.createdTime());
            assertThat(json.get("AvailabilityZones")).extracting(JsonNode::asText).containsExactlyElementsOf(sdk.availabilityZones());
            assertThat(json.get("LoadBalancerNames")).isEmpty();
            assertThat(json.get("Instances")).hasSize(sdk.instances().size());
            for (int j = 0; j < sdk.instances().size(); j++) {
                JsonNode instance = json.get("Instances").get(j);
                assertThat(instance.get("InstanceId").asText()).isEqualTo(sdk.instances().get(j).instanceId());
                assertThat(instance.get("LifecycleState").asText()).isEqualTo(sdk.instances().get(j).lifecycleStateAsString());
                assertThat(instance.get("ProtectedFromScaleIn").asBoolean()).isEqualTo(sdk.instances().get(j).protectedFromScaleIn());
            }
            JsonNode tag = json.get("Tags").get(0);
            assertThat(tag.get("Key").asText()).isEqualTo(sdk.tags().get(0).key());
            assertThat(tag.get("Value").asText()).isEqualTo(sdk.tags().get(0).value());
            assertThat(tag.get("PropagateAtLaunch").asBoolean()).isTrue();
            assertThat(json.get("SuspendedProcesses").get(0).get("ProcessName").asText()).isEqualTo("AZRebalance");
        }
        assertThat(cliGroups.get(1).get("AutoScalingGroupName").asText()).isEqualTo("web-green & <co>");
    }

    @Test
    void awsCliSendsParametersAndReportsTheErrorCode() throws Exception {
        AwsCli cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id());

        AwsCli.Result ok = cli.run(fixture.user, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "web-x",
                "--desired-capacity", "4", "--no-honor-cooldown");
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(service.lastRequest.get()).isEqualTo(SetDesiredCapacityRequest.builder()
                .autoScalingGroupName("web-x").desiredCapacity(4).honorCooldown(false).build());

        AwsCli.Result failed = cli.run(fixture.user, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "nope",
                "--desired-capacity", "1");
        assertThat(failed.exitCode()).isNotZero();
        assertThat(failed.stderr()).contains("(ValidationError)").contains("AutoScalingGroup name not found - nope");
    }

    @Test
    void malformedNumberIsAValidationErrorInQueryShape() throws Exception {
        HttpResponse<String> response = fixture.signedPost("autoscaling", FORM,
                "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=web-a&DesiredCapacity=three", Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        String requestId = response.headers().firstValue("x-amzn-RequestId").orElseThrow();
        assertThat(response.body()).contains("<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error>"
                + "<Type>Sender</Type><Code>ValidationError</Code><Message>Value 'three' for parameter DesiredCapacity is invalid: it must be a whole number</Message>")
                .endsWith("<RequestId>" + requestId + "</RequestId></ErrorResponse>");
    }

    @Test
    void unknownActionIsInvalidActionAndIsNotCounted() throws Exception {
        HttpResponse<String> response = fixture.signedPost("autoscaling", FORM, "Action=LaunchRockets&Version=2011-01-01", Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("<Code>InvalidAction</Code>");
        assertThat(fixture.counters.snapshot()).isEmpty();
    }

    @Test
    void wrongSecretAndUnknownKeyAreRefusedBeforeTheServiceIsCalled() {
        service.lastRequest.set(null);
        try (AutoScalingClient wrongSecret = fixture.client(AutoScalingClient.builder(),
                AwsBasicCredentials.create(EndpointFixture.ACCESS_KEY, "not-the-secret-0000"));
             AutoScalingClient unknownKey = fixture.client(AutoScalingClient.builder(),
                     AwsBasicCredentials.create("AKIAUNKNOWN000000000", EndpointFixture.SECRET_KEY))) {
            assertThatThrownBy(() -> wrongSecret.setDesiredCapacity(r -> r.autoScalingGroupName("web-a").desiredCapacity(1)))
                    .isInstanceOfSatisfying(AutoScalingException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
                    });
            assertThatThrownBy(() -> unknownKey.setDesiredCapacity(r -> r.autoScalingGroupName("web-a").desiredCapacity(1)))
                    .isInstanceOfSatisfying(AutoScalingException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidClientTokenId");
                    });
        }
        assertThat(service.lastRequest.get()).isNull();
        assertThat(fixture.counters.snapshot()).isEmpty();
    }

    @Test
    void throttledCallsAreRetriedBySdkAndCounted() {
        fixture.faults.throttleNext("autoscaling.SetDesiredCapacity", 2);

        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web-blue").desiredCapacity(2));

        assertThat(fixture.counters.get("autoscaling.SetDesiredCapacity")).isEqualTo(3);
    }

    @Test
    void permanentThrottlingFailsAfterTheSdksAttemptsWithThrottling() {
        fixture.faults.setThrottleRate(1.0);

        assertThatThrownBy(() -> autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web-blue").desiredCapacity(2)))
                .isInstanceOfSatisfying(AutoScalingException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("Throttling");
                    assertThat(e.isThrottlingException()).isTrue();
                });
        assertThat(fixture.counters.get("autoscaling.SetDesiredCapacity")).isEqualTo(3);
    }

    @Test
    void serverErrorsAreRetriedAndPermanentOnesSurfaceAsInternalFailure() {
        fixture.faults.failNext("autoscaling.SetDesiredCapacity", 1);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web-blue").desiredCapacity(2));
        assertThat(fixture.counters.get("autoscaling.SetDesiredCapacity")).isEqualTo(2);

        fixture.faults.setServerErrorRate("autoscaling.SetDesiredCapacity", 1.0);
        assertThatThrownBy(() -> autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web-blue").desiredCapacity(2)))
                .isInstanceOfSatisfying(AutoScalingException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(500);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InternalFailure");
                });
        // Other actions are untouched by a per-action fault.
        assertThat(autoScaling.describeAutoScalingGroups().autoScalingGroups()).isNotEmpty();
    }

    @Test
    void serviceAnsweringWithTheWrongResponseTypeIsAnInternalFailureNotAWrongAnswer() throws Exception {
        try (EndpointFixture broken = new EndpointFixture(List.of(AwsApi.AUTO_SCALING.service((action, request, context) ->
                software.amazon.awssdk.services.autoscaling.model.DescribeTagsResponse.builder().build())))) {
            HttpResponse<String> response = broken.signedPost("autoscaling", FORM,
                    "Action=DescribeAutoScalingGroups&Version=2011-01-01", Map.of());

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("<Type>Receiver</Type><Code>InternalFailure</Code>");
        }
    }

    @Test
    void addedLatencyDelaysTheAnswer() {
        fixture.faults.setLatency("autoscaling.SetDesiredCapacity", Duration.ofMillis(400));

        Instant before = Instant.now();
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web-blue").desiredCapacity(2));

        assertThat(Duration.between(before, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }
}
