package io.fleetdeploy.sandbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.sandbox.runtime.TargetGroupHealth.Target;
import io.fleetdeploy.sandbox.runtime.TargetGroupHealth.TargetState;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetGroupHealthTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HealthCheckSettings FAST = new HealthCheckSettings("/health", Duration.ofMillis(150),
            Duration.ofMillis(300), 3, 2, Duration.ofSeconds(30));
    @TempDir
    Path root;
    private InstanceRuntime runtime;
    private TargetGroupHealth group;

    @BeforeEach
    void start() {
        runtime = new InstanceRuntime(root, SchemaKeySource.NONE);
        group = new TargetGroupHealth("web", FAST, runtime.io());
    }

    @AfterEach
    void stop() {
        group.close();
        runtime.close();
    }

    @Test
    void aTargetIsInitialUntilEnoughChecksPassThenFollowsItsHealth() throws Exception {
        RunningInstance instance = runtime.launch("i-1", "shop", Map.of());
        Releases.install(instance.home(), "1.0.0", null, true);
        group.register("i-1", instance.endpoint());
        assertThat(group.stateOf("i-1"))
                .isEqualTo(new TargetState("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"));
        assertThat(group.routable()).isEmpty();

        awaitState("i-1", "healthy");
        assertThat(group.stateOf("i-1")).isEqualTo(new TargetState("healthy", null, null));
        assertThat(group.routable()).containsExactly(new Target("i-1", instance.endpoint()));

        instance.setHealthFault(true);
        awaitState("i-1", "unhealthy");
        assertThat(group.stateOf("i-1")).isEqualTo(new TargetState("unhealthy", "Target.ResponseCodeMismatch",
                "Health checks failed with these codes: [500]"));
        assertThat(group.routable()).isEmpty();

        instance.setHealthFault(false);
        awaitState("i-1", "healthy");
    }

    @Test
    void aTargetThatNeverPassesBecomesUnhealthyWithTheReasonOfItsFailure() throws Exception {
        RunningInstance badBuild = runtime.launch("i-bad", "shop", Map.of());
        Releases.install(badBuild.home(), "1.0.1", null, false);
        URI closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (Exception closed) {
                    // The test is over.
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            group.register("i-bad", badBuild.endpoint());
            group.register("i-gone", closedPort);
            group.register("i-silent", URI.create("http://127.0.0.1:" + silent.getLocalPort()));

            awaitState("i-bad", "unhealthy");
            awaitState("i-gone", "unhealthy");
            awaitState("i-silent", "unhealthy");
            assertThat(group.stateOf("i-bad").reasonCode()).isEqualTo("Target.ResponseCodeMismatch");
            assertThat(group.stateOf("i-bad").description()).contains("[503]");
            assertThat(group.stateOf("i-gone")).isEqualTo(
                    new TargetState("unhealthy", "Target.FailedHealthChecks", "Health checks failed"));
            assertThat(group.stateOf("i-silent")).isEqualTo(
                    new TargetState("unhealthy", "Target.Timeout", "Request timed out"));
            assertThat(group.states().keySet()).containsExactly("i-bad", "i-gone", "i-silent");
        } finally {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void deregisteringAnIdleTargetRemovesItAndABusyOneDrainsUntilItsRequestsFinish() throws Exception {
        RunningInstance a = runtime.launch("i-a", "shop", Map.of());
        RunningInstance b = runtime.launch("i-b", "shop", Map.of());
        Releases.install(a.home(), "1.0.0", null, true);
        Releases.install(b.home(), "1.0.0", null, true);
        group.register("i-a", a.endpoint());
        group.register("i-b", b.endpoint());
        awaitState("i-a", "healthy");
        awaitState("i-b", "healthy");

        group.deregister("i-a");
        assertThat(group.stateOf("i-a")).isEqualTo(
                new TargetState("unused", "Target.NotRegistered", "Target is not registered to the target group"));
        assertThat(group.states()).containsOnlyKeys("i-b");

        assertThat(group.tryStartRequest("i-b")).isTrue();
        group.deregister("i-b");
        assertThat(group.stateOf("i-b")).isEqualTo(new TargetState("draining", "Target.DeregistrationInProgress",
                "Target deregistration is in progress"));
        assertThat(group.routable()).isEmpty();
        assertThat(group.tryStartRequest("i-b")).as("a draining target takes no new request").isFalse();
        assertThat(group.inFlight("i-b")).isEqualTo(1);
        group.requestFinished("i-b");
        assertThat(group.stateOf("i-b").state()).isEqualTo("unused");

        group.register("i-b", b.endpoint());
        assertThat(group.stateOf("i-b").state()).as("registered again, it starts over").isEqualTo("initial");
    }

    @Test
    void drainingEndsAfterTheDeregistrationDelayEvenWithRequestsInFlight() throws Exception {
        HealthCheckSettings shortDelay = new HealthCheckSettings("/health", Duration.ofMillis(150),
                Duration.ofMillis(300), 2, 2, Duration.ofMillis(300));
        try (TargetGroupHealth quick = new TargetGroupHealth("quick", shortDelay, runtime.io())) {
            RunningInstance a = runtime.launch("i-a", "shop", Map.of());
            Releases.install(a.home(), "1.0.0", null, true);
            quick.register("i-a", a.endpoint());
            Await.until("i-a healthy", WAIT, () -> quick.stateOf("i-a").state().equals("healthy"));
            assertThat(quick.tryStartRequest("i-a")).isTrue();
            quick.deregister("i-a");
            assertThat(quick.stateOf("i-a").state()).isEqualTo("draining");
            Await.until("i-a removed after the deregistration delay", WAIT,
                    () -> quick.stateOf("i-a").state().equals("unused"));
        }
    }

    private void awaitState(String targetId, String state) {
        Await.until(targetId + " " + state + " (is " + group.stateOf(targetId) + ")", WAIT,
                () -> group.stateOf(targetId).state().equals(state));
    }
}
