package io.fleetdeploy.sandbox.aws;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * How often each action was called, keyed "service.Action" with the service's signing name
 * (e.g. "autoscaling.DescribeAutoScalingGroups"). Every authenticated call of a known action counts,
 * including the ones a fault answered, so retries show.
 */
public final class CallCounters {

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    public void increment(String serviceAction) {
        counts.computeIfAbsent(serviceAction, k -> new LongAdder()).increment();
    }

    public long get(String serviceAction) {
        LongAdder count = counts.get(serviceAction);
        return count == null ? 0 : count.sum();
    }

    /** A sorted copy of all counters. */
    public SortedMap<String, Long> snapshot() {
        SortedMap<String, Long> copy = new TreeMap<>();
        counts.forEach((key, count) -> copy.put(key, count.sum()));
        return copy;
    }

    public void reset() {
        counts.clear();
    }
}
