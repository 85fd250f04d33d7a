package io.fleetdeploy.sandbox.aws;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Prints how many signed SDK calls per second the endpoint answers (Query/XML and JSON 1.1) and
 * their latency percentiles. Arguments: [callers] [calls per caller]; the README has the command.
 */
public final class AwsEndpointBenchmark {

    private AwsEndpointBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int callers = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int callsPerCaller = args.length > 1 ? Integer.parseInt(args[1]) : 250;
        TestServices.Ssm ssmService = new TestServices.Ssm();
        try (EndpointFixture fixture = new EndpointFixture(List.of(AwsApi.AUTO_SCALING.service(new TestAutoScalingService()),
                AwsApi.SSM.service(ssmService)));
             AutoScalingClient autoScaling = fixture.client(AutoScalingClient.builder());
             SsmClient ssm = fixture.client(SsmClient.builder())) {
            run("Query   DescribeAutoScalingGroups", callers, callsPerCaller, () -> autoScaling.describeAutoScalingGroups());
            run("JSON1.1 GetCommandInvocation     ", callers, callsPerCaller,
                    () -> ssm.getCommandInvocation(r -> r.commandId(TestServices.COMMAND_ID).instanceId("i-0aaa")));
        }
    }

    private static void run(String name, int callers, int callsPerCaller, Runnable call) throws Exception {
        for (int i = 0; i < 200; i++) {
            call.run(); // warm-up: class loading and JIT, not measured
        }
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        long[] latencies = new long[callers * callsPerCaller];
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int offset = c * callsPerCaller;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < callsPerCaller; i++) {
                    long before = System.nanoTime();
                    call.run();
                    latencies[offset + i] = System.nanoTime() - before;
                }
            }));
        }
        for (Future<?> future : futures) {
            future.get(10, TimeUnit.MINUTES);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        Arrays.sort(latencies);
        System.out.printf("%s  %d callers x %d calls: %.0f calls/s, p50 %.1f ms, p99 %.1f ms%n", name, callers, callsPerCaller,
                latencies.length / seconds, latencies[latencies.length / 2] / 1e6, latencies[latencies.length * 99 / 100] / 1e6);
    }
}
