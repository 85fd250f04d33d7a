package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.Lease;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.jenkins.plugins.fleetdeploy.harness.Build;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TimerThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * waitForLeaseMinutes and force on the long steps, against the sandbox: a step that finds its group
 * held waits for the lease from jenkins.util.Timer ticks (no thread held, its status naming the
 * holder), fails at once without a wait, fails naming the holder when its wait runs out, ends on stop()
 * having changed nothing, and keeps waiting, within the same bound, across a controller restart. After
 * every test the sandbox's check finds nothing left behind (no Standby, no suspended process, no lease).
 */
class LeaseWaitSandboxTest {

    private static final String GROUP = "leased";
    private static final String OTHER = "operator@bastion";
    private static final String BUILD_URL = "http://jenkins.invalid/job/folder/job/deploy-shop/";

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("LeaseWaitSandboxTest", List.of(new SandboxFleet.GroupSpec(GROUP, 2, 0)));
    private static final SandboxFleetPipelines PIPELINES = new SandboxFleetPipelines(SANDBOX);

    @TempDir
    Path dir;

    private S3Leases leases;
    private AwsFleet fleet;
    private java.util.Set<String> operationsBefore;

    @BeforeEach
    void connect() {
        leases = SANDBOX.leases();
        fleet = SANDBOX.fleet("test", ProgressListener.NONE);
        operationsBefore = fleet.store().list().stream().map(OperationRecord::id).collect(java.util.stream.Collectors.toSet());
    }

    @AfterEach
    void close() {
        fleet.close();
    }

    private PipelineHarness jenkins() {
        return PIPELINES.jenkins(dir, Duration.ofMinutes(3));
    }

    /** A push of {@code version} to the group inside withFleet pointed at the sandbox; {@code more}: further arguments. */
    private String rollout(String version, String more) {
        return PIPELINES.withFleet("  def r = rolloutGroup group: '" + GROUP + "', version: '" + version + "', strategy: 'push', batchSize: 1,"
                + " minHealthyPercent: 50, healthyChecks: 2, pollSeconds: 1, timeoutMinutes: 3" + more + "\n"
                + "  echo \"rollout ${r.status} operation ${r.operationId}\"\n");
    }

    /** Another operation (an operator's CLI run) holding the group's lease for an hour. */
    private Lease heldByAnother() {
        return leases.acquire(GROUP, OTHER, "manual-1", new LeaseOptions(Duration.ofHours(1), null, false), ProgressListener.NONE);
    }

    /** The operations on the group this test started (each test's builds are numbered from 1 again). */
    private List<OperationRecord> newOperations() {
        return fleet.store().list().stream().filter(o -> o.group().equals(GROUP) && !operationsBefore.contains(o.id())).toList();
    }

    /** No operation of this test's started, the other operation still holds its lease, and the group still serves the old release. */
    private void assertNothingChangedWhileHeldBy(Lease other) {
        assertThat(newOperations()).isEmpty();
        assertThat(leases.read(GROUP)).get().extracting(Lease::etag).isEqualTo(other.etag());
        assertThat(SANDBOX.servingVersion(GROUP, SandboxFleet.OLD, 2)).isTrue();
    }

    private static String status(Build build) {
        return build.running().values().stream().map(e -> e.getStatus()).filter(s -> s != null && s.startsWith("rolloutGroup")).findFirst()
                .orElse("(rolloutGroup not running)");
    }

    @Test
    void aSecondBuildWaitsForTheFirstsLeaseOnTheTimerWithoutHoldingAThreadThenRuns() throws Exception {
        PipelineHarness jenkins = jenkins();
        PipelineHarness.Running first = jenkins.start(rollout(SandboxFleet.NEW, ""), Map.of());
        Await.until("the first build holds the lease", Duration.ofMinutes(2),
                () -> first.build().log().text().contains("started by " + BUILD_URL + "1/"));

        PipelineHarness.Running second = jenkins.start(rollout(SandboxFleet.OLD, ", waitForLeaseMinutes: 3"), Map.of());
        Await.until("the second build waits for the lease", Duration.ofMinutes(1),
                () -> second.build().log().text().contains("Waiting up to PT3M for the lease on group leased held by " + BUILD_URL + "1/"));
        assertThat(status(second.build())).startsWith("rolloutGroup on leased: waiting for the lease on group leased held by "
                + BUILD_URL + "1/ (operation rollout-");
        assertThat(newOperations()).as("nothing written for the waiting operation").hasSize(1)
                .allMatch(o -> o.holder().equals(BUILD_URL + "1/"));
        List<String> blocked = new ArrayList<>();
        Await.until("the first build ends", Duration.ofMinutes(3), () -> {
            TimerThreads.collectWaitingInTheEngine(blocked);
            return first.result().isDone();
        });
        BuildResult firstBuild = first.result().get();
        BuildResult secondBuild = second.result().get(3, TimeUnit.MINUTES);

        assertThat(blocked).as("timer threads found waiting inside the engine while the second build waited").isEmpty();
        assertThat(firstBuild.result()).as(firstBuild.log()).isEqualTo("SUCCESS");
        assertThat(secondBuild.result()).as(secondBuild.log()).isEqualTo("SUCCESS");
        assertThat(secondBuild.log()).contains("started by " + BUILD_URL + "2/").contains("rollout SUCCEEDED").doesNotContain(PIPELINES.secretKey());
        assertThat(SANDBOX.servingVersion(GROUP, SandboxFleet.OLD, 2)).as("the second build's release is the one serving").isTrue();
    }

