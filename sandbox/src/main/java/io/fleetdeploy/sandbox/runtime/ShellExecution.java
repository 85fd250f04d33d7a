package io.fleetdeploy.sandbox.runtime;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A script run by {@link ShellRunner}: its state machine and its process. */
final class ShellExecution implements CommandExecution {
    static final int MAX_OUTPUT_CHARS = 24_000;

    private final String instanceId;
    private final Path workingDir;
    private final Map<String, String> env;
    private final String script;
    private final Duration timeout;
    private final Path stdoutFile;
    private final Path stderrFile;
    private final Clock clock;
    private final Consumer<ShellExecution> onDone;
    private final Instant started;
    private final CountDownLatch done = new CountDownLatch(1);

    // Guarded by this.
    private Status status = Status.PENDING;
    private Process process;
    private boolean cancelRequested;
    private Future<?> task;
    // Written before done counts down.
    private volatile OptionalInt exitCode = OptionalInt.empty();
    private volatile Instant ended;
    private volatile String finalStdout;
    private volatile String finalStderr;

    ShellExecution(String instanceId, Path workingDir, Map<String, String> env, String script, Duration timeout,
                   Path stdoutFile, Path stderrFile, Clock clock, Consumer<ShellExecution> onDone) {
        this.instanceId = instanceId;
        this.workingDir = workingDir;
        this.env = Map.copyOf(env);
        this.script = script;
        this.timeout = timeout;
        this.stdoutFile = stdoutFile;
        this.stderrFile = stderrFile;
        this.clock = clock;
        this.onDone = onDone;
        this.started = clock.instant();
    }

    synchronized void submitTo(ExecutorService workers) {
        task = workers.submit(this::execute);
    }

    private void execute() {
        Process started;
        synchronized (this) {
            if (status != Status.PENDING) {
                return;
            }
            ProcessBuilder builder = new ProcessBuilder("sh", "-c", script)
                    .directory(workingDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(stdoutFile.toFile())
                    .redirectError(stderrFile.toFile());
            builder.environment().clear();
            builder.environment().putAll(env);
            try {
                process = builder.start();
            } catch (IOException e) {
                finish(Status.FAILED, OptionalInt.empty(), "could not start sh: " + e.getMessage() + "\n");
                return;
            }
            status = Status.IN_PROGRESS;
            started = process;
        }
        try {
            boolean exited = started.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                int code = started.exitValue();
                synchronized (this) {
                    if (cancelRequested) {
                        finish(Status.CANCELLED, OptionalInt.empty(), null);
                    } else {
                        finish(code == 0 ? Status.SUCCESS : Status.FAILED, OptionalInt.of(code), null);
                    }
                }
            } else {
                killTree(started.toHandle());
                started.waitFor(10, TimeUnit.SECONDS);
                synchronized (this) {
                    finish(cancelRequested ? Status.CANCELLED : Status.TIMED_OUT, OptionalInt.empty(), null);
                }
            }
        } catch (InterruptedException e) {
            // The runner is closing: nothing may outlive it.
            killTree(started.toHandle());
            synchronized (this) {
                finish(Status.CANCELLED, OptionalInt.empty(), null);
            }
        }
    }

    /**
     * Kills a process and everything it started: each parent dies first (so a shell cannot start its next
     * command), its children having been listed just before (so orphans are still known and killed).
     */
    static void killTree(ProcessHandle root) {
        Deque<ProcessHandle> toKill = new ArrayDeque<>();
        toKill.push(root);
        while (!toKill.isEmpty()) {
            ProcessHandle process = toKill.pop();
            List<ProcessHandle> children = process.children().toList();
            process.destroyForcibly();
            children.forEach(toKill::push);
        }
    }

    private void finish(Status terminal, OptionalInt code, String extraStderr) {
        if (status.done()) {
            return;
        }
        exitCode = code;
        finalStdout = read(stdoutFile);
        finalStderr = extraStderr == null ? read(stderrFile) : truncate(read(stderrFile) + extraStderr);
        ended = clock.instant();
        status = terminal;
        deleteQuietly(stdoutFile);
        deleteQuietly(stderrFile);
        done.countDown();
        onDone.accept(this);
    }

    @Override
    public void cancel() {
        Process running;
        synchronized (this) {
            if (status == Status.PENDING) {
                if (task != null) {
                    task.cancel(false);
                }
                finish(Status.CANCELLED, OptionalInt.empty(), null);
                return;
            }
            if (status != Status.IN_PROGRESS) {
                return;
            }
            cancelRequested = true;
            running = process;
        }
        killTree(running.toHandle());
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    @Override
    public synchronized Status status() {
        return status;
    }

    @Override
    public OptionalInt exitCode() {
        return exitCode;
    }

    @Override
    public String stdout() {
        String value = finalStdout;
        return value != null ? value : read(stdoutFile);
    }

    @Override
    public String stderr() {
        String value = finalStderr;
        return value != null ? value : read(stderrFile);
    }

    @Override
    public boolean awaitDone(Duration max) {
        try {
            return done.await(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public Instant started() {
        return started;
    }

    @Override
    public Optional<Instant> ended() {
        return Optional.ofNullable(ended);
    }

    private static String read(Path file) {
        if (!Files.exists(file)) {
            return "";
        }
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try (Reader reader = new java.io.InputStreamReader(Files.newInputStream(file), decoder)) {
            char[] buffer = new char[MAX_OUTPUT_CHARS];
            int filled = 0;
            int n;
            while (filled < buffer.length && (n = reader.read(buffer, filled, buffer.length - filled)) > 0) {
                filled += n;
            }
            return new String(buffer, 0, filled);
        } catch (IOException e) {
            return "";
        }
    }

    private static String truncate(String text) {
        return text.length() <= MAX_OUTPUT_CHARS ? text : text.substring(0, MAX_OUTPUT_CHARS);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Left in the runner's output directory, removed with it.
        }
    }
}
