package io.fleetdeploy.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchPlanTest {

    private static List<String> ids(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("i-%03d", i)).toList();
    }

    @Test
    void minHealthyPercentSetsTheLargestBatch() {
        BatchPlan plan = BatchPlan.of("web", ids(10), null, null, 80, false);
        assertThat(plan.required()).isEqualTo(8);
        assertThat(plan.batchSize()).isEqualTo(2);
        assertThat(plan.batches()).hasSize(5).allSatisfy(b -> assertThat(b).hasSize(2));
    }

    @Test
    void requiredRoundsUpSoThePercentIsNeverUndercut() {
        assertThat(BatchPlan.required(3, 50)).isEqualTo(2);
        BatchPlan plan = BatchPlan.of("web", ids(3), null, null, 50, false);
        assertThat(plan.batches()).containsExactly(List.of("i-001"), List.of("i-002"), List.of("i-003"));
    }

    @Test
    void canaryGoesFirstAloneThenTheRestInBatches() {
        BatchPlan plan = BatchPlan.of("web", ids(7), 3, null, 50, true);
        assertThat(plan.batches()).containsExactly(List.of("i-001"), List.of("i-002", "i-003", "i-004"),
                List.of("i-005", "i-006", "i-007"));
    }

    @Test
    void everyInstanceIsInExactlyOneBatch() {
        BatchPlan plan = BatchPlan.of("web", ids(101), null, 10, 90, false);
        assertThat(plan.batches().stream().flatMap(List::stream).toList()).containsExactlyElementsOf(ids(101));
        assertThat(plan.batches()).allSatisfy(b -> assertThat(b.size()).isLessThanOrEqualTo(101 - plan.required()));
    }

    @Test
    void impossibleMinHealthyPercentIsRefusedNamingTheLimit() {
        assertThatThrownBy(() -> BatchPlan.of("web", ids(4), null, null, 100, false))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("minHealthyPercent 100 is impossible for group web with 4")
                .hasMessageContaining("at most 75")
                .hasMessageContaining("Nothing was changed");
    }

    @Test
    void batchLargerThanMinHealthyAllowsIsRefused() {
        assertThatThrownBy(() -> BatchPlan.of("web", ids(10), 3, null, 80, false))
                .isInstanceOf(FleetDeployException.class).hasMessageContaining("at most 2");
    }

    @Test
    void batchLargerThanTheGroupIsRefused() {
        assertThatThrownBy(() -> BatchPlan.of("web", ids(2), 5, null, null, false))
                .isInstanceOf(FleetDeployException.class).hasMessageContaining("larger than group web");
    }

    @Test
    void batchZeroAndBadPercentsAreRefusedBeforeAnyLookup() {
        RolloutRequest base = RolloutRequest.push("web", "1.0");
        assertThatThrownBy(() -> new RolloutRequest("web", "1.0", null, null, 0, null, null, false, null, null, null, null,
                null, null, null, null).checked()).hasMessageContaining("batchSize 0");
        assertThatThrownBy(() -> new RolloutRequest("web", "1.0", null, null, null, null, 101, false, null, null, null, null,
                null, null, null, null).checked()).hasMessageContaining("minHealthyPercent 101 is outside 0..100");
        assertThatThrownBy(() -> new RolloutRequest("web", "../x", null, null, null, null, null, false, null, null, null, null,
                null, null, null, null).checked()).hasMessageContaining("version");
        assertThat(base.checked().channel()).isEqualTo("web");
    }

    @Test
    void emptyGroupIsRefused() {
        assertThatThrownBy(() -> BatchPlan.of("web", List.of(), null, null, 50, false)).hasMessageContaining("no InService");
    }
}
