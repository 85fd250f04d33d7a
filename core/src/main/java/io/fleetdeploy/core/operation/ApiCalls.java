package io.fleetdeploy.core.operation;

import java.util.Map;
import java.util.TreeMap;

/**
 * Where the runner reads how many cloud API calls have been made so far ("Service.Action" -> count,
 * every attempt, retries included), so each operation's record can say what it cost.
 */
@FunctionalInterface
public interface ApiCalls {

    /** Counts nothing: for runners without a cloud behind them (unit tests). */
    ApiCalls NONE = Map::of;

    /** A copy of the counts so far. */
    Map<String, Long> snapshot();

    /** {@code base} plus what was counted between {@code from} and {@code to}, sorted by action. */
    static Map<String, Long> plusDifference(Map<String, Long> base, Map<String, Long> from, Map<String, Long> to) {
        Map<String, Long> sum = new TreeMap<>(base);
        to.forEach((action, count) -> {
            long made = count - from.getOrDefault(action, 0L);
            if (made > 0) {
                sum.merge(action, made, Long::sum);
            }
        });
        return sum;
    }

    static long total(Map<String, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
