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

    private static RolloutRequest partial(Integer count, List<String> ids, Integer minHealthyPercent, boolean canary) {
        return new RolloutRequest("web", "2.0", null, null, null, null, minHealthyPercent, canary, null, null, null, null,
                null, null, null, null, count, ids);
    }

    @Test
    void anInstanceCountMovesThatManyOfTheInstancesNotOnTheVersionYet() {
        BatchPlan plan = BatchPlan.of(partial(1, null, 75, false), ids(4), List.of());
        assertThat(plan.batches()).containsExactly(List.of("i-001"));
        assertThat(plan.required()).as("minHealthyPercent counts the whole group").isEqualTo(3);

        BatchPlan afterCanary = BatchPlan.of(partial(2, null, 50, false), ids(4), List.of("i-001"));
        assertThat(afterCanary.batches()).containsExactly(List.of("i-002", "i-003"));
        assertThat(afterCanary.skipped()).isEmpty();
    }

    @Test
    void theRestAfterACanarySkipsTheInstancesAlreadyOnTheVersion() {
        BatchPlan plan = BatchPlan.of(new RolloutRequest("web", "2.0", null, null, null, 25, 75, false, null, null, null, null,
                null, null, null, null), ids(4), List.of("i-001"));
        assertThat(plan.batches()).containsExactly(List.of("i-002"), List.of("i-003"), List.of("i-004"));
        assertThat(plan.skipped()).containsExactly("i-001");
        assertThat(plan.moved()).isEqualTo(3);

        BatchPlan nothingLeft = BatchPlan.of(RolloutRequest.push("web", "2.0"), ids(2), ids(2));
        assertThat(nothingLeft.batches()).isEmpty();
        assertThat(nothingLeft.skipped()).containsExactlyElementsOf(ids(2));
    }

    @Test
    void namedInstancesAreTheOnlyOnesMovedAndACanaryGoesFirstAmongThem() {
        BatchPlan plan = BatchPlan.of(partial(null, List.of("i-004", "i-002", "i-003"), 50, true), ids(6), List.of());
        assertThat(plan.batches()).containsExactly(List.of("i-002"), List.of("i-003", "i-004"));
    }

    @Test
    void anInstanceCountOutsideTheGroupOrAnIdNotInServiceIsRefusedNamingIt() {
        assertThatThrownBy(() -> BatchPlan.of(partial(5, null, null, false), ids(4), List.of()))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("instanceCount 5 is outside 1..4 for group web")
                .hasMessageContaining("Nothing was changed");
        assertThatThrownBy(() -> BatchPlan.of(partial(null, List.of("i-001", "i-999"), null, false), ids(4), List.of()))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Not InService in group web: i-999.");
    }

    @Test
    void partialRequestsAreCheckedOnTheirFaceBeforeAnyLookup() {
        assertThatThrownBy(() -> partial(0, null, null, false).checked()).hasMessageContaining("instanceCount 0 is not allowed");
        assertThatThrownBy(() -> partial(1, List.of("i-001"), null, false).checked())
                .hasMessageContaining("Both instanceCount and instanceIds");
        assertThatThrownBy(() -> partial(null, List.of("i-001", "i-001"), null, false).checked()).hasMessageContaining("twice");
        assertThatThrownBy(() -> partial(null, List.of("i-001;rm"), null, false).checked()).hasMessageContaining("instance id");
        assertThatThrownBy(() -> new RolloutRequest("web", "2.0", RolloutRequest.Strategy.PULL, null, null, null, null, false, null,
                null, null, null, null, null, null, null, 1, null).checked()).hasMessageContaining("push rollout only");
        assertThat(partial(1, null, null, false).checked().partial()).isTrue();
        assertThat(RolloutRequest.push("web", "2.0").partial()).isFalse();
    }

    @Test
    void aPersistedPartialRequestResumesAsTheSameRequestAndOneSavedBeforeThisFieldExistedAsAFullRollout() throws Exception {
        var mapper = FleetChange.mapper();
        RolloutRequest canary = partial(null, List.of("i-002"), 75, false);
        assertThat(mapper.readValue(mapper.writeValueAsString(canary), RolloutRequest.class)).isEqualTo(canary);

        String saved = mapper.writeValueAsString(RolloutRequest.push("web", "2.0")).replace(",\"instanceCount\":null", "")
                .replace(",\"instanceIds\":[]", "");
        assertThat(saved).doesNotContain("instance");
        RolloutRequest old = mapper.readValue(saved, RolloutRequest.class);
        assertThat(old.partial()).isFalse();
        assertThat(old.instanceIds()).isEmpty();
    }
}
