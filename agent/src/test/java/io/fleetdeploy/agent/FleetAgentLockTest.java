package io.fleetdeploy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** One run at a time per FLEET_HOME: concurrent runs queue on the lock; a dead run's lock is broken. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentLockTest {

    @RegisterExtension
    static final S3Endpoint s3 = new S3Endpoint();

    private AgentHarness instance(Path root, String bucket) throws Exception {
        return new AgentHarness(s3, root, List.of("sh"), bucket, "deploy", "i-lock");
    }

    @Test
    void concurrentInstallsRunOneAfterTheOther(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, "lock-concurrent");
        // Each start hook logs begin and end around a pause: interleaved lines would mean two runs overlapped.
        for (String version : List.of("2.0", "3.0")) {
            agent.publish(Release.of(version).withHook("start",
                    "echo \"begin $FLEET_VERSION\" >> \"$FLEET_HOME/hooks.log\"; sleep 1; "
                            + "echo \"end $FLEET_VERSION\" >> \"$FLEET_HOME/hooks.log\""));
        }

        Process a = agent.start("install", "2.0");
        Process b = agent.start("install", "3.0");
        AgentHarness.Result resultA = agent.finish(a, "install", "2.0");
        AgentHarness.Result resultB = agent.finish(b, "install", "3.0");

        resultA.assertSucceeded();
        resultB.assertSucceeded();
        List<String> log = agent.hookLog();
        assertThat(log).hasSize(6);
        for (int i = 0; i < log.size(); i += 3) {
            String version = log.get(i).substring("start ".length());
            assertThat(log.subList(i, i + 3)).containsExactly("start " + version, "begin " + version, "end " + version);
        }
        String current = agent.current();
        String lastInstalled = log.get(5).substring("end ".length());
        assertThat(current).isEqualTo(lastInstalled);
        assertThat(agent.home().resolve("current/app.txt")).hasContent("application " + current);
        assertThat(agent.releasesOnDisk()).containsExactly("2.0", "3.0");
        assertThat(agent.status().get("version").asText()).isEqualTo(current);
        assertThat(agent.leftovers()).isEmpty();
    }

    @Test
    void theLockOfADeadRunIsBroken(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, "lock-stale");
        agent.publish(Release.of("1.0"));
        Process dead = new ProcessBuilder("true").start();
        assertThat(dead.waitFor(10, TimeUnit.SECONDS)).as("a process that exits at once").isTrue();
        Path lock = Files.createDirectories(agent.home().resolve(".fleet/lock"));
        Files.writeString(lock.resolve("pid"), dead.pid() + "\n");

        AgentHarness.Result result = agent.run("install", "1.0");

        result.assertSucceeded();
        assertThat(result.stderr()).contains("removed the stale lock of pid " + dead.pid());
        assertThat(agent.current()).isEqualTo("1.0");
        assertThat(agent.leftovers()).isEmpty();
    }

    @Test
    void aLiveRunsLockIsWaitedForThenReported(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, "lock-live");
        Path lock = Files.createDirectories(agent.home().resolve(".fleet/lock"));
        long alive = ProcessHandle.current().pid();
        Files.writeString(lock.resolve("pid"), alive + "\n");

        AgentHarness.Result result = agent.env("FLEET_LOCK_WAIT", "1").run("install", "1.0");

        assertThat(result.exitCode()).isEqualTo(4);
        assertThat(result.lastErrorLine()).contains("another fleet-agent run (pid " + alive + ") still holds",
                "after 1s", "nothing was changed", "no release is current");
        assertThat(lock.resolve("pid")).as("the live run's lock is left alone").hasContent(alive + "\n");
        assertThat(agent.s3Calls()).isEmpty();
        assertThat(agent.releasesOnDisk()).isEmpty();
    }

    @Test
    void aLockWithoutOwnerIsWaitedForAndNeverTakenOver(@TempDir Path root) throws Exception {
        AgentHarness agent = instance(root, "lock-no-owner");
        Path lock = Files.createDirectories(agent.home().resolve(".fleet/lock"));

        AgentHarness.Result result = agent.env("FLEET_LOCK_WAIT", "1").run("install", "1.0");

        assertThat(result.exitCode()).isEqualTo(4);
        assertThat(result.lastErrorLine()).contains("another fleet-agent run (pid unknown) still holds",
                "remove " + lock.toRealPath());
        assertThat(lock).isDirectory();
        assertThat(agent.s3Calls()).isEmpty();
    }
}
