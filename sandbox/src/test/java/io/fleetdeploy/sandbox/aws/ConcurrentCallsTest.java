package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;

/** Many clients at once share the endpoint's bounded worker pool; every call is answered and counted once. */
class ConcurrentCallsTest {

    @Test
    void parallelCallsWithLatencyAreAllAnsweredAndCounted() throws Exception {
        try (EndpointFixture fixture = new EndpointFixture(List.of(AwsApi.AUTO_SCALING.service(new TestAutoScalingService())));
             AutoScalingClient autoScaling = fixture.client(AutoScalingClient.builder())) {
            fixture.faults.setLatency(Duration.ofMillis(100));
            ExecutorService callers = Executors.newFixedThreadPool(24);
            try {
                List<Future<Integer>> calls = new ArrayList<>();
                for (int i = 0; i < 96; i++) {
                    calls.add(callers.submit(() -> autoScaling.describeAutoScalingGroups().autoScalingGroups().size()));
                }
                for (Future<Integer> call : calls) {
                    assertThat(call.get(60, TimeUnit.SECONDS)).isEqualTo(1);
                }
            } finally {
                callers.shutdownNow();
            }
            assertThat(fixture.counters.get("autoscaling.DescribeAutoScalingGroups")).isEqualTo(96);
        }
    }
}
