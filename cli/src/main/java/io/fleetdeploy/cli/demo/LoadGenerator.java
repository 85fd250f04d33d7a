package io.fleetdeploy.cli.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Sends GET requests to one loopback URL at a fixed rate and records every answer. Bounded three
 * ways: it stops after {@code maxDuration}, after {@code maxRequests}, and never has more than
 * {@link #MAX_IN_FLIGHT} requests open (a request that finds no free slot is recorded as failed,
 * status 0, rather than queued: the rate stays honest).
 */
final class LoadGenerator implements AutoCloseable {

    static final int MAX_IN_FLIGHT = 256;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final URI target;
    private final int rps;
    private final long maxRequests;
    private final Duration maxDuration;
    private final LongSupplier clockMillis;
    private final HttpClient http;
    private final ScheduledExecutorService ticker;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private long sent;
    private long startedAt;
    private volatile boolean stopped;

    /**
     * @param target      a loopback http URL (the listener)
     * @param clockMillis the run's clock: milliseconds since its start, shared with the phases
     */
    LoadGenerator(URI target, int rps, Duration maxDuration, LongSupplier clockMillis) {
        String host = target.getHost();
        if (!"http".equals(target.getScheme()) || !("127.0.0.1".equals(host) || "localhost".equals(host))) {
            throw new IllegalArgumentException("the load generator only sends to loopback http URLs, not " + target);
        }
        if (rps < 1 || rps > 2000) {
            throw new IllegalArgumentException("rps " + rps + " is outside 1..2000");
        }
        this.target = target;
        this.rps = rps;
        this.maxDuration = maxDuration;
        this.maxRequests = rps * Math.max(1, maxDuration.toSeconds());
        this.clockMillis = clockMillis;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "demo-load");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        startedAt = clockMillis.getAsLong();
        long periodMicros = 1_000_000L / rps;
        ticker.scheduleAtFixedRate(this::sendOne, 0, periodMicros, TimeUnit.MICROSECONDS);
    }

    private void sendOne() {
        long now = clockMillis.getAsLong();
        if (stopped || sent >= maxRequests || now - startedAt >= maxDuration.toMillis()) {
            stopped = true;
            return;
        }
        sent++;
        if (!inFlight.tryAcquire()) {
            samples.add(new Sample(now, now, 0, null, null, null, null));
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(target).timeout(REQUEST_TIMEOUT).GET().build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            long received = clockMillis.getAsLong();
            inFlight.release();
            if (failure != null) {
                samples.add(new Sample(now, received, 0, null, null, null, null));
            } else {
                samples.add(new Sample(now, received, response.statusCode(), header(response, "X-Instance-Id"),
                        header(response, "X-App-Version"), header(response, "X-Code-Schema-Key"),
                        header(response, "X-Db-Schema-Key")));
            }
        });
    }

    private static String header(HttpResponse<?> response, String name) {
        Optional<String> value = response.headers().firstValue(name);
        return value.orElse(null);
    }

    /** Stops sending and waits (at most the request timeout) for the answers still open; returns every sample by send time. */
    List<Sample> stop() {
        stopped = true;
        ticker.shutdown();
        try {
            ticker.awaitTermination(5, TimeUnit.SECONDS);
            if (inFlight.tryAcquire(MAX_IN_FLIGHT, REQUEST_TIMEOUT.toMillis() + 2000, TimeUnit.MILLISECONDS)) {
                inFlight.release(MAX_IN_FLIGHT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Sample> all = new ArrayList<>(samples);
        all.sort((a, b) -> Long.compare(a.sentMillis(), b.sentMillis()));
        return all;
    }

    /** True once a bound ended the run before {@link #stop()}. */
    boolean hitBound() {
        return stopped;
    }

    @Override
    public void close() {
        stopped = true;
        ticker.shutdownNow();
    }
}