    @Test
    void withoutWaitForLeaseTheStepFailsAtOnceNamingTheHolderAndChangesNothing() throws Exception {
        Lease other = heldByAnother();
        try {
            BuildResult build = jenkins().run(rollout(SandboxFleet.NEW, ""));

            assertThat(build.result()).as(build.log()).isEqualTo("FAILURE");
            assertThat(build.log()).contains("Group leased is being changed by operator@bastion (operation manual-1")
                    .contains("Nothing was changed").doesNotContain("Waiting up to");
            assertNothingChangedWhileHeldBy(other);
        } finally {
            leases.release(other);
        }
    }

    @Test
    void aWaitThatRunsOutFailsNamingTheHolderAndChangesNothing() throws Exception {
        Lease other = heldByAnother();
        try {
            PipelineHarness.Running running = jenkins().start(rollout(SandboxFleet.NEW, ", waitForLeaseMinutes: 1"), Map.of());
            List<String> blocked = new ArrayList<>();
            Await.until("the wait of one minute runs out", Duration.ofMinutes(3), () -> {
                TimerThreads.collectWaitingInTheEngine(blocked);
                return running.result().isDone();
            });
            BuildResult build = running.result().get();

            assertThat(blocked).as("timer threads found waiting inside the engine").isEmpty();
            assertThat(build.result()).as(build.log()).isEqualTo("FAILURE");
            assertThat(build.log()).contains("Waiting up to PT1M for the lease on group leased held by operator@bastion (operation manual-1).")
                    .contains("Group leased is being changed by operator@bastion (operation manual-1").contains("Nothing was changed");
            assertNothingChangedWhileHeldBy(other);
        } finally {
            leases.release(other);
        }
    }

    @Test
    void stopWhileWaitingEndsTheStepHavingChangedNothing() throws Exception {
        Lease other = heldByAnother();
        try {
            PipelineHarness.Running running = jenkins().start(rollout(SandboxFleet.NEW, ", waitForLeaseMinutes: 5"), Map.of());
            Await.until("the step waits for the lease", Duration.ofMinutes(1),
                    () -> running.build().log().text().contains("Waiting up to PT5M for the lease on group leased held by operator@bastion"));

            running.build().abort();
            BuildResult build = running.result().get(1, TimeUnit.MINUTES);

            assertThat(build.result()).as(build.log()).isEqualTo("ABORTED");
            assertThat(build.log()).contains("was stopped (aborted in Jenkins")
                    .contains("while it waited for the lease on group leased held by operator@bastion (operation manual-1)")
                    .contains("Nothing was changed: the operation never started");
            assertThat(newOperations()).isEmpty();
            assertThat(leases.read(GROUP)).get().extracting(Lease::etag).isEqualTo(other.etag());
        } finally {
            leases.release(other);
        }
    }

    @Test
    void aControllerRestartWhileWaitingKeepsWaitingWithinTheSameBoundAndThenRuns() throws Exception {
        Lease other = heldByAnother();
        PipelineHarness.Running running;
        String giveUpAt;
        try {
            running = jenkins().start(rollout(SandboxFleet.OLD, ", waitForLeaseMinutes: 5"), Map.of());
            Await.until("the step waits for the lease", Duration.ofMinutes(1), () -> status(running.build()).contains("giving up at"));
            giveUpAt = giveUpAt(status(running.build()));

            running.build().restartController();
            Await.until("the resumed step waits again", Duration.ofMinutes(1), () -> status(running.build()).contains("giving up at"));

            assertThat(giveUpAt(status(running.build()))).as("the same bound after the restart").isEqualTo(giveUpAt);
            assertThat(running.build().log().text()).contains("still waiting for the lease on group leased after a controller restart (until "
                    + giveUpAt + ")");
            assertThat(newOperations()).isEmpty();
        } finally {
            leases.release(other);
        }
        BuildResult build = running.result().get(3, TimeUnit.MINUTES);

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).contains("started by " + BUILD_URL + "1/").contains("rollout SUCCEEDED");
        assertThat(newOperations()).hasSize(1);
    }

    private static String giveUpAt(String status) {
        Matcher m = Pattern.compile("giving up at (\\S+)").matcher(status);
        assertThat(m.find()).as(status).isTrue();
        return m.group(1);
    }
}
