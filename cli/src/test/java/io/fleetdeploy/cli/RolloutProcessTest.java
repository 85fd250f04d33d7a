package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.core.testing.SandboxFleet.GroupSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * over the dead process's lease; SIGINT (Ctrl-C) aborts with exit code 130 and puts everything back.
 */
class RolloutProcessTest {

    private static final Pattern OPERATION_ID = Pattern.compile("\\[(rollout-push-[A-Za-z0-9-]+)\\] started by");

    @RegisterExtension
    static final SandboxFleet SANDBOX = new SandboxFleet("RolloutProcessTest", List.of(new GroupSpec("killed", 3, 0),
            new GroupSpec("interrupted", 3, 0)));

    @Test
    void aRolloutKilledInBatchTwoIsFinishedByResumeInAnotherProcess() throws Exception {
        CliProcess rollout = CliProcess.start(withFleet("rollout", "--group", "killed", "--version", "2.0", "--batch-size", "1",
                "--min-healthy-percent", "66", "--timeout", "2m", "--holder", "ci#killed"));
        try {
            awaitBatchTwo(rollout);
        } finally {
            rollout.process.destroyForcibly(); // SIGKILL: no shutdown hook, no undo, the lease stays
        }
        assertThat(rollout.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(rollout.process.exitValue()).isEqualTo(137);
        String id = operationId(rollout.err());

        CliProcess resume = CliProcess.start(withFleet("resume", id, "--holder", "ci#resumer"));
        assertThat(resume.process.waitFor(4, TimeUnit.MINUTES)).as("resume ends (stderr: %s)", resume.err()).isTrue();
        assertThat(resume.process.exitValue()).as(resume.err()).isZero();
        assertThat(resume.out()).contains(id + " SUCCEEDED").containsPattern("API calls: [1-9]\\d*");
        assertThat(resume.err()).contains("resumed by ci#resumer");
        assertThat(SANDBOX.servingVersion("killed", "2.0", 3)).isTrue();
    }

    @Test
    void ctrlCAbortsWithExitCode130AndPutsEverythingBack() throws Exception {
        CliProcess rollout = CliProcess.start(withFleet("rollout", "--group", "interrupted", "--version", "2.0", "--batch-size", "1",
                "--min-healthy-percent", "66", "--timeout", "2m", "--holder", "me@laptop"));
        try {
            awaitBatchTwo(rollout);
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(rollout.process.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            assertThat(rollout.process.waitFor(4, TimeUnit.MINUTES)).as("the CLI ends its undo (stderr: %s)", rollout.err()).isTrue();
        } finally {
            rollout.process.destroyForcibly();
        }
        assertThat(rollout.process.exitValue()).as(rollout.err()).isEqualTo(130);
        assertThat(rollout.out()).contains("ABORTED");
        assertThat(rollout.err()).contains("Ctrl-C: aborting").doesNotContain("did not finish in time");
        Await.until("group interrupted serves 1.0 again", Duration.ofMinutes(1), () -> SANDBOX.servingVersion("interrupted", "1.0", 3));
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

    /** The CLI's main class in a JVM of its own, on this test's class path, credentials in its environment. */
    private record CliProcess(Process process, ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {

        static CliProcess start(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), FleetDeployCli.class.getName()));
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(SANDBOX.credentialsEnvironment());
            Process process = builder.start();
            CliProcess cli = new CliProcess(process, new ByteArrayOutputStream(), new ByteArrayOutputStream());
            copy(process.getInputStream(), cli.stdout, "stdout");
            copy(process.getErrorStream(), cli.stderr, "stderr");
            return cli;
        }

        String out() {
            synchronized (stdout) {
                return stdout.toString(StandardCharsets.UTF_8);
            }
        }

        String err() {
            synchronized (stderr) {
                return stderr.toString(StandardCharsets.UTF_8);
            }
        }

        private static void copy(InputStream from, ByteArrayOutputStream to, String name) {
            Thread copier = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try (from) {
                    for (int n = from.read(buffer); n >= 0; n = from.read(buffer)) {
                        synchronized (to) {
                            to.write(buffer, 0, n);
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "cli-" + name);
            copier.setDaemon(true);
            copier.start();
        }
    }
}
