package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's main class in a JVM of its own, on the test's class path, as a user runs it: for what
 * only a real process shows (SIGKILL, Ctrl-C and the shutdown hooks, the exit code).
 */
record CliProcess(Process process, ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {

    /** Starts {@code FleetDeployCli args} with {@code environment} added to this JVM's. */
    static CliProcess start(Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FleetDeployCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder.start();
        CliProcess cli = new CliProcess(process, new ByteArrayOutputStream(), new ByteArrayOutputStream());
        copy(process.getInputStream(), cli.stdout, "stdout");
        copy(process.getErrorStream(), cli.stderr, "stderr");
        return cli;
    }

    /** Ctrl-C: SIGINT to the process, through the real kill(1). */
    void interrupt() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill -INT ends").isTrue();
        assertThat(kill.exitValue()).as("kill -INT %s", process.pid()).isZero();
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
