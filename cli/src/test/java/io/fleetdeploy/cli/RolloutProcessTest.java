package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.operation.Lease;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * `fleet-deploy rollout` as a user runs it: a JVM of its own, stopped the hard way. SIGKILL in
 * batch 2 leaves a persisted operation that `fleet-deploy resume` (another JVM) finishes, taking
 * over the dead process's lease; SIGINT (Ctrl-C) aborts with exit code 130 and puts everything back;
 * --wait-for-lease waits for another operation's lease, writing nothing, and then runs.
 */
class RolloutProcessTest {

    private static final Pattern OPERATION_ID = Pattern.compile("\\[(rollout-push-[A-Za-z0-9-]+)\\] started by");

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("RolloutProcessTest", List.of(new GroupSpec("killed", 3, 0),
            new GroupSpec("interrupted", 3, 0), new GroupSpec("waiting", 2, 0)));

    @Test
    void aRolloutKilledInBatchTwoIsFinishedByResumeInAnotherProcess() throws Exception {
        CliProcess rollout = CliProcess.start(SANDBOX.credentialsEnvironment(), withFleet("rollout", "--group", "killed", "--version", "2.0",
                "--batch-size", "1", "--min-healthy-percent", "66", "--timeout", "2m", "--holder", "ci#killed"));
        try {
            awaitBatchTwo(rollout);
        } finally {
            rollout.process().destroyForcibly(); // SIGKILL: no shutdown hook, no undo, the lease stays
        }
        assertThat(rollout.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(rollout.process().exitValue()).isEqualTo(137);
        String id = operationId(rollout.err());

        CliProcess resume = CliProcess.start(SANDBOX.credentialsEnvironment(), withFleet("resume", id, "--holder", "ci#resumer"));
        assertThat(resume.process().waitFor(4, TimeUnit.MINUTES)).as("resume ends (stderr: %s)", resume.err()).isTrue();
        assertThat(resume.process().exitValue()).as(resume.err()).isZero();
        assertThat(resume.out()).contains(id + " SUCCEEDED").containsPattern("API calls: [1-9]\\d*");
        assertThat(resume.err()).contains("resumed by ci#resumer");
        assertThat(SANDBOX.servingVersion("killed", "2.0", 3)).isTrue();
    }

    @Test
    void ctrlCAbortsWithExitCode130AndPutsEverythingBack() throws Exception {
        CliProcess rollout = CliProcess.start(SANDBOX.credentialsEnvironment(), withFleet("rollout", "--group", "interrupted", "--version", "2.0",
                "--batch-size", "1", "--min-healthy-percent", "66", "--timeout", "2m", "--holder", "me@laptop"));
        try {
            awaitBatchTwo(rollout);
            rollout.interrupt();
            assertThat(rollout.process().waitFor(4, TimeUnit.MINUTES)).as("the CLI ends its undo (stderr: %s)", rollout.err()).isTrue();
        } finally {
            rollout.process().destroyForcibly();
        }
        assertThat(rollout.process().exitValue()).as(rollout.err()).isEqualTo(130);
        assertThat(rollout.out()).contains("ABORTED");
        assertThat(rollout.err()).contains("Ctrl-C: aborting").doesNotContain("did not finish in time");
        Await.until("group interrupted serves 1.0 again", Duration.ofMinutes(1), () -> SANDBOX.servingVersion("interrupted", "1.0", 3));
    }

    @Test
    void withWaitForLeaseARolloutWaitsForTheGroupsHolderWritingNothingThenRuns() throws Exception {
        S3Leases leases = SANDBOX.leases();
        Lease other = leases.acquire("waiting", "operator@bastion", "manual-1", new LeaseOptions(Duration.ofHours(1), null, false),
                ProgressListener.NONE);
        CliProcess rollout;
        try (AwsFleet fleet = SANDBOX.fleet("test", ProgressListener.NONE)) {
            rollout = CliProcess.start(SANDBOX.credentialsEnvironment(), withFleet("rollout", "--group", "waiting", "--version", "2.0",
                    "--batch-size", "1", "--timeout", "2m", "--holder", "ci#waiter", "--wait-for-lease", "3m"));
            try {
                Await.until("the CLI waits for the lease (stderr: " + rollout.err() + ")", Duration.ofMinutes(1),
                        () -> rollout.err().contains("Waiting up to PT3M for the lease on group waiting held by operator@bastion (operation manual-1)."));
                assertThat(fleet.store().list()).as("nothing written for the waiting rollout").noneMatch(o -> o.holder().equals("ci#waiter"));
            } finally {
                leases.release(other); // the other operation ends
            }
            assertThat(rollout.process().waitFor(4, TimeUnit.MINUTES)).as("the rollout ends (stderr: %s)", rollout.err()).isTrue();
        }
        assertThat(rollout.process().exitValue()).as(rollout.err()).isZero();
        assertThat(rollout.err()).containsOnlyOnce("Waiting up to PT3M").contains("started by ci#waiter.");
        assertThat(rollout.out()).contains("SUCCEEDED");
        assertThat(SANDBOX.servingVersion("waiting", "2.0", 2)).isTrue();
    }

    private static void awaitBatchTwo(CliProcess rollout) {
        Await.until("the CLI takes batch 2 out of traffic (stderr: " + rollout.err() + ")", Duration.ofMinutes(3),
                () -> rollout.err().contains("batch 2/3: ") && rollout.err().contains("leaving traffic"));
    }

    private String[] withFleet(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bucket", SANDBOX.sandbox().bucket(), "--prefix", SANDBOX.sandbox().prefix(), "--app", SandboxFleet.APP,
                "--s3-endpoint", SANDBOX.sandbox().s3Endpoint().toString(), "--endpoint", SANDBOX.sandbox().awsEndpoint().toString(),
                "--region", SANDBOX.sandbox().region(), "--poll-interval", "250ms"));
        return all.toArray(String[]::new);
    }

    private static String operationId(String err) {
        Matcher m = OPERATION_ID.matcher(err);
        assertThat(m.find()).as("the operation id in: %s", err).isTrue();
        return m.group(1);
    }
}
