package io.fleetdeploy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetdeploy.sandbox.aws.Faults;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.DefaultRetryStrategy;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** API faults switched at run time through the admin API, and the call counters it reads, seen by SDK clients. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiFaultsTest {

    private SandboxFixture fixture;
    private AutoScalingClient noRetries;
    private SsmClient ssmNoRetries;
    private final ObjectMapper json = new ObjectMapper();
    private Faults.Settings atStart;

    @BeforeAll
    void start() {
        fixture = new SandboxFixture("""
                "groups": [{"name": "web", "app": "shop", "minSize": 0, "maxSize": 2, "desiredCapacity": 0}],
                "parameters": [{"name": "/shop/flag", "value": "on"}],
                "faults": {"latencyMillis": 5}
                """);
        atStart = fixture.sandbox.faults().settings();
        noRetries = withoutRetries(AutoScalingClient.builder());
        ssmNoRetries = withoutRetries(SsmClient.builder());
    }

    @AfterEach
    void clearFaults() {
        assertThat(fixture.admin("DELETE", "/faults", null).statusCode()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        noRetries.close();
        ssmNoRetries.close();
        fixture.close();
    }

    @Test
    void faultsFromTheConfigAreInForceAtStart() {
        assertThat(atStart.latencies()).containsEntry("*", Duration.ofMillis(5));
        assertThat(atStart.throttleRates().getOrDefault("*", 0.0)).isZero();
    }

    @Test
    void throttlingAtRateOneAnswersThrottlingUntilCleared() throws Exception {
        HttpResponse<String> set = fixture.admin("PUT", "/faults/api", "{\"throttleRate\": 1.0}");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(json.readTree(set.body()).get("throttleRates").get("*").asDouble()).isEqualTo(1.0);

        assertThatThrownBy(() -> noRetries.describeAutoScalingGroups()).isInstanceOf(AutoScalingException.class)
                .satisfies(e -> assertThat(((AutoScalingException) e).awsErrorDetails().errorCode()).isEqualTo("Throttling"));
        assertThatThrownBy(() -> ssmNoRetries.getParameter(r -> r.name("/shop/flag"))).isInstanceOf(SsmException.class)
                .satisfies(e -> assertThat(((SsmException) e).awsErrorDetails().errorCode()).isEqualTo("ThrottlingException"));

        fixture.admin("PUT", "/faults/api", "{\"throttleRate\": 0}");
        assertThat(noRetries.describeAutoScalingGroups().autoScalingGroups()).hasSize(1);
    }

    @Test
    void serverErrorsAtRateOneAnswer5xxAndAFaultCanAimAtOneAction() {
        fixture.admin("PUT", "/faults/api", "{\"serverErrorRate\": 1.0, \"action\": \"autoscaling.DescribeAutoScalingGroups\"}");
        assertThatThrownBy(() -> noRetries.describeAutoScalingGroups()).isInstanceOf(SdkServiceException.class)
                .satisfies(e -> assertThat(((SdkServiceException) e).statusCode()).isGreaterThanOrEqualTo(500));
        assertThat(noRetries.describeTags().tags()).as("another action is not affected").isEmpty();
        assertThat(ssmNoRetries.getParameter(r -> r.name("/shop/flag")).parameter().value()).isEqualTo("on");
    }

    @Test
    void latencyDelaysEveryCall() {
        fixture.admin("PUT", "/faults/api", "{\"latencyMillis\": 400}");
        long started = System.nanoTime();
        noRetries.describeAutoScalingGroups();
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(tookMillis).as("a call with 400 ms of added latency").isGreaterThanOrEqualTo(400);
    }

    @Test
    void badAdminRequestsChangeNothing() throws Exception {
        HttpResponse<String> refused = fixture.admin("PUT", "/faults/api", "{\"throttleRate\": 3}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("throttleRate must be a number from 0 to 1; nothing was changed.");
        assertThat(json.readTree(fixture.admin("GET", "/faults", null).body()).get("throttleRates").path("*").asDouble(0))
                .isZero();
        assertThat(fixture.admin("PUT", "/faults/api", "not json").statusCode()).isEqualTo(400);
        assertThat(fixture.admin("GET", "/nothing-here", null).statusCode()).isEqualTo(404);
    }

    @Test
    void countersCountEveryCallPerServiceAndActionIncludingFaultedOnes() throws Exception {
        fixture.admin("DELETE", "/counters", null);
        fixture.admin("PUT", "/faults/api", "{\"throttleRate\": 1.0, \"action\": \"ssm.GetParameter\"}");
        noRetries.describeAutoScalingGroups();
        noRetries.describeAutoScalingGroups();
        assertThatThrownBy(() -> ssmNoRetries.getParameter(r -> r.name("/shop/flag"))).isInstanceOf(SsmException.class);

        JsonNode counters = json.readTree(fixture.admin("GET", "/counters", null).body());
        assertThat(counters.get("autoscaling.DescribeAutoScalingGroups").asLong()).isEqualTo(2);
        assertThat(counters.get("ssm.GetParameter").asLong()).isEqualTo(1);
        assertThat(fixture.sandbox.counters().get("autoscaling.DescribeAutoScalingGroups")).isEqualTo(2);

        fixture.admin("DELETE", "/counters", null);
        assertThat(json.readTree(fixture.admin("GET", "/counters", null).body()).size()).isZero();
    }

    private <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>, C> C withoutRetries(B builder) {
        return builder.endpointOverride(fixture.sandbox.awsEndpoint()).region(Region.of(fixture.sandbox.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        SandboxFixture.ACCESS_KEY, SandboxFixture.SECRET_KEY)))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(DefaultRetryStrategy.doNotRetry()).build())
                .build();
    }
}
