package io.fleetdeploy.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * drainGroup in the sandbox: by count, percent and instance ids, in the modes standby, deregister
 * and scaleToZero; each waits until the targets are drained, and {@code restore} puts back exactly
 * what the drain changed, which the final-state check after each test proves.
 */
class DrainSandboxTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("DrainSandboxTest", List.of(new GroupSpec("drain-count", 3, 0), new GroupSpec("drain-percent", 2, 0),
            new GroupSpec("drain-ids", 2, 0), new GroupSpec("drain-retire", 2, 0),
            // Targets drain for 5 s, so an abort right after the drain started finds them still EnteringStandby.
            new GroupSpec("drain-abort", 2, 0, 5000)));

    private final RecordingProgress progress = new RecordingProgress();

    private static DrainRequest drain(String group, Integer count, Integer percent, List<String> ids, DrainRequest.Mode mode) {
        return new DrainRequest(group, count, percent, ids, mode, TIMEOUT, null, false);
    }

    private static DrainRequest restore(String group) {
        return new DrainRequest(group, null, null, null, null, TIMEOUT, null, true);
    }

    private OperationRecord run(DrainRequest request) {
        try (AwsFleet fleet = SANDBOX.fleet("ci#" + request.group(), progress)) {
            return fleet.operations().drain(request, new AbortSignal());
        }
    }

    /** Instance id -> target state in the group's target group (deregistered targets are absent). */
    private Map<String, String> targets(String group) {
        return SANDBOX.elbv2().describeTargetHealth(b -> b.targetGroupArn(SANDBOX.targetGroupArn(group))).targetHealthDescriptions().stream()
                .collect(Collectors.toMap(t -> t.target().id(), t -> t.targetHealth().stateAsString()));
    }

    private List<String> inState(String group, String lifecycleState) {
        return SANDBOX.group(group).instances().stream().filter(i -> lifecycleState.equals(i.lifecycleStateAsString()))
                .map(i -> i.instanceId()).sorted().toList();
    }

    @Test
    void aCountGoesToStandbyOnceDrainedAndRestorePutsItBack() {
        List<String> first2 = SANDBOX.inServiceIds("drain-count").subList(0, 2);

        OperationRecord drained = run(drain("drain-count", 2, null, null, DrainRequest.Mode.STANDBY));

        assertThat(drained.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(inState("drain-count", "Standby")).isEqualTo(first2);
        assertThat(targets("drain-count")).as("the drained instances no longer take traffic").doesNotContainKeys(first2.toArray(String[]::new));
        assertThat(SANDBOX.group("drain-count").suspendedProcesses()).as("what would undo the drain is suspended").isNotEmpty();

        OperationRecord restored = run(restore("drain-count"));

        assertThat(restored.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.servingVersion("drain-count", SandboxFleet.OLD, 3)).isTrue();
        assertThatThrownBy(() -> run(restore("drain-count"))).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Group drain-count has no drain to restore");
    }

    @Test
    void aPercentIsDeregisteredFromItsTargetGroupOnlyAndRestoreRegistersItAgain() {
        String first = SANDBOX.inServiceIds("drain-percent").get(0);

        OperationRecord drained = run(drain("drain-percent", null, 50, null, DrainRequest.Mode.DEREGISTER));

        assertThat(drained.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(targets("drain-percent")).doesNotContainKey(first).hasSize(1);
        assertThat(SANDBOX.inServiceIds("drain-percent")).as("deregister leaves the instances InService").hasSize(2);

        OperationRecord restored = run(restore("drain-percent"));

        assertThat(restored.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(targets("drain-percent")).containsEntry(first, "healthy").hasSize(2);
    }

    @Test
    void namedInstancesGoToStandbyAndOnlyThoseComeBack() {
        String second = SANDBOX.inServiceIds("drain-ids").get(1);

        OperationRecord drained = run(drain("drain-ids", null, null, List.of(second), null));

        assertThat(drained.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(inState("drain-ids", "Standby")).containsExactly(second);
        assertThat(run(restore("drain-ids")).status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.servingVersion("drain-ids", SandboxFleet.OLD, 2)).isTrue();
    }

    @Test
    void scaleToZeroRetiresTheGroupAndRestoreScalesItBack() {
        OperationRecord drained = run(drain("drain-retire", null, null, null, DrainRequest.Mode.SCALE_TO_ZERO));

        assertThat(drained.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.group("drain-retire").instances()).isEmpty();
        assertThat(SANDBOX.group("drain-retire").desiredCapacity()).isZero();

        OperationRecord restored = run(restore("drain-retire"));

        assertThat(restored.status()).as(progress.text()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(SANDBOX.servingVersion("drain-retire", SandboxFleet.OLD, 2)).isTrue();
    }

    @Test
    void abortWhileInstancesAreStillEnteringStandbyBringsThemAllBack() {
        // Slow requests in flight on both targets keep them draining, so the instances stay EnteringStandby
        // for a few seconds after the drain starts: the abort's undo finds them on their way to Standby.
        HttpClient http = HttpClient.newHttpClient();
        URI slow = SANDBOX.listenerUrl("drain-abort").resolve("/?delayMs=3000");
        List<CompletableFuture<HttpResponse<String>>> inFlight = Stream.generate(() -> http.sendAsync(
                HttpRequest.newBuilder(slow).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString())).limit(4).toList();
        AbortSignal abort = new AbortSignal();
        OperationRecord done;
        try (AwsFleet fleet = SANDBOX.fleet("me@laptop", line -> {
            progress.info(line);
            if (line.contains("] drain (standby) 2 instance(s) of group drain-abort")) {
                abort.request("Ctrl-C");
            }
        })) {
            done = fleet.operations().drain(drain("drain-abort", null, 100, null, null), abort);
        }

        assertThat(done.status()).as(progress.text()).isEqualTo(OperationStatus.ABORTED);
        assertThat(inFlight).as("the slow requests were served, not cut off").allMatch(r -> r.join().statusCode() == 200);
        assertThat(SANDBOX.group("drain-abort").instances()).as(progress.text()).noneMatch(i -> i.lifecycleStateAsString().contains("Standby"));
        Await.until("both instances of drain-abort serve again", Duration.ofMinutes(1), () -> SANDBOX.servingVersion("drain-abort", SandboxFleet.OLD, 2));
    }

    @Test
    void badInputIsRefusedBeforeAnyChange() {
        String stranger = "i-0000000000000dead";
        int operations = operationCount();
        assertThatThrownBy(() -> run(drain("drain-count", 4, null, null, null))).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("count 4 is more than the 3 InService instances of group drain-count");
        assertThatThrownBy(() -> run(drain("drain-count", null, null, List.of(stranger), null))).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Instance(s) " + stranger + " are not InService in group drain-count");
        assertThatThrownBy(() -> run(drain("no-such-group", 1, null, null, null))).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Auto Scaling group no-such-group does not exist");
        assertThat(operationCount()).as("no operation was started").isEqualTo(operations);
    }

    private int operationCount() {
        try (AwsFleet fleet = SANDBOX.fleet("check", progress)) {
            return fleet.store().list().size();
        }
    }
}
