package io.fleetdeploy.sandbox.runtime;

import io.fleetdeploy.sandbox.runtime.ListenerProxy.WeightedGroup;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prints what a fleet of sandbox instances costs: time until N instances (default 200) are launched,
 * have a release and are healthy behind a listener; requests per second through the listener; heap
 * used; threads; process CPU over 10 s of idling (health checks still running, measured once 30 s have
 * passed, so the JIT is done); then requests per second through the listener. No assertion:
 * run it with {@code sandbox/bench/runtime-benchmark.sh [instances] [health-check-interval-ms] [idle-seconds] [settle-seconds]}.
 */
public final class RuntimeBenchmark {
    private RuntimeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Duration interval = Duration.ofMillis(args.length > 1 ? Long.parseLong(args[1]) : 1000);
        int idleSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int settleSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        HealthCheckSettings checks = new HealthCheckSettings("/health", interval, Duration.ofSeconds(2), 2, 2,
                Duration.ofSeconds(30));
        Path root = Files.createTempDirectory("fleet-runtime-bench-");
        System.out.printf("instances: %d, health check every %d ms, healthy after 2 passes, %d cores%n",
                count, interval.toMillis(), Runtime.getRuntime().availableProcessors());
        long start = System.nanoTime();
        try (InstanceRuntime runtime = new InstanceRuntime(root, SchemaKeySource.NONE);
             TargetGroupHealth group = new TargetGroupHealth("bench", checks, runtime.io());
             ListenerProxy listener = new ListenerProxy(() -> List.of(new WeightedGroup(1, group)), runtime.io())) {
            listener.start();
            List<RunningInstance> instances = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                String id = String.format("i-%05d", i);
                instances.add(runtime.launch(id, "bench", Map.of("FLEET_INSTANCE_ID", id)));
            }
            double launched = seconds(start);
            for (RunningInstance instance : instances) {
                Releases.install(instance.home(), "1.0.0", "k1", true);
                group.register(instance.id(), instance.endpoint());
            }
            double registered = seconds(start);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (group.routable().size() < count && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            double healthy = seconds(start);
            System.out.printf("launched (directory + HTTP server): %.2f s; release installed and registered: %.2f s%n",
                    launched, registered);
            System.out.printf("all healthy: %.2f s (%d of %d healthy)%n", healthy, group.routable().size(), count);

            // The JIT keeps compiling the health-check path for a while; the idle figure is meant to be the steady state.
            Thread.sleep(settleSeconds * 1000L);
            System.gc();
            long heapUsed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf("heap used after GC: %.1f MiB; live threads: %d%n", heapUsed / 1048576.0,
                    ManagementFactory.getThreadMXBean().getThreadCount());

            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = os.getProcessCpuTime();
            long wallBefore = System.nanoTime();
            Thread.sleep(idleSeconds * 1000L);
            double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
            double wallSeconds = (System.nanoTime() - wallBefore) / 1e9;
            System.out.printf("idle " + idleSeconds + " s (from " + settleSeconds + " s after all healthy): process CPU %.2f s = %.1f%% of one core, %.1f%% of the machine%n",
                    cpuSeconds, 100 * cpuSeconds / wallSeconds,
                    100 * cpuSeconds / wallSeconds / Runtime.getRuntime().availableProcessors());
            System.out.printf("through the listener: %.0f requests/s (2000 requests, 8 clients)%n",
                    requestsPerSecond(listener.endpoint(), 2000, 8));

        } finally {
            Directories.deleteTree(root);
        }
    }

    private static double requestsPerSecond(URI listener, int requests, int clients) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicInteger left = new AtomicInteger(requests);
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        List<Future<?>> done = new java.util.ArrayList<>();
        for (int c = 0; c < clients; c++) {
            done.add(pool.submit(() -> {
                while (left.getAndDecrement() > 0) {
                    HttpResponse<Void> response = client.send(HttpRequest.newBuilder(listener.resolve("/")).build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() != 200) {
                        failed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get();
        }
        pool.shutdown();
        if (failed.get() > 0) {
            System.out.printf("  %d requests did not answer 200%n", failed.get());
        }
        return requests / seconds(start);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
