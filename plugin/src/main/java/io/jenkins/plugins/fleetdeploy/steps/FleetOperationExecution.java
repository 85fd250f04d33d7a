package io.jenkins.plugins.fleetdeploy.steps;

import hudson.EnvVars;
import hudson.model.Run;
import hudson.model.TaskListener;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.operation.AbortSignal;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.OperationInterruptedException;
import io.fleetdeploy.core.operation.OperationRecord;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStatus;
import io.fleetdeploy.core.operation.PendingStart;
import io.fleetdeploy.core.operation.Sleeper;
import io.jenkins.plugins.fleetdeploy.FleetConnection;
import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.ListenerProgress;
import io.jenkins.plugins.fleetdeploy.StepFailures;
import hudson.AbortException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.util.Timer;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;

/**
 * A drain, rollout or traffic switch run the way workflow-basic-steps' SleepStep waits: no thread
 * is held between polls. The engine's operation is ticked from {@link Timer}; its state and undo
 * log live in the bucket, and this execution keeps (in non-transient fields, saved with the
 * Pipeline) only what it needs to find it again: the operation id and the settings. After a
 * controller restart {@link #onResume()} takes the operation back and goes on; {@link #stop}
 * asks the engine to abort, which replays the undo log before the step ends.
 */
abstract class FleetOperationExecution extends StepExecution {

    private static final long serialVersionUID = 1L;
    private static final Logger LOGGER = Logger.getLogger(FleetOperationExecution.class.getName());

    private final String stepName;
    private final String target;
    private final String release;
    private final FleetSettings settings;
    private final long startedMillis;
    private final Duration waitForLease;
    private final boolean force;
    private volatile String operationId;
    /** Set while the operation waits for its group's lease (nothing of it written yet); kept across a restart. */
    private volatile PendingStart pendingStart;
    private volatile String stopReason;

    private transient volatile Live live;
    private transient volatile ScheduledFuture<?> task;

    FleetOperationExecution(StepContext context, String stepName, String target, String release, FleetSettings settings,
                            FleetOperationStep step) {
        super(context);
        this.stepName = stepName;
        this.target = target;
        this.release = release;
        this.settings = settings;
        this.startedMillis = System.currentTimeMillis();
        this.waitForLease = step.waitForLease();
        this.force = step.isForce();
    }

    /** Checks the step's arguments without AWS; called in start(), before anything is contacted. */
    abstract void validate();

    /** Validates against the fleet and starts the engine's operation (takes the lease, persists it; changes nothing yet). */
    abstract OperationRunner.Session<?, ?> begin(FleetOperations operations, AbortSignal abort);

    /** How often the step looks at the fleet; the engine's default is 5 seconds. */
    abstract Duration pollInterval();

    @Override
    public final boolean start() throws Exception {
        try {
            validate();
        } catch (FleetDeployException e) {
            record("FAILED", e.getMessage());
            throw StepFailures.abort(e);
        }
        schedule(Duration.ZERO, this::open);
        return false;
    }

    @Override
    public final void onResume() {
        if (operationId == null && pendingStart != null) {
            schedule(Duration.ZERO, this::reopenWaiting);
            return;
        }
        if (operationId == null) {
            getContext().onFailure(new AbortException("Jenkins restarted before " + stepName + " on " + target
                    + " had started its operation; nothing in the fleet was changed by it. Run the build again."));
            return;
        }
        schedule(Duration.ZERO, this::reopen);
    }

    @Override
    public final void stop(Throwable cause) throws Exception {
        stopReason = "aborted in Jenkins: " + cause;
        Live current = live;
        if (current != null) {
            current.abort.request(stopReason);
            // The undo log is replayed by the ticks that follow, and then the step fails.
            tickSoon();
            return;
        }
        if (operationId == null && pendingStart == null) {
            ScheduledFuture<?> opening = task;
            if (opening == null || opening.cancel(false)) {
                // The operation was never started: nothing in the fleet to put back.
                close();
                getContext().onFailure(cause);
            }
            // else open() is running: it sees stopReason as soon as the operation exists and aborts it.
            return;
        }
        // Taken back after a restart but not reconnected yet: reopen() (or reopenWaiting()) sees stopReason and aborts.
    }

