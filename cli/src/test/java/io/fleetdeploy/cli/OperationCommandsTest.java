package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.fleet.FleetChange;
import io.fleetdeploy.core.operation.OnFailure;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.operation.OperationStore;
import io.fleetdeploy.core.operation.UndoEntry;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operation commands against a real S3 protocol (embedded S3Proxy), through the CLI's own entry point. */
class OperationCommandsTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @BeforeAll
    static void credentials() {
        // The SDK's default chain reads these; the proxy's test keys are no secret.
        System.setProperty("aws.accessKeyId", S3.accessKey());
        System.setProperty("aws.secretAccessKey", S3.secretKey());
    }

    @AfterAll
    static void forgetCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    private record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of("--region", S3.region().id(), "--endpoint", S3.endpoint().toString()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = FleetDeployCli.run(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private static OperationRecord seed(String id, OperationStatus status) {
        OperationStore store = new OperationStore(S3.client(), S3Layout.of(S3.bucket(), "p", "shop"), FleetChange.mapper());
        Instant now = Instant.parse("2026-11-26T12:00:00Z");
        FleetChange standby = new FleetChange.EnterStandby("web", List.of("i-1"));
        OperationRecord record = new OperationRecord(id, "rollout-push", "shop", "web", "ci#1", status, OnFailure.ROLLBACK, now, now,
                "Failed: batch 1/2: not healthy", null, store.mapper().createObjectNode(),
                List.of(new UndoEntry(standby, standby.inverse(), now)), List.of("2026-11-26T12:00:00Z batch 1/2: i-1 leaving traffic"), null);
        store.save(record);
        return record;
    }

    @Test
    void operationsListAndShowReadThePersistedState() {
        seed("rollout-push-web-1", OperationStatus.HALTED);
        Run list = cli("operations", "list", "--bucket", S3.bucket(), "--prefix", "p", "--app", "shop");
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("rollout-push-web-1", "HALTED", "web", "ci#1");

        Run show = cli("operations", "show", "rollout-push-web-1", "--bucket", S3.bucket(), "--prefix", "p", "--app", "shop");
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("status: HALTED", "batch 1/2: i-1 leaving traffic",
                "enter Standby: i-1 (group web)  <-  exit Standby: i-1 (group web)");

        Run json = cli("--json", "operations", "show", "rollout-push-web-1", "--bucket", S3.bucket(), "--prefix", "p", "--app", "shop");
        assertThat(json.out()).contains("\"type\" : \"enterStandby\"", "\"status\" : \"HALTED\"");
    }

    @Test
    void showingAnUnknownOperationFailsWithExitCodeOneSayingWhatToDo() {
        Run show = cli("operations", "show", "nope-1", "--bucket", S3.bucket(), "--app", "shop");
        assertThat(show.code()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(show.err()).contains("There is no operation nope-1", "fleet-deploy operations list");
    }

    @Test
    void resumingAFinishedOperationIsRefused() {
        seed("drain-web-2", OperationStatus.SUCCEEDED);
        Run resume = cli("resume", "drain-web-2", "--bucket", S3.bucket(), "--prefix", "p", "--app", "shop");
        assertThat(resume.code()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(resume.err()).contains("already ended (SUCCEEDED)", "Nothing was changed");
    }

    @Test
    void missingRequiredOptionsAreUsageErrors() {
        Run rollout = cli("rollout", "--version", "1.0", "--bucket", S3.bucket(), "--app", "shop");
        assertThat(rollout.code()).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(rollout.err()).contains("--group");
        Run sw = cli("switch-traffic", "--target-group", "green", "--bucket", S3.bucket(), "--app", "shop");
        assertThat(sw.code()).isEqualTo(FleetDeployCli.EXIT_USAGE);
        Run badDuration = cli("drain", "--group", "web", "--timeout", "soon", "--bucket", S3.bucket(), "--app", "shop");
        assertThat(badDuration.code()).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(badDuration.err()).contains("'soon' is not a duration");
    }

    @Test
    void badValuesAreRefusedBeforeAnyAwsCallWithExitCodeOne() {
        Run rollout = cli("rollout", "--group", "web", "--version", "1.0", "--on-failure", "shrug", "--bucket", S3.bucket(), "--app", "shop");
        assertThat(rollout.code()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(rollout.err()).contains("onFailure 'shrug' is not known", "Nothing was changed");
        Run drain = cli("drain", "--group", "web", "--count", "0", "--bucket", S3.bucket(), "--app", "shop");
        assertThat(drain.code()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(drain.err()).contains("count 0 is not allowed");
        Run both = cli("rollout", "--group", "web", "--version", "1.0", "--instance-count", "1", "--instance", "i-1", "--instance", "i-2",
                "--bucket", S3.bucket(), "--app", "shop");
        assertThat(both.code()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(both.err()).contains("Both instanceCount and instanceIds were given", "Nothing was changed");
        Run pullPart = cli("rollout", "--group", "web", "--version", "1.0", "--strategy", "pull", "--instance-count", "1",
                "--bucket", S3.bucket(), "--app", "shop");
        assertThat(pullPart.err()).contains("push rollout only");
        assertThat(S3.objects()).isEmpty();
    }
}
