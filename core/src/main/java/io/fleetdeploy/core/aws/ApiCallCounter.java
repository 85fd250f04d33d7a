package io.fleetdeploy.core.aws;

import io.fleetdeploy.core.operation.ApiCalls;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts the AWS API calls the clients it is added to send, per "Service.Action". It counts in
 * {@code beforeTransmission}, which runs once per HTTP attempt, so the SDK's retries show: that is
 * what a throttled account pays. Thread-safe; one per {@link AwsFleet}.
 */
public final class ApiCallCounter implements ExecutionInterceptor, ApiCalls {

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String action = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        counts.computeIfAbsent(service + "." + action, k -> new LongAdder()).increment();
    }

    @Override
    public Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((action, count) -> copy.put(action, count.sum()));
        return copy;
    }
}