    @Override
    public final String getStatus() {
        Live current = live;
        if (current != null && current.session != null && current.session.waitingForLease()) {
            return stepName + " on " + target + ": waiting for " + current.session.waitingFor();
        }
        PendingStart pending = pendingStart;
        if (operationId == null && pending != null) {
            return stepName + " on " + target + ": waiting for the lease on group " + pending.group() + " (until "
                    + pending.giveUpAt() + "), reconnecting after a restart";
        }
        if (operationId == null) {
            return "starting " + stepName + " on " + target;
        }
        if (current == null || current.session == null) {
            return "taking back operation " + operationId + " after a restart";
        }
        OperationRecord record = current.session.record();
        String waiting = current.session.waitingFor() != null ? ", waiting for " + current.session.waitingFor() : "";
        return stepName + " " + operationId + ": " + record.status().name().toLowerCase() + waiting;
    }

    /** The engine operation's id once it started (for tests and the summary). */
    final String operationId() {
        return operationId;
    }

    private void open() {
        try {
            Live opened = connect();
            OperationRunner.Session<?, ?> session = begin(opened.fleet.operations(), opened.abort);
            live = opened.with(session);
            if (session.waitingForLease()) {
                pendingStart = session.pendingStart().orElseThrow();
            } else {
                operationId = session.id();
            }
            abortIfStopped(opened);
            getContext().saveState();
            tick();
        } catch (Exception e) {
            fail(e);
        }
    }

    private void reopen() {
        try {
            Live opened = connect();
            OperationRecord saved = opened.fleet.store().load(operationId);
            if (saved.status().isFinal() && !(saved.status() == OperationStatus.FAILED && !saved.undo().isEmpty())) {
                // It ended before the restart, but the step had not reported it yet.
                live = opened;
                log("operation " + operationId + " had ended before the controller restart: " + saved.status());
                finish(opened, saved);
                return;
            }
            abortIfStopped(opened);
            live = opened.with(opened.fleet.operations().startResume(operationId, opened.abort));
            abortIfStopped(opened); // stop() may have come while the lease was taken back
            log("taken back after a controller restart: " + operationId);
            tick();
        } catch (Exception e) {
            fail(e);
        }
    }

    /** After a restart while the operation waited for its lease: waits on, within the bound it had. */
    private void reopenWaiting() {
        try {
            Live opened = connect();
            abortIfStopped(opened); // the next tick ends the wait, having changed nothing
            live = opened.with(opened.fleet.operations().continueStart(pendingStart, opened.abort));
            abortIfStopped(opened);
            log("still waiting for the lease on group " + pendingStart.group() + " after a controller restart (until "
                    + pendingStart.giveUpAt() + ")");
            tick();
        } catch (Exception e) {
            fail(e);
        }
    }

    private void abortIfStopped(Live opened) {
        String reason = stopReason;
        if (reason != null) {
            opened.abort.request(reason);
        }
    }

    private synchronized void tick() {
        Live current = live;
        if (current == null || current.session == null) {
            return;
        }
        try {
            Duration wait = current.session.tick();
            if (pendingStart != null && !current.session.waitingForLease()) {
                // The lease is held and the operation persisted: from now on a restart resumes it by its id.
                operationId = current.session.id();
                pendingStart = null;
                getContext().saveState();
            }
            if (wait == null) {
                finish(current, current.session.record());
            } else {
                schedule(wait, this::tick);
            }
        } catch (OperationInterruptedException e) {
            // Only Timer.shutdown() interrupts the timer's threads: the controller is stopping. The
            // operation keeps its persisted state and onResume() goes on after the restart. Not a
            // failure, so no rollback; and nothing is scheduled, so two controllers never tick it.
            log(operationId == null
                    ? "interrupted: Jenkins is stopping; the wait for the lease on " + target + " goes on after the restart"
                    : "interrupted: Jenkins is stopping; operation " + operationId + " goes on from its saved state after the restart");
        } catch (Exception e) {
            fail(e);
        }
    }

    /** Ticks at once unless a tick is running now (it schedules the next one itself when it ends). */
    private void tickSoon() {
        ScheduledFuture<?> next = task;
        if (next == null || next.cancel(false)) {
            schedule(Duration.ZERO, this::tick);
        }
    }

