package io.fleetdeploy.sandbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fleetdeploy.sandbox.runtime.ListenerProxy.WeightedGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenerProxyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HealthCheckSettings CHECKS = new HealthCheckSettings("/health", Duration.ofMillis(200),
            Duration.ofSeconds(1), 2, 2, Duration.ofSeconds(30));
    @TempDir
    Path root;
    private final Http http = new Http();
    private final AtomicReference<List<WeightedGroup>> routes = new AtomicReference<>(List.of());
    private InstanceRuntime runtime;
    private ListenerProxy listener;

    @BeforeEach
    void start() {
        runtime = new InstanceRuntime(root, SchemaKeySource.NONE);
        listener = new ListenerProxy(routes::get, runtime.io());
        listener.start();
    }

    @AfterEach
    void stop() {
        listener.close();
        runtime.close();
    }

    @Test
    void answers503WhenNoGroupHasAHealthyTarget() throws Exception {
        assertThat(http.get(listener.endpoint(), "/").statusCode()).isEqualTo(503);
        try (TargetGroupHealth empty = new TargetGroupHealth("empty", CHECKS, runtime.io())) {
            RunningInstance noRelease = runtime.launch("i-1", "shop", Map.of());
            empty.register("i-1", noRelease.endpoint());
            routes.set(List.of(new WeightedGroup(1, empty)));
            assertThat(http.get(listener.endpoint(), "/").statusCode()).isEqualTo(503);
        }
    }

    @Test
    void splitsTrafficByWeightAndRoundRobinsWithinAGroupAndRouteChangesApplyToTheNextRequest() throws Exception {
        try (TargetGroupHealth blue = new TargetGroupHealth("blue", CHECKS, runtime.io());
             TargetGroupHealth green = new TargetGroupHealth("green", CHECKS, runtime.io())) {
            registerHealthy(blue, "i-b1", "1.0.0");
            registerHealthy(blue, "i-b2", "1.0.0");
            registerHealthy(green, "i-g1", "2.0.0");
            routes.set(List.of(new WeightedGroup(3, blue), new WeightedGroup(1, green)));

            Map<String, Integer> byInstance = new HashMap<>();
            for (int i = 0; i < 400; i++) {
                HttpResponse<String> response = http.get(listener.endpoint(), "/");
                assertThat(response.statusCode()).isEqualTo(200);
                byInstance.merge(response.headers().firstValue("X-Instance-Id").orElseThrow(), 1, Integer::sum);
            }
            int toBlue = byInstance.getOrDefault("i-b1", 0) + byInstance.getOrDefault("i-b2", 0);
            // Binomial(400, 0.75): mean 300, standard deviation 8.7; 50 is more than five deviations.
            assertThat(toBlue).isBetween(250, 350);
            assertThat(Math.abs(byInstance.get("i-b1") - byInstance.get("i-b2")))
                    .as("round robin within blue: %s", byInstance).isLessThanOrEqualTo(2);

            routes.set(List.of(new WeightedGroup(0, blue), new WeightedGroup(1, green)));
            for (int i = 0; i < 20; i++) {
                assertThat(http.get(listener.endpoint(), "/").headers().firstValue("X-App-Version")).hasValue("2.0.0");
            }
        }
    }

    @Test
    void relaysMethodPathHeadersAndBodyBothWays() throws Exception {
        HttpServer echo = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        echo.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String answer = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("X-Test") + " "
                    + exchange.getRequestHeaders().getFirst("X-Forwarded-For") + " "
                    + new String(body, StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Echo", "yes");
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/health") ? 200 : 201, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        echo.start();
        try (TargetGroupHealth group = new TargetGroupHealth("echo", CHECKS, runtime.io())) {
            group.register("echo", URI.create("http://127.0.0.1:" + echo.getAddress().getPort()));
            Await.until("echo healthy", WAIT, () -> group.stateOf("echo").state().equals("healthy"));
            routes.set(List.of(new WeightedGroup(1, group)));

            HttpResponse<String> response = http.send(HttpRequest.newBuilder(listener.endpoint().resolve("/orders/7?x=1"))
                    .header("X-Test", "hello")
                    .PUT(HttpRequest.BodyPublishers.ofString("the body"))
                    .build());
            assertThat(response.statusCode()).isEqualTo(201);
            assertThat(response.body()).isEqualTo("PUT /orders/7?x=1 hello 127.0.0.1 the body");
            assertThat(response.headers().firstValue("X-Echo")).hasValue("yes");

            try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), listener.port())) {
                raw.getOutputStream().write(("GET http://elsewhere.invalid/abs?q=1 HTTP/1.1\r\nHost: elsewhere.invalid\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String answer = new String(raw.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as("an absolute request URI keeps its path, never its host")
                        .startsWith("HTTP/1.1 201").contains("GET /abs?q=1 null");
            }
        } finally {
            echo.stop(0);
        }
    }

    @Test
    void drainingLetsAnInFlightRequestFinishWhileNewOnesGoElsewhere() throws Exception {
        try (TargetGroupHealth group = new TargetGroupHealth("web", CHECKS, runtime.io())) {
            registerHealthy(group, "i-1", "1.0.0");
            registerHealthy(group, "i-2", "1.0.0");
            routes.set(List.of(new WeightedGroup(1, group)));

            CompletableFuture<HttpResponse<String>> slow =
                    CompletableFuture.supplyAsync(() -> http.get(listener.endpoint(), "/report?delayMs=3000"));
            Await.until("the slow request is in flight", WAIT,
                    () -> group.inFlight("i-1") + group.inFlight("i-2") == 1);
            String busy = group.inFlight("i-1") == 1 ? "i-1" : "i-2";
            String other = busy.equals("i-1") ? "i-2" : "i-1";

            group.deregister(busy);
            assertThat(group.stateOf(busy).state()).isEqualTo("draining");
            for (int i = 0; i < 10; i++) {
                assertThat(http.get(listener.endpoint(), "/").headers().firstValue("X-Instance-Id")).hasValue(other);
            }
            assertThat(slow).isNotDone();
            HttpResponse<String> finished = slow.get();
            assertThat(finished.statusCode()).isEqualTo(200);
            assertThat(finished.headers().firstValue("X-Instance-Id")).hasValue(busy);
            Await.until(busy + " removed once its request finished", WAIT,
                    () -> group.stateOf(busy).state().equals("unused"));
        }
    }

    @Test
    void aRefusedConnectionIsRetriedOnceOnAnotherTargetThen502() throws Exception {
        // Checks so rare that the terminated instance still counts as healthy during the test.
        HealthCheckSettings rare = new HealthCheckSettings("/health", Duration.ofMinutes(5), Duration.ofSeconds(1),
                1, 2, Duration.ofSeconds(30));
        try (TargetGroupHealth group = new TargetGroupHealth("web", rare, runtime.io())) {
            registerHealthy(group, "i-live", "1.0.0");
            registerHealthy(group, "i-dead", "1.0.0");
            routes.set(List.of(new WeightedGroup(1, group)));
            runtime.terminate("i-dead");
            assertThat(group.stateOf("i-dead").state()).isEqualTo("healthy");

            for (int i = 0; i < 6; i++) {
                HttpResponse<String> response = http.get(listener.endpoint(), "/");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Instance-Id")).hasValue("i-live");
            }
            runtime.terminate("i-live");
            assertThat(http.get(listener.endpoint(), "/").statusCode()).isEqualTo(502);
            assertThat(group.inFlight("i-live") + group.inFlight("i-dead")).isZero();
        }
    }

    private void registerHealthy(TargetGroupHealth group, String id, String version) throws Exception {
        RunningInstance instance = runtime.launch(id, "shop", Map.of());
        Releases.install(instance.home(), version, null, true);
        group.register(id, instance.endpoint());
        Await.until(id + " healthy in " + group.name(), WAIT, () -> group.stateOf(id).state().equals("healthy"));
    }
}
