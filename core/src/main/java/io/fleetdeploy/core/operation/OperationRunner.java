package io.fleetdeploy.core.operation;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Runs operations: observe, apply the pure transition, write each mutation and its inverse to the
 * undo log, make the mutation, persist, wait. Abort and failure replay the undo log in reverse.
 * One {@link Session} per operation; its {@link Session#tick()} is one step, so a Jenkins timer can
 * drive it as well as {@link Session#runToEnd()}.
 */
public final class OperationRunner {

    /** Ticks in a row that may fail on a transient error before the operation fails (or its undo stops). */
    public static final int TRANSIENT_RETRIES = 6;
    /** Backoff after the first transient failure; it doubles with each further one, up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /**
     * How stale the persisted state of a waiting operation may get. A tick that made no change (a health
     * streak, a phase the observation moved on to, a waitingFor text) does not write the record until this
     * long after the last write: the next mutation writes it first anyway, and a resume from the older state
     * only observes again. A tick that made a change always writes the state after it, since that state
     * may hold what only the observation before the change could tell (processes that were not suspended
     * before we suspended them), unless the record already holds that state (an install saved with its
     * commands as soon as they were sent) or the transition says a resume from the state before observes its
     * way back to it ({@link Transition#observedAgainOnResume}: a batch entering or leaving Standby). Without
     * it a push wrote the record on nearly every tick.
     */
    static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(10);

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final OperationStore store;
    private final S3Leases leases;
    private final Clock clock;
    private final Sleeper sleeper;
    private final ProgressListener progress;
    private final RunnerSettings settings;
    private final ApiCalls apiCalls;
    private final Predicate<Throwable> transientError;

    public OperationRunner(OperationStore store, S3Leases leases, Clock clock, Sleeper sleeper,
                           ProgressListener progress, RunnerSettings settings) {
        this(store, leases, clock, sleeper, progress, settings, ApiCalls.NONE, e -> false);
    }

    /**
     * @param apiCalls       the counter of cloud API calls, so each record says what its operation cost
     * @param transientError which errors a later tick may not meet again (throttling, 5xx, a reset connection):
     *                       a tick failing on one is retried up to {@link #TRANSIENT_RETRIES} times with backoff
     *                       instead of failing the operation
     */
    public OperationRunner(OperationStore store, S3Leases leases, Clock clock, Sleeper sleeper,
                           ProgressListener progress, RunnerSettings settings, ApiCalls apiCalls,
                           Predicate<Throwable> transientError) {
        this.apiCalls = apiCalls;
        this.transientError = transientError;
        this.store = store;
        this.leases = leases;
        this.clock = clock;
        this.sleeper = sleeper;
        this.progress = progress;
        this.settings = settings;
    }

    /** Takes the group's lease and persists the new operation; nothing in the fleet is changed yet. */
    public <S, O> Session<S, O> start(OperationDefinition<S, O> definition, Effects effects, S initialState,
                                      OnFailure onFailure, AbortSignal abort) {
        String group = definition.group(initialState);
        Instant now = clock.instant();
        String id = newId(definition.kind(), group, now);
        Lease lease = leases.acquire(group, settings.holder(), id, settings.lease(), progress);
        OperationRecord record = new OperationRecord(id, definition.kind(), store.layout().app(), group, settings.holder(),
                OperationStatus.RUNNING, onFailure, now, now, null, null,
                store.mapper().valueToTree(initialState), List.of(), List.of(), null);
        store.save(record);
        progress.info("[" + id + "] started by " + settings.holder() + ".");
        return new Session<>(definition, effects, record, lease, abort);
    }

    /** Continues a persisted operation (its process died): takes its lease back and goes on from its state. */
    public Session<?, ?> resume(String operationId, OperationCatalog catalog, AbortSignal abort) {
        OperationRecord record = store.load(operationId);
        if ((record.status() == OperationStatus.FAILED || record.status() == OperationStatus.HALTED) && !record.undo().isEmpty()) {
            // An undo that failed part-way, or a failure halted in place: resuming puts everything back.
            record = record.withStatus(OperationStatus.ROLLING_BACK, record.message(), clock.instant());
        } else if (record.status().isFinal()) {
            throw FleetDeployException.invalidInput(
                    "Operation " + operationId + " already ended (" + record.status() + ").",
                    "Nothing to resume; start a new operation if needed.");
        }
        OperationDefinition<?, ?> definition = catalog.definition(record.kind());
        Lease lease = leases.acquire(record.group(), settings.holder(), record.id(), settings.lease(), progress);
        record = record.withHolder(settings.holder());
        store.save(record);
        progress.info("[" + record.id() + "] resumed by " + settings.holder() + " (" + record.status() + ").");
        return new Session<>(definition, catalog.effects(), record, lease, abort);
    }

    private static String newId(String kind, String group, Instant now) {
        String id = kind + "-" + group + "-" + ID_TIME.format(now) + "-"
                + Integer.toHexString(0x1000 + ThreadLocalRandom.current().nextInt(0xF000));
        if (!Names.isSafe(id)) { // a long group name: the id must still fit the key rules
            id = kind + "-" + ID_TIME.format(now) + "-" + Integer.toHexString(0x1000 + ThreadLocalRandom.current().nextInt(0xF000));
        }
        return id;
    }

    /** One running operation. Not thread-safe: one thread ticks it; another may only request abort. */
    public final class Session<S, O> {

        private final OperationDefinition<S, O> definition;
        private final Effects effects;
        private final AbortSignal abort;
        private OperationRecord record;
        private Lease lease;
        private Instant leaseRenewedAt;
        /** API calls the record held when this session took over, and the counter's reading then. */
        private final Map<String, Long> callsBefore;
        private final Map<String, Long> counterAtStart;
        /** Ticks that failed on a transient error since the last one that went through. */
        private int transientFailures;
        /** When the record was last written, and the operation's state it held then. */
        private Instant savedAt;
        private com.fasterxml.jackson.databind.JsonNode savedState;

        Session(OperationDefinition<S, O> definition, Effects effects, OperationRecord record, Lease lease, AbortSignal abort) {
            this.definition = definition;
            this.effects = effects;
            this.record = record;
            this.lease = lease;
            this.abort = abort;
            this.leaseRenewedAt = clock.instant();
            this.savedAt = clock.instant(); // start and resume have just written it
            this.savedState = record.state();
            this.callsBefore = record.apiCalls();
            this.counterAtStart = apiCalls.snapshot();
        }

        public OperationRecord record() {
            return record;
        }

        public String id() {
            return record.id();
        }

        public S state() {
            return store.mapper().convertValue(record.state(), definition.stateType());
        }

        /** Ticks and sleeps until the operation ends; returns its final record. */
        public OperationRecord runToEnd() {
            // Here the caller's own thread runs the operation (CLI, demo): an interrupt means "stop",
            // so it aborts and undoes. The flag is cleared while undoing (the SDK refuses calls on an
            // interrupted thread) and set again at the end.
            boolean interrupted = false;
            while (true) {
                Duration wait;
                try {
                    wait = tick();
                } catch (OperationInterruptedException e) {
                    interrupted |= Thread.interrupted();
                    abort.request("the thread running the operation was interrupted");
                    wait = Duration.ZERO;
                }
                if (wait == null) {
                    break;
                }
                try {
                    // An abort requested while running: the next tick starts the undo at once. The undo's own
                    // waits (an install putting the previous version back) are paced like any other.
                    boolean undoDue = abort.isRequested() && record.status() == OperationStatus.RUNNING;
                    if (!wait.isZero() && !undoDue) {
                        sleeper.sleep(wait);
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    abort.request("the thread running the operation was interrupted");
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return record;
        }

        /**
         * One step. Returns how long to wait before the next tick, or null when the operation has ended.
         *
         * @throws OperationInterruptedException when the ticking thread was interrupted; nothing is marked
         *                                       failed or rolled back, and a later tick or a resume goes on
         */

        public Duration tick() {
            if (record.status().isFinal()) {
                return null;
            }
            if (abort.isRequested() && record.status() == OperationStatus.RUNNING) {
                String why = "Aborted (" + (abort.reason() == null ? "abort requested" : abort.reason()) + ")";
                record = record.withStatus(OperationStatus.ABORTING, why, clock.instant());
                line(why + "; undoing " + record.undo().size() + " change(s).");
                save();
            }
            if (record.status().isUndoing()) {
                return undoOne();
            }
            try {
                renewLeaseIfDue();
                S state = state();
                O observation = definition.observe(state);
                Transition<S> transition = definition.next(state, observation, clock.instant());
                S next = transition.state();
                // The look the transition decided on still describes the fleet for its first mutation, not after it.
                Object lookBefore = observation;
                for (Mutation mutation : transition.actions()) {
                    List<UndoEntry> undo = new ArrayList<>(record.undo());
                    // A tick retried after a transient error computes the same mutation again: one entry is enough.
                    if (undo.isEmpty() || !undo.get(undo.size() - 1).change().equals(mutation)) {
                        undo.add(new UndoEntry(mutation, mutation.inverse(), clock.instant()));
                        record = record.withUndo(undo, clock.instant());
                        save();
                    }
                    line(mutation.describe());
                    Map<String, String> started = effects.start(mutation, lookBefore);
                    lookBefore = null;
                    if (!started.isEmpty()) {
                        // Saved before anything else can fail: a resume must observe this work, not start it again.
                        next = definition.started(next, mutation, started);
                        record = record.withState(store.mapper().valueToTree(next), record.waitingFor(), clock.instant());
                        save();
                    }
                }
                transientFailures = 0;
                OperationRecord before = record;
                record = record.withState(store.mapper().valueToTree(next), transition.waitingFor(), clock.instant());
                if (transition.progress() != null) {
                    line(transition.progress());
                }
                boolean changed = !transition.actions().isEmpty() || transition.progress() != null
                        || !record.state().equals(before.state()) || !java.util.Objects.equals(record.waitingFor(), before.waitingFor());
                switch (transition.outcome()) {
                    case DONE -> finish(OperationStatus.SUCCEEDED, "Succeeded.");
                    case FAILED -> fail(transition.failure());
                    default -> {
                        // A change's state is written unless the record already holds it (an install's commands were
                        // saved as soon as they were sent) or a resume would observe its way to it again; see
                        // CHECKPOINT_INTERVAL: an observation alone is not worth a write every tick.
                        if (!transition.actions().isEmpty() && !transition.observedAgain() && !record.state().equals(savedState)
                                || changed && !clock.instant().isBefore(savedAt.plus(CHECKPOINT_INTERVAL))) {
                            save();
                        }
                    }
                }
                if (record.status().isFinal()) {
                    return null;
                }
                if (record.status().isUndoing()) {
                    return Duration.ZERO;
                }
                return nextPoll(transition.nextPoll());
            } catch (LeaseLostException e) {
                record = record.withStatus(OperationStatus.HALTED, e.getMessage(), clock.instant());
                line(e.getMessage());
                save();
                return null;
            } catch (RuntimeException e) {
                if (interrupted(e)) {
                    throw new OperationInterruptedException(record.id(), e);
                }
                Duration backoff = backoffAfter(e);
                if (backoff != null) {
                    return backoff;
                }
                fail(e instanceof FleetDeployException f ? f.whatFailed() : e.getClass().getSimpleName() + ": " + e.getMessage());
                return record.status().isFinal() ? null : Duration.ZERO;
            }
        }

        /**
         * Undo of one entry, one step per tick: the effects make the inverse or look whether what it waits
         * for happened, and return at once. What it waits for is persisted in the entry (a kill during the
         * undo resumes waiting on the same thing); a finished entry leaves the log, persisted too.
         */
        private Duration undoOne() {
            List<UndoEntry> undo = new ArrayList<>(record.undo());
            if (undo.isEmpty()) {
                finish(record.status() == OperationStatus.ABORTING ? OperationStatus.ABORTED : OperationStatus.ROLLED_BACK,
                        record.message() + " Everything this operation changed was put back.");
                return null;
            }
            UndoEntry last = undo.get(undo.size() - 1);
            if (last.inverse() != null) {
                try {
                    renewLeaseIfDue(); // no effect waits (and heartbeats) any more: the ticks keep the lease
                    if (last.waiting() == null) {
                        line("undo: " + last.inverse().describe());
                    }
                    UndoWait waiting = effects.undo(last.inverse(), last.waiting());
                    if (waiting != null) {
                        transientFailures = 0;
                        if (!waiting.equals(last.waiting())) {
                            // Saved before anything else can fail: a resume must wait on this, not start it again.
                            undo.set(undo.size() - 1, last.waitingOn(waiting));
                            record = record.withUndo(undo, clock.instant()).withState(record.state(), waiting.waitingFor(), clock.instant());
                            save();
                        }
                        return waiting.pollEvery();
                    }
                } catch (RuntimeException e) {
                    if (interrupted(e)) {
                        // Not an undo failure: the entry stays in the persisted log and is undone on resume.
                        throw new OperationInterruptedException(record.id(), e);
                    }
                    Duration backoff = backoffAfter(e);
                    if (backoff != null) {
                        return backoff; // the entry stays last in the log: the next tick tries it again
                    }
                    // The remaining entries stay in the log: resume continues the undo from here, beginning
                    // this entry afresh (its wait failed; a new one gets its whole bound).
                    undo.set(undo.size() - 1, last.waitingOn(null));
                    record = record.withUndo(undo, clock.instant()).withStatus(OperationStatus.FAILED, record.message()
                            + " Undo failed at '" + last.inverse().describe() + "': " + e.getMessage() + ". Still to put back: "
                            + describeRemaining(record.undo()) + ". Fix the cause and run `fleet-deploy resume "
                            + record.id() + "` to finish the undo.", clock.instant());
                    line(record.message());
                    save();
                    releaseLease();
                    return null;
                }
            }
            transientFailures = 0;
            undo.remove(undo.size() - 1);
            record = record.withUndo(undo, clock.instant()).withState(record.state(), null, clock.instant());
            save();
            return Duration.ZERO;
        }

        private void fail(String failure) {
            String message = "Failed: " + failure;
            line(message);
            if (record.onFailure() == OnFailure.HALT) {
                List<Mutation> changes = record.undo().stream().map(UndoEntry::change).toList();
                finish(OperationStatus.HALTED, message + " Halted in place (onFailure: halt). Left as it is now: "
                        + effects.describeNetEffect(changes) + ". To put it all back, run `fleet-deploy resume " + record.id()
                        + "`: it replays the undo log (" + describeRemaining(record.undo()) + ").");
            } else {
                record = record.withStatus(OperationStatus.ROLLING_BACK, message, clock.instant());
                line("Rolling back " + record.undo().size() + " change(s).");
                save();
            }
        }

        private void finish(OperationStatus status, String message) {
            record = record.withStatus(status, message, clock.instant());
            line(status + ": " + message);
            save();
            releaseLease();
        }

        private void releaseLease() {
            try {
                leases.release(lease);
            } catch (RuntimeException e) {
                progress.warn("Could not release the lease on group " + lease.group() + ": " + e.getMessage()
                        + " It expires at " + lease.expires() + ".");
            }
        }

        void renewLeaseIfDue() {
            Duration ttl = settings.lease().ttl();
            if (Duration.between(leaseRenewedAt, clock.instant()).compareTo(ttl.dividedBy(3)) >= 0) {
                try {
                    lease = leases.renew(lease, ttl);
                } catch (FleetDeployException e) {
                    throw new LeaseLostException(e.getMessage());
                }
                leaseRenewedAt = clock.instant();
            }
        }

        /** Persists the record with the API calls counted so far. */
        private void save() {
            record = record.withApiCalls(ApiCalls.plusDifference(callsBefore, counterAtStart, apiCalls.snapshot()));
            store.save(record);
            savedAt = clock.instant();
            savedState = record.state();
        }

        /**
         * A tick failed on {@code error}. Transient (throttling, 5xx, connection reset, after the SDK's own
         * retries): says so and returns how long to back off before trying the tick again. Otherwise, or when
         * too many ticks in a row failed that way: null.
         */
        private Duration backoffAfter(RuntimeException error) {
            if (!transientError.test(error) || transientFailures >= TRANSIENT_RETRIES) {
                return null;
            }
            transientFailures++;
            Duration backoff = FIRST_BACKOFF.multipliedBy(1L << (transientFailures - 1));
            if (backoff.compareTo(MAX_BACKOFF) > 0) {
                backoff = MAX_BACKOFF;
            }
            line("transient AWS error (" + error.getMessage() + "); trying again in " + backoff.toMillis() + " ms (retry "
                    + transientFailures + "/" + TRANSIENT_RETRIES + ")");
            save();
            return backoff;
        }

        /**
         * Zero: at once; null: the poll interval; else the transition's wait, never shorter than the poll interval
         * and, when longer, never longer than a third of the lease's time-to-live (the lease is renewed by ticks).
         */
        private Duration nextPoll(Duration asked) {
            Duration poll = settings.pollInterval();
            if (asked == null) {
                return poll;
            }
            if (asked.isZero() || asked.compareTo(poll) <= 0) {
                return asked.isZero() ? asked : poll;
            }
            Duration heartbeat = settings.lease().ttl().dividedBy(3);
            return asked.compareTo(heartbeat) <= 0 ? asked : heartbeat.compareTo(poll) > 0 ? heartbeat : poll;
        }

        private void line(String text) {
            String line = "[" + record.id() + "] " + text;
            record = record.withHistoryLine(clock.instant() + " " + text);
            progress.info(line);
        }
    }

    /**
     * Whether a failed call failed because its thread was interrupted (the SDK answers an interrupt
     * with an AbortedException caused by InterruptedException and sets the flag again).
     */
    static boolean interrupted(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                    || t instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    static String describeRemaining(List<UndoEntry> undo) {
        List<String> parts = new ArrayList<>();
        for (int i = undo.size() - 1; i >= 0; i--) {
            Mutation inverse = undo.get(i).inverse();
            parts.add(inverse == null ? "(cannot be undone) " + undo.get(i).change().describe() : inverse.describe());
        }
        return parts.isEmpty() ? "nothing" : String.join("; ", parts);
    }

    private static final class LeaseLostException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LeaseLostException(String message) {
            super(message);
        }
    }
}
