package io.fleetdeploy.sandbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceRuntimeTest {
    @TempDir
    Path root;
    private final Map<String, String> dbKeys = new ConcurrentHashMap<>();
    private final Http http = new Http();
    private InstanceRuntime runtime;

    @BeforeEach
    void start() {
        runtime = new InstanceRuntime(root, app -> Optional.ofNullable(dbKeys.get(app)));
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    @Test
    void servesTheReleaseItsCurrentLinkNamesAndSwitchesWhenTheLinkMoves() throws Exception {
        RunningInstance instance = runtime.launch("i-1", "shop", Map.of("FLEET_INSTANCE_ID", "i-1"));
        assertThat(instance.home()).isEqualTo(root.resolve("i-1")).isDirectory();
        assertThat(instance.env()).containsEntry("FLEET_INSTANCE_ID", "i-1");
        assertThat(http.get(instance.endpoint(), "/").statusCode()).isEqualTo(503);
        assertThat(http.get(instance.endpoint(), "/health").statusCode()).isEqualTo(503);
        assertThat(instance.currentVersion()).isEmpty();

        Releases.install(instance.home(), "1.0.0", "k1", true);
        HttpResponse<String> v1 = http.get(instance.endpoint(), "/orders?id=7");
        assertThat(v1.statusCode()).isEqualTo(200);
        assertThat(v1.body()).isEqualTo("i-1 1.0.0\n");
        assertThat(v1.headers().firstValue("X-Instance-Id")).hasValue("i-1");
        assertThat(v1.headers().firstValue("X-App-Version")).hasValue("1.0.0");
        assertThat(v1.headers().firstValue("X-Code-Schema-Key")).hasValue("k1");
        assertThat(v1.headers().firstValue("X-Db-Schema-Key")).isEmpty();
        assertThat(http.get(instance.endpoint(), "/health").statusCode()).isEqualTo(200);
        assertThat(instance.currentVersion()).hasValue("1.0.0");
        assertThat(instance.codeSchemaKey()).hasValue("k1");

        Releases.install(instance.home(), "1.1.0", "k1", true);
        assertThat(http.get(instance.endpoint(), "/").body()).isEqualTo("i-1 1.1.0\n");
        assertThat(instance.currentVersion()).hasValue("1.1.0");
    }

    @Test
    void healthFollowsBadBuildsAndInjectedFaults() throws Exception {
        RunningInstance instance = runtime.launch("i-2", "shop", Map.of());
        Releases.install(instance.home(), "2.0.0", null, false);
        assertThat(http.get(instance.endpoint(), "/health").statusCode()).isEqualTo(503);
        assertThat(http.get(instance.endpoint(), "/").headers().firstValue("X-App-Version")).hasValue("2.0.0");

        Releases.install(instance.home(), "2.0.1", null, true);
        assertThat(http.get(instance.endpoint(), "/health").statusCode()).isEqualTo(200);
        instance.setHealthFault(true);
        assertThat(http.get(instance.endpoint(), "/health").statusCode()).isEqualTo(500);
        instance.setHealthFault(false);
        assertThat(http.get(instance.endpoint(), "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void aNodeWithAStaleSchemaKeyForwardsToAMatchingNodeOrAnswers503() throws Exception {
        RunningInstance old = runtime.launch("i-old", "shop", Map.of());
        RunningInstance fresh = runtime.launch("i-new", "shop", Map.of());
        RunningInstance otherApp = runtime.launch("i-other", "billing", Map.of());
        Releases.install(old.home(), "1.0.0", "k1", true);
        Releases.install(fresh.home(), "2.0.0", "k2", true);
        Releases.install(otherApp.home(), "9.0.0", "k3", true);

        dbKeys.put("shop", "k1");
        HttpResponse<String> direct = http.get(old.endpoint(), "/");
        assertThat(direct.headers().firstValue("X-Instance-Id")).hasValue("i-old");
        assertThat(direct.headers().firstValue("X-Db-Schema-Key")).hasValue("k1");

        dbKeys.put("shop", "k2");
        HttpResponse<String> forwarded = http.get(old.endpoint(), "/cart");
        assertThat(forwarded.statusCode()).isEqualTo(200);
        assertThat(forwarded.body()).isEqualTo("i-new 2.0.0\n");
        assertThat(forwarded.headers().firstValue("X-Instance-Id")).hasValue("i-new");
        assertThat(forwarded.headers().firstValue("X-Code-Schema-Key")).hasValue("k2");
        assertThat(forwarded.headers().firstValue("X-Db-Schema-Key")).hasValue("k2");

        fresh.setHealthFault(true);
        assertThat(http.get(old.endpoint(), "/").statusCode())
                .as("an unhealthy matching node takes no forwarded work").isEqualTo(503);
        fresh.setHealthFault(false);

        dbKeys.put("shop", "k3");
        HttpResponse<String> none = http.get(old.endpoint(), "/");
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.body()).contains("k1", "k3");
        assertThat(none.headers().firstValue("X-Instance-Id")).hasValue("i-old");
        assertThat(http.get(fresh.endpoint(), "/").statusCode()).isEqualTo(503);
    }

    @Test
    void terminateStopsTheServerKeepsTheDirectoryAndTheIdCanBeLaunchedAgain() throws Exception {
        RunningInstance instance = runtime.launch("i-3", "shop", Map.of());
        Releases.install(instance.home(), "1.0.0", null, true);
        var endpoint = instance.endpoint();
        assertThat(http.status(endpoint, "/")).isEqualTo(200);

        runtime.terminate("i-3");
        assertThat(instance.running()).isFalse();
        assertThat(runtime.find("i-3")).isEmpty();
        assertThatThrownBy(() -> http.get(endpoint, "/")).isInstanceOf(UncheckedIOException.class);
        assertThat(root.resolve("i-3/releases/1.0.0/app.properties")).exists();

        RunningInstance again = runtime.launch("i-3", "shop", Map.of());
        assertThat(http.get(again.endpoint(), "/").body()).isEqualTo("i-3 1.0.0\n");
        assertThat(runtime.instances()).extracting(RunningInstance::id).containsExactly("i-3");
    }

    @Test
    void rejectsUnsafeOrDuplicateIdsBeforeCreatingAnything() {
        assertThatThrownBy(() -> runtime.launch("../escape", "shop", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instance id");
        assertThat(root.getParent().resolve("escape")).doesNotExist();
        runtime.launch("i-4", "shop", Map.of());
        assertThatThrownBy(() -> runtime.launch("i-4", "shop", Map.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already running");
        assertThat(runtime.instances()).hasSize(1);
    }

    @Test
    void aSlowRequestIsAnsweredAfterItsDelayWithoutBlockingOthers() throws Exception {
        RunningInstance instance = runtime.launch("i-5", "shop", Map.of());
        Releases.install(instance.home(), "1.0.0", null, true);
        var slow = java.util.concurrent.CompletableFuture.supplyAsync(() -> http.get(instance.endpoint(), "/?delayMs=3000"));
        assertThat(http.get(instance.endpoint(), "/").statusCode()).isEqualTo(200);
        assertThat(slow).as("the slow answer is still pending while the fast one is done").isNotDone();
        assertThat(slow.get().statusCode()).isEqualTo(200);
    }
}
