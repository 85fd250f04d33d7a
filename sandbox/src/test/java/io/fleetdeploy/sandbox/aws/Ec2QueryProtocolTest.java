package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Reservation;

/** EC2's Query variant: flattened request lists, item members, no Result wrapper, Response/Errors errors. */
class Ec2QueryProtocolTest {

    private static TestServices.Ec2 service;
    private static EndpointFixture fixture;
    private static Ec2Client ec2;

    @BeforeAll
    static void start() throws Exception {
        service = new TestServices.Ec2();
        fixture = new EndpointFixture(List.of(AwsApi.EC2.service(service)));
        ec2 = fixture.client(Ec2Client.builder());
    }

    @AfterAll
    static void stop() {
        ec2.close();
        fixture.close();
    }

    @Test
    void sdkRequestArrivesWholeAndReservationsComeBack() {
        DescribeInstancesRequest request = DescribeInstancesRequest.builder().instanceIds("i-0aaa", "i-0bbb")
                .filters(Filter.builder().name("tag:fleet:app").values("shop", "shop-canary").build(),
                        Filter.builder().name("instance-state-name").values("running").build())
                .build();

        List<Reservation> reservations = ec2.describeInstances(request).reservations();

        assertThat(reservations).containsExactly(TestServices.reservation());
        assertThat(service.lastRequest.get()).isEqualTo(request);
    }

    @Test
    void awsCliReadsTheSameInstancesAndSendsFlattenedLists() throws Exception {
        AwsCli.Result cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id()).run(fixture.user,
                "ec2", "describe-instances", "--instance-ids", "i-0aaa", "i-0bbb", "--filters", "Name=tag:fleet:app,Values=shop");

        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        assertThat(service.lastRequest.get()).isEqualTo(DescribeInstancesRequest.builder().instanceIds("i-0aaa", "i-0bbb")
                .filters(Filter.builder().name("tag:fleet:app").values("shop").build()).build());
        JsonNode reservation = cli.json().get("Reservations").get(0);
        Reservation expected = TestServices.reservation();
        assertThat(reservation.get("ReservationId").asText()).isEqualTo(expected.reservationId());
        assertThat(reservation.get("Instances")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode instance = reservation.get("Instances").get(i);
            var sdk = expected.instances().get(i);
            assertThat(instance.get("InstanceId").asText()).isEqualTo(sdk.instanceId());
            assertThat(instance.get("State").get("Name").asText()).isEqualTo(sdk.state().nameAsString());
            assertThat(instance.get("State").get("Code").asInt()).isEqualTo(sdk.state().code());
            assertThat(instance.get("Placement").get("AvailabilityZone").asText()).isEqualTo("eu-west-1a");
            assertThat(OffsetDateTime.parse(instance.get("LaunchTime").asText()).toInstant()).isEqualTo(sdk.launchTime());
            assertThat(instance.get("Tags").get(1).get("Value").asText()).isEqualTo(sdk.tags().get(1).value());
        }
    }

    @Test
    void errorsUseEc2sResponseShape() throws Exception {
        HttpResponse<String> response = fixture.signedPost("ec2", "application/x-www-form-urlencoded",
                "Action=DescribeInstances&Version=2016-11-15&MaxResults=lots", Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        String requestId = response.headers().firstValue("x-amzn-RequestId").orElseThrow();
        assertThat(response.body()).endsWith("<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value 'lots' "
                + "for parameter MaxResults is invalid: it must be a whole number</Message></Error></Errors><RequestID>"
                + requestId + "</RequestID></Response>");
    }

    @Test
    void sdkSeesThrottlingAsRequestLimitExceededAndRetries() {
        fixture.faults.throttleNext("ec2.DescribeInstances", 1);
        long before = fixture.counters.get("ec2.DescribeInstances");

        assertThat(ec2.describeInstances().reservations()).hasSize(1);

        assertThat(fixture.counters.get("ec2.DescribeInstances") - before).isEqualTo(2);
        fixture.faults.setThrottleRate("ec2.DescribeInstances", 1.0);
        try {
            assertThatThrownBy(ec2::describeInstances).isInstanceOfSatisfying(Ec2Exception.class, e -> {
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("RequestLimitExceeded");
                assertThat(e.isThrottlingException()).isTrue();
            });
        } finally {
            fixture.faults.clear();
        }
    }
}
