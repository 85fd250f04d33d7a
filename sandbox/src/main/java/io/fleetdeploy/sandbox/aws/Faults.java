package io.fleetdeploy.sandbox.aws;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * API faults the endpoint injects: throttling and server errors at a rate (0..1), added latency,
 * each for all calls or for one "service.Action" (the per-action setting wins), plus "the next N
 * calls" of an action for tests that need exact counts. A per-action 0 exempts that action from
 * a global setting. Thread-safe; switched at run time.
 */
public final class Faults {

    /** What the endpoint answers instead of calling the service. */
    public enum Fault { THROTTLING, SERVER_ERROR }

    private static final String ALL = "*";

    private final RandomGenerator random;
    private final Map<String, Double> throttleRates = new ConcurrentHashMap<>();
    private final Map<String, Double> serverErrorRates = new ConcurrentHashMap<>();
    private final Map<String, Duration> latencies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> throttleNext = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failNext = new ConcurrentHashMap<>();

    /** @param random decides rate-based faults; a seeded one makes a run repeatable */
    public Faults(RandomGenerator random) {
        this.random = random;
    }

    public void setThrottleRate(double rate) {
        setRate(throttleRates, ALL, rate);
    }

    public void setThrottleRate(String serviceAction, double rate) {
        setRate(throttleRates, requireKey(serviceAction), rate);
    }

    public void setServerErrorRate(double rate) {
        setRate(serverErrorRates, ALL, rate);
    }

    public void setServerErrorRate(String serviceAction, double rate) {
        setRate(serverErrorRates, requireKey(serviceAction), rate);
    }

    public void setLatency(Duration latency) {
        setLatency(latencies, ALL, latency);
    }

    public void setLatency(String serviceAction, Duration latency) {
        setLatency(latencies, requireKey(serviceAction), latency);
    }

    /** Throttles exactly the next {@code calls} calls of the action. */
    public void throttleNext(String serviceAction, int calls) {
        throttleNext.put(requireKey(serviceAction), new AtomicInteger(requireCount(calls)));
    }

    /** Answers exactly the next {@code calls} calls of the action with a server error. */
    public void failNext(String serviceAction, int calls) {
        failNext.put(requireKey(serviceAction), new AtomicInteger(requireCount(calls)));
    }

    /** Removes every fault. */
    public void clear() {
        throttleRates.clear();
        serverErrorRates.clear();
        latencies.clear();
        throttleNext.clear();
        failNext.clear();
    }

    /** A view of the current settings, for the admin API: keys "*" (all calls) or "service.Action". */
    public Settings settings() {
        return new Settings(Map.copyOf(throttleRates), Map.copyOf(serverErrorRates), Map.copyOf(latencies));
    }

    public record Settings(Map<String, Double> throttleRates, Map<String, Double> serverErrorRates,
                           Map<String, Duration> latencies) {
    }

    Duration latencyFor(String serviceAction) {
        return latencies.getOrDefault(serviceAction, latencies.getOrDefault(ALL, Duration.ZERO));
    }

    /** Decides, once per call, which fault (if any) answers it. */
    Optional<Fault> decide(String serviceAction) {
        if (consume(throttleNext, serviceAction)) {
            return Optional.of(Fault.THROTTLING);
        }
        if (consume(failNext, serviceAction)) {
            return Optional.of(Fault.SERVER_ERROR);
        }
        if (hits(rate(throttleRates, serviceAction))) {
            return Optional.of(Fault.THROTTLING);
        }
        if (hits(rate(serverErrorRates, serviceAction))) {
            return Optional.of(Fault.SERVER_ERROR);
        }
        return Optional.empty();
    }

    private static double rate(Map<String, Double> rates, String serviceAction) {
        return rates.getOrDefault(serviceAction, rates.getOrDefault(ALL, 0.0));
    }

    private boolean hits(double rate) {
        if (rate <= 0) {
            return false;
        }
        if (rate >= 1) {
            return true;
        }
        synchronized (random) {
            return random.nextDouble() < rate;
        }
    }

    private static boolean consume(Map<String, AtomicInteger> counters, String serviceAction) {
        AtomicInteger left = counters.get(serviceAction);
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    private static void setRate(Map<String, Double> rates, String key, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("fault rate for " + key + " must be between 0 and 1, was " + rate);
        }
        // A per-action 0 stays as an override: it exempts that action from a global rate.
        if (rate == 0 && key.equals(ALL)) {
            rates.remove(key);
        } else {
            rates.put(key, rate);
        }
    }

    private static void setLatency(Map<String, Duration> latencies, String key, Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative() || latency.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("latency for " + key + " must be between 0 and 5 minutes, was " + latency);
        }
        if (latency.isZero() && key.equals(ALL)) {
            latencies.remove(key);
        } else {
            latencies.put(key, latency);
        }
    }

    private static String requireKey(String serviceAction) {
        if (serviceAction == null || !serviceAction.matches("[a-z0-9-]+\\.[A-Z][A-Za-z0-9]+")) {
            throw new IllegalArgumentException("fault key must look like service.Action (e.g. autoscaling.DescribeAutoScalingGroups), was "
                    + serviceAction);
        }
        return serviceAction;
    }

    private static int requireCount(int calls) {
        if (calls < 0) {
            throw new IllegalArgumentException("number of calls must not be negative, was " + calls);
        }
        return calls;
    }
}
