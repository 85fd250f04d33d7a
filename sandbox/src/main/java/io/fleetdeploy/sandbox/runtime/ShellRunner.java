package io.fleetdeploy.sandbox.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs SSM {@code AWS-RunShellScript} commands for real: the commands joined by newlines are the script
 * {@code sh -c} runs in the instance's directory, with the instance's environment; the script's exit code
 * decides Success/Failed; after the timeout the whole process tree is killed (TimedOut). At most
 * {@code maxConcurrent} scripts run at once; the others wait as Pending.
 *
 * <p>Environment: PATH and LANG of this process, HOME set to the working directory (the instance's
 * disk, so tools that write under ~ stay inside it), then the instance's variables, which win.
 * Output goes to files under the runner's own directory, not to reader threads.
 */
public final class ShellRunner implements AutoCloseable {
    public static final int DEFAULT_MAX_CONCURRENT = 8;

    private final ExecutorService workers;
    private final Path outputDir;
    private final boolean ownsOutputDir;
    private final Clock clock;
    private final Set<ShellExecution> active = ConcurrentHashMap.newKeySet();

    /** Up to {@value #DEFAULT_MAX_CONCURRENT} scripts at once, output in a temporary directory removed on close. */
    public ShellRunner() {
        this(DEFAULT_MAX_CONCURRENT, createTempDir(), true, Clock.systemUTC());
    }

    /** Output files are written under {@code outputDir} and left there. */
    public ShellRunner(int maxConcurrent, Path outputDir, Clock clock) {
        this(maxConcurrent, outputDir, false, clock);
    }

    private ShellRunner(int maxConcurrent, Path outputDir, boolean ownsOutputDir, Clock clock) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be at least 1, was " + maxConcurrent);
        }
        this.outputDir = Objects.requireNonNull(outputDir, "outputDir");
        this.ownsOutputDir = ownsOutputDir;
        this.clock = Objects.requireNonNull(clock, "clock");
        ThreadPoolExecutor pool = new ThreadPoolExecutor(maxConcurrent, maxConcurrent, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), RuntimeIo.daemonThreads("sandbox-shell"));
        pool.allowCoreThreadTimeOut(true);
        this.workers = pool;
    }

    /**
     * Accepts the script and returns at once (Pending until a slot is free).
     *
     * @throws IllegalArgumentException when the commands are empty, the timeout is not positive or the
     *                                  working directory does not exist; nothing is started then
     */
    public CommandExecution run(String instanceId, Path workingDir, Map<String, String> env, List<String> commands,
                                Duration timeout) {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(env, "env");
        if (commands == null || commands.isEmpty() || commands.stream().allMatch(c -> c == null || c.isBlank())) {
            throw new IllegalArgumentException("commands for " + instanceId + " are empty: give at least one command");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout for " + instanceId + " must be positive, was " + timeout);
        }
        if (workingDir == null || !Files.isDirectory(workingDir)) {
            throw new IllegalArgumentException("working directory " + workingDir + " of " + instanceId + " does not exist");
        }
        try {
            Files.createDirectories(outputDir);
            Path stdout = Files.createTempFile(outputDir, instanceId + "-", ".stdout");
            Path stderr = stdout.resolveSibling(stdout.getFileName().toString().replace(".stdout", ".stderr"));
            ShellExecution execution = new ShellExecution(instanceId, workingDir, environment(workingDir, env),
                    String.join("\n", commands), timeout, stdout, stderr, clock, active::remove);
            active.add(execution);
            execution.submitTo(workers);
            return execution;
        } catch (IOException e) {
            throw new UncheckedIOException("could not create output files for a command on " + instanceId
                    + " under " + outputDir, e);
        }
    }

    private static Map<String, String> environment(Path workingDir, Map<String, String> instanceEnv) {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.put("LANG", System.getenv().getOrDefault("LANG", "C.UTF-8"));
        env.put("HOME", workingDir.toAbsolutePath().toString());
        env.putAll(instanceEnv);
        return env;
    }

    /** Cancels everything still pending or running (killing the process trees) and stops the workers. */
    @Override
    public void close() {
        for (ShellExecution execution : List.copyOf(active)) {
            execution.cancel();
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsOutputDir) {
            Directories.deleteTree(outputDir);
        }
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("fleet-sandbox-ssm-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for command output", e);
        }
    }
}
