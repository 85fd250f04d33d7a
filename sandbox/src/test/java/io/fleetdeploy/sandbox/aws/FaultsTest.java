package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The fault settings' pure logic: precedence, rates, exact counts and input checks. */
class FaultsTest {

    private static final String ACTION = "autoscaling.DescribeAutoScalingGroups";

    private final Faults faults = new Faults(new SplittableRandom(7));

    @Test
    void perActionSettingWinsOverTheGlobalOneEvenWhenZero() {
        faults.setThrottleRate(1.0);
        faults.setThrottleRate(ACTION, 0.0);
        faults.setLatency(Duration.ofMillis(50));
        faults.setLatency(ACTION, Duration.ZERO);

        assertThat(faults.decide("ssm.SendCommand")).contains(Faults.Fault.THROTTLING);
        assertThat(faults.decide(ACTION)).isEmpty();
        assertThat(faults.latencyFor("ssm.SendCommand")).isEqualTo(Duration.ofMillis(50));
        assertThat(faults.latencyFor(ACTION)).isZero();

        faults.setThrottleRate(0.0);
        assertThat(faults.decide("ssm.SendCommand")).isEmpty();
    }

    @Test
    void rateHitsAboutThatShareOfCalls() {
        faults.setServerErrorRate(ACTION, 0.25);

        long errors = IntStream.range(0, 4000).filter(i -> faults.decide(ACTION).isPresent()).count();

        assertThat(errors).isBetween(850L, 1150L);
    }

    @Test
    void nextCallsFaultExactlyThatOften() {
        faults.throttleNext(ACTION, 2);
        faults.failNext(ACTION, 1);

        assertThat(IntStream.range(0, 5).mapToObj(i -> faults.decide(ACTION).map(Enum::name).orElse("ok")).toList())
                .containsExactly("THROTTLING", "THROTTLING", "SERVER_ERROR", "ok", "ok");
    }

    @Test
    void badSettingsAreRefusedAndChangeNothing() {
        assertThatThrownBy(() -> faults.setThrottleRate(1.5)).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> faults.setServerErrorRate(ACTION, Double.NaN)).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> faults.setLatency(Duration.ofMillis(-1))).hasMessageContaining("between 0 and 5 minutes");
        assertThatThrownBy(() -> faults.throttleNext("DescribeAutoScalingGroups", 1)).hasMessageContaining("service.Action");
        assertThatThrownBy(() -> faults.failNext(ACTION, -1)).hasMessageContaining("must not be negative");

        assertThat(faults.settings()).isEqualTo(new Faults.Settings(java.util.Map.of(), java.util.Map.of(), java.util.Map.of()));
        assertThat(faults.decide(ACTION)).isEmpty();
    }
}
