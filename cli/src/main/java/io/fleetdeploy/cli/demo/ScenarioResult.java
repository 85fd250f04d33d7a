package io.fleetdeploy.cli.demo;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Everything one strategy's run produced; times are milliseconds since the load started.
 *
 * @param setupMillis  how long bringing the fleet up on v1 took (before the load)
 * @param keyOfVersion the schema key each release's manifest names
 * @param apiCalls     AWS API calls per "service.Action" while v2 was deployed (sandbox counters)
 */
public record ScenarioResult(Strategy strategy, Fault fault, int instances, int rps, long setupMillis, List<Phase> phases,
                             List<Sample> samples, String initialKey, List<KeyFlip> flips, Map<String, String> keyOfVersion,
                             List<VersionPoint> versions, SortedMap<String, Long> apiCalls, FinalState finalState,
                             long loadMillis) {

    public Figures figures() {
        return Figures.of(samples, initialKey, flips, keyOfVersion);
    }

    /** True when every step of the pipeline succeeded (with --fault, the pipeline is expected to stop and roll back). */
    public boolean deployed() {
        return phases.stream().allMatch(Phase::succeeded);
    }

    public long apiCallTotal() {
        return apiCalls.values().stream().mapToLong(Long::longValue).sum();
    }
}