    private void finish(Live current, OperationRecord record) throws IOException {
        current.fleet.operations().markRestored(record);
        close();
        String detail = record.message() != null ? record.message() : record.status().name();
        if (record.status() == OperationStatus.SUCCEEDED) {
            record("SUCCEEDED", operationId + ": " + detail);
            getContext().onSuccess(result(record));
            return;
        }
        record(record.status().name(), operationId + ": " + detail);
        getContext().onFailure(new AbortException(stepName + " on " + target + " ended " + record.status()
                + " (operation " + operationId + "): " + detail));
    }

    private void fail(Exception e) {
        close();
        boolean stoppedWhileWaiting = stopReason != null && operationId == null;
        if (stoppedWhileWaiting) {
            // It never started and changed nothing; Jenkins shows the abort, the log says what it was waiting for.
            log(e.getMessage());
        }
        try {
            record(stoppedWhileWaiting ? "ABORTED" : "FAILED", e.getMessage());
        } catch (IOException x) {
            e.addSuppressed(x);
        }
        getContext().onFailure(e instanceof FleetDeployException f ? StepFailures.abort(f) : e);
    }

    private Map<String, Object> result(OperationRecord record) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("operationId", record.id());
        out.put("group", record.group());
        out.put("status", record.status().name());
        out.put("message", record.message());
        out.put("changes", record.undo().size());
        return out;
    }

    private Live connect() throws IOException, InterruptedException {
        StepContext context = getContext();
        Run<?, ?> run = context.get(Run.class);
        TaskListener listener = context.get(TaskListener.class);
        EnvVars env = context.get(EnvVars.class);
        FleetConnection connection = FleetConnection.open(settings, run, env);
        try {
            AbortSignal abort = new AbortSignal();
            String holder = env.get("BUILD_URL") != null ? env.get("BUILD_URL") : run.getExternalizableId();
            AwsFleet fleet = new AwsFleet(connection.aws(), connection.s3(), connection.layout(),
                    new AwsFleet.Options(holder, pollInterval(), new LeaseOptions(null, waitForLease, force),
                            connection.agentS3Endpoint(), null),
                    Clock.systemUTC(), Sleeper.interruptibleBy(abort), new ListenerProgress(listener));
            return new Live(connection, fleet, abort, null);
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private void schedule(Duration delay, Runnable work) {
        if (Thread.currentThread().isInterrupted()) {
            // A timer thread interrupted by Timer.shutdown(): the controller is stopping. A new Timer.get()
            // would keep this execution ticking beside the one onResume() starts after the restart.
            LOGGER.log(Level.FINE, "{0} on {1}: Jenkins is stopping; waiting for onResume()", new Object[] {stepName, target});
            return;
        }
        try {
            task = Timer.get().schedule(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOGGER.log(Level.WARNING, stepName + " on " + target, e);
                    fail(e);
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The timer was shut down: Jenkins is stopping. The Pipeline keeps this execution, and
            // onResume() after the restart goes on from the operation's persisted state.
            LOGGER.log(Level.FINE, stepName + " on " + target + ": the timer is stopped; waiting for onResume()", e);
        }
    }

    private void close() {
        Live current = live;
        live = null;
        if (current != null) {
            current.fleet.close();
            current.connection.close();
        }
    }

    private void record(String outcome, String detail) throws IOException {
        try {
            FleetSummaryAction.record(getContext().get(Run.class), new FleetOperationRecord(stepName, target, release,
                    outcome, detail, startedMillis, System.currentTimeMillis() - startedMillis, List.of()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void log(String line) {
        try {
            getContext().get(TaskListener.class).getLogger().println("[fleet-deploy] " + line);
        } catch (IOException | InterruptedException e) {
            LOGGER.log(Level.FINE, "no log for " + stepName, e);
        }
    }

    /** What exists only in memory: clients and the engine session, rebuilt after a restart. */
    private record Live(FleetConnection connection, AwsFleet fleet, AbortSignal abort, OperationRunner.Session<?, ?> session) {
        Live with(OperationRunner.Session<?, ?> newSession) {
            return new Live(connection, fleet, abort, newSession);
        }
    }
}
