package io.jenkins.plugins.fleetdeploy;

import hudson.init.Terminator;
import hudson.security.ACL;
import hudson.security.ACLContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Threads for the blocking work of fleet steps (a database migration runs for as long as its
 * scripts do), as workflow-step-api's SynchronousNonBlockingStepExecution keeps its own: not
 * {@code jenkins.util.Timer}, a small pool shared by all of Jenkins for short tasks. Unlike that
 * class, a step using these threads can still poll from the Timer and resume after a restart.
 *
 * <p>When Jenkins shuts down (after the Pipelines were saved), {@link #shutdown()} first runs each
 * running job's {@code whenControllerStops} (a migration cancels its running statement on the
 * database, so the server rolls it back now rather than when it notices the connection is gone),
 * then interrupts the threads. Work that ends because of it reports nothing
 * ({@link #controllerStopping()}): the step's onResume() in the next controller takes over.
 */
public final class BackgroundWork {

    public static final String THREAD_NAME = "fleet-deploy background work";

    private static final Logger LOGGER = Logger.getLogger(BackgroundWork.class.getName());
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(30);

    private static Pool pool;

    private BackgroundWork() {
    }

    /** Runs {@code work} on a fleet-deploy thread; {@code whenControllerStops} runs (once) if Jenkins shuts down meanwhile. */
    public static Future<?> submit(Runnable work, Runnable whenControllerStops) {
        return pool().submit(work, whenControllerStops);
    }

    /** True on a fleet-deploy thread whose Jenkins is shutting down: report nothing to the step, onResume() goes on. */
    public static boolean controllerStopping() {
        return Thread.currentThread() instanceof WorkThread thread && thread.pool.stopping;
    }

    /** Jenkins is stopping: stop the running work (its own way, then by interrupt) and wait, bounded, for it to end. */
    @Terminator(requires = "FlowExecutionList.EXECUTIONS_SUSPENDED") // workflow-api's milestone: the Pipelines are saved
    public static void shutdown() throws InterruptedException {
        Pool stopping;
        synchronized (BackgroundWork.class) {
            stopping = pool;
            pool = null;
        }
        if (stopping != null) {
            stopping.shutdown(SHUTDOWN_WAIT);
        }
    }

    private static synchronized Pool pool() {
        if (pool == null) {
            pool = new Pool();
        }
        return pool;
    }

    private static final class Pool {
        private final AtomicInteger threads = new AtomicInteger();
        private final Map<Future<?>, Runnable> stopHooks = new ConcurrentHashMap<>();
        private final ExecutorService executor = Executors.newCachedThreadPool(work -> {
            Thread thread = new WorkThread(this, work, THREAD_NAME + " " + threads.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(BackgroundWork.class.getClassLoader());
            return thread;
        });
        private volatile boolean stopping;

        Future<?> submit(Runnable work, Runnable whenControllerStops) {
            // As SYSTEM, as jenkins.util.Timer's threads run (the step looks its credentials up for the build's run itself).
            Runnable asSystem = () -> {
                try (ACLContext ignored = ACL.as2(ACL.SYSTEM2)) {
                    work.run();
                }
            };
            FutureTask<Void> task = new FutureTask<>(asSystem, null) {
                @Override
                protected void done() {
                    stopHooks.remove(this);
                }
            };
            stopHooks.put(task, whenControllerStops);
            executor.execute(task);
            return task;
        }

        void shutdown(Duration wait) throws InterruptedException {
            stopping = true;
            for (Runnable hook : stopHooks.values()) {
                try {
                    hook.run();
                } catch (RuntimeException e) {
                    LOGGER.log(Level.WARNING, "fleet-deploy: stopping background work failed", e);
                }
            }
            executor.shutdownNow();
            if (!executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOGGER.warning("fleet-deploy: background work did not end within " + wait.toSeconds() + " s of Jenkins shutting down");
            }
        }
    }

    private static final class WorkThread extends Thread {
        private final Pool pool;

        WorkThread(Pool pool, Runnable work, String name) {
            super(work, name);
            this.pool = pool;
        }
    }
}
