package io.fleetdeploy.sandbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.sandbox.runtime.CommandExecution.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellRunnerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    @TempDir
    Path home;
    @TempDir
    Path output;
    private ShellRunner runner;

    @BeforeEach
    void start() {
        runner = new ShellRunner(2, output, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        runner.close();
    }

    @Test
    void runsTheJoinedCommandsInTheInstanceDirectoryWithItsEnvironment() throws Exception {
        CommandExecution run = runner.run("i-1", home, Map.of("FLEET_INSTANCE_ID", "i-1"),
                List.of("echo \"id=$FLEET_INSTANCE_ID\"", "pwd", "echo \"home=$HOME\"", "false", "echo last > marker"),
                Duration.ofSeconds(10));
        assertThat(run.awaitDone(WAIT)).isTrue();
        assertThat(run.status()).as("the script's exit code is its last command's").isEqualTo(Status.SUCCESS);
        assertThat(run.exitCode()).hasValue(0);
        assertThat(run.stdout()).isEqualTo("id=i-1\n" + home.toRealPath() + "\nhome=" + home.toAbsolutePath() + "\n");
        assertThat(home.resolve("marker")).hasContent("last");
        assertThat(run.instanceId()).isEqualTo("i-1");
        assertThat(run.ended()).hasValueSatisfying(end -> assertThat(end).isAfterOrEqualTo(run.started()));
        assertThat(output).isEmptyDirectory();
    }

    @Test
    void aFailingScriptReportsItsExitCodeAndStderr() {
        CommandExecution run = runner.run("i-1", home, Map.of(), List.of("echo before", "echo oops >&2", "exit 3"),
                Duration.ofSeconds(10));
        assertThat(run.awaitDone(WAIT)).isTrue();
        assertThat(run.status()).isEqualTo(Status.FAILED);
        assertThat(run.exitCode()).hasValue(3);
        assertThat(run.stdout()).isEqualTo("before\n");
        assertThat(run.stderr()).isEqualTo("oops\n");
    }

    @Test
    void aTimeoutKillsTheWholeProcessTree() throws Exception {
        CommandExecution run = runner.run("i-1", home, Map.of(),
                List.of("sleep 60 &", "echo $! > background.pid", "echo started", "sleep 60", "echo never"),
                Duration.ofMillis(1500));
        assertThat(run.awaitDone(WAIT)).isTrue();
        assertThat(run.status()).isEqualTo(Status.TIMED_OUT);
        assertThat(run.exitCode()).isEmpty();
        assertThat(run.stdout()).isEqualTo("started\n");
        long backgroundPid = Long.parseLong(Files.readString(home.resolve("background.pid")).trim());
        Await.until("the backgrounded sleep " + backgroundPid + " is killed", WAIT,
                () -> ProcessHandle.of(backgroundPid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void cancelStopsARunningScriptAndAPendingOneNeverRuns() {
        CommandExecution first = runner.run("i-1", home, Map.of(), List.of("touch first.started", "sleep 60"), Duration.ofMinutes(1));
        CommandExecution second = runner.run("i-2", home, Map.of(), List.of("touch second.started", "sleep 60"), Duration.ofMinutes(1));
        CommandExecution queued = runner.run("i-3", home, Map.of(), List.of("touch queued.started"), Duration.ofMinutes(1));
        Await.until("both slots are busy", WAIT,
                () -> first.status() == Status.IN_PROGRESS && second.status() == Status.IN_PROGRESS);
        assertThat(queued.status()).isEqualTo(Status.PENDING);

        queued.cancel();
        assertThat(queued.status()).isEqualTo(Status.CANCELLED);
        first.cancel();
        second.cancel();
        assertThat(first.awaitDone(WAIT)).isTrue();
        assertThat(second.awaitDone(WAIT)).isTrue();
        assertThat(first.status()).isEqualTo(Status.CANCELLED);
        assertThat(second.status()).isEqualTo(Status.CANCELLED);
        assertThat(home.resolve("queued.started")).doesNotExist();

        CommandExecution after = runner.run("i-1", home, Map.of(), List.of("echo free"), Duration.ofSeconds(10));
        assertThat(after.awaitDone(WAIT)).isTrue();
        assertThat(after.stdout()).isEqualTo("free\n");
        assertThat(home.resolve("queued.started")).as("a cancelled pending script never runs later").doesNotExist();
    }

    @Test
    void outputIsTruncatedTo24000CharactersLikeSsm() {
        CommandExecution run = runner.run("i-1", home, Map.of(),
                List.of("head -c 30000 /dev/zero | tr '\\0' a", "head -c 25000 /dev/zero | tr '\\0' b >&2"),
                Duration.ofSeconds(10));
        assertThat(run.awaitDone(WAIT)).isTrue();
        assertThat(run.status()).isEqualTo(Status.SUCCESS);
        assertThat(run.stdout()).hasSize(24_000).matches("a+");
        assertThat(run.stderr()).hasSize(24_000).matches("b+");
    }

    @Test
    void rejectsBadInputBeforeStartingAnything() {
        assertThatThrownBy(() -> runner.run("i-1", home, Map.of(), List.of(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> runner.run("i-1", home, Map.of(), List.of("true"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> runner.run("i-1", home.resolve("missing"), Map.of(), List.of("true"), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        assertThat(output).isEmptyDirectory();
    }
}
