package io.fleetdeploy.core.operation;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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

    /**
     * Starts an operation: takes the group's lease and persists it; nothing in the fleet is changed yet. While
     * another operation holds a live lease on the group, the session waits for it tick by tick (up to the
     * settings' waitForLease; with none it fails here, at once, naming the holder), and nothing of this
     * operation is written before the lease is held.
     */
    public <S, O> Session<S, O> start(OperationDefinition<S, O> definition, Effects effects, S initialState,
                                      OnFailure onFailure, AbortSignal abort) {
        String group = definition.group(initialState);
        Instant now = clock.instant();
        String id = newId(definition.kind(), group, now);
        OperationRecord record = new OperationRecord(id, definition.kind(), store.layout().app(), group, settings.holder(),
                OperationStatus.RUNNING, onFailure, now, now, null, null,
                store.mapper().valueToTree(initialState), List.of(), List.of(), null);
        Session<S, O> session = new Session<>(definition, effects, record, abort, new LeaseWait(now.plus(settings.lease().waitForLease()), false));
        session.waitForLease();
        return session;
    }

    /**
     * Goes on waiting for the lease of an operation that was waiting for it when its process stopped (a Jenkins
     * controller restart), within the bound it had. When the operation had started meanwhile (its record
     * exists), it is resumed instead.
     */
    public Session<?, ?> continueStart(PendingStart pending, OperationCatalog catalog, AbortSignal abort) {
        if (store.find(pending.operationId()).isPresent()) {
            return resume(pending.operationId(), catalog, abort, pending.giveUpAt());
        }
        OperationDefinition<?, ?> definition = catalog.definition(pending.kind());
        JsonNode state;
        try {
            state = store.mapper().readTree(pending.initialState());
        } catch (IOException e) {
            throw new IllegalStateException("the saved initial state of " + pending.operationId() + " is not JSON", e);
        }
        Instant now = clock.instant();
        OperationRecord record = new OperationRecord(pending.operationId(), pending.kind(), store.layout().app(), pending.group(),
                settings.holder(), OperationStatus.RUNNING, pending.onFailure(), now, now, null, null, state, List.of(), List.of(), null);
        Session<?, ?> session = new Session<>(definition, catalog.effects(), record, abort, new LeaseWait(pending.giveUpAt(), false));
        session.waitForLease();
        return session;
    }

    /** Continues a persisted operation (its process died): takes its lease back and goes on from its state. */
    public Session<?, ?> resume(String operationId, OperationCatalog catalog, AbortSignal abort) {
        return resume(operationId, catalog, abort, clock.instant().plus(settings.lease().waitForLease()));
    }

    private Session<?, ?> resume(String operationId, OperationCatalog catalog, AbortSignal abort, Instant giveUpAt) {
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
        Session<?, ?> session = new Session<>(definition, catalog.effects(), record, abort, new LeaseWait(giveUpAt, true));
        session.waitForLease();
        return session;
    }

    /**
     * A session that does not hold its group's lease yet: until when it may wait, whether it resumes a persisted
     * operation (else it starts a new one), and the holder it last said it waits for.
     */
    private record LeaseWait(Instant giveUpAt, boolean resuming, Lease toldAbout) {
        LeaseWait(Instant giveUpAt, boolean resuming) {
            this(giveUpAt, resuming, null);
        }
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
        private JsonNode savedState;
        /** Set while the session waits for its group's lease; nothing of the operation is written meanwhile. */
        private LeaseWait leaseWait;
        /** What it waits for while it waits for the lease (the record's own waitingFor is the operation's). */
        private String leaseWaitingFor;

        Session(OperationDefinition<S, O> definition, Effects effects, OperationRecord record, AbortSignal abort, LeaseWait leaseWait) {
            this.definition = definition;
            this.effects = effects;
            this.record = record;
            this.abort = abort;
            this.leaseWait = leaseWait;
            this.leaseRenewedAt = clock.instant();
            // Written once the lease is held (waitForLease saves it): until then nothing is due.
            this.savedAt = clock.instant();
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

        /** What the operation waits for now: the group's lease, or what its state waits for; null when nothing. */
        public String waitingFor() {
            return leaseWaitingFor != null ? leaseWaitingFor : record.waitingFor();
        }

        /** Whether the operation still waits for its group's lease (nothing of it written yet). */
        public boolean waitingForLease() {
            return leaseWait != null;
        }

        /** While a new operation waits for its lease: what a Jenkins step keeps to go on waiting after a restart. */
        public Optional<PendingStart> pendingStart() {
            if (leaseWait == null) {
                return Optional.empty();
            }
            return Optional.of(new PendingStart(record.id(), record.kind(), record.group(), record.state().toString(),
                    record.onFailure(), leaseWait.giveUpAt()));
        }

        /**
         * One try at the group's lease. Held: the operation is persisted (started, or taken back) and zero is
         * returned. Held by another live operation: says so (once per holder), keeps what it waits for (for
         * {@link #waitingFor()}) and returns when to try again; past the bound, or stopped, it fails naming the
         * holder, having written nothing.
         */
        Duration waitForLease() {
            String group = record.group();
            Lease blocking = leaseWait.toldAbout();
            if (abort.isRequested()) {
                throw new FleetDeployException("Operation " + record.id() + " was stopped (" + abort.reason() + ") while it waited for the lease on group "
                        + group + (blocking == null ? "" : " held by " + blocking.holder() + " (operation " + blocking.operationId() + ")") + ".",
                        leaseWait.resuming() ? "Operation " + record.id() + " was left as it was persisted." : "Nothing was changed: the operation never started.",
                        leaseWait.resuming() ? "Run `fleet-deploy resume " + record.id() + "` to go on with it." : "Run it again when the group is free.");
            }
            LeaseAttempt attempt;
            try {
                attempt = leases.tryAcquire(group, settings.holder(), record.id(), settings.lease(), progress);
            } catch (RuntimeException e) {
                if (interrupted(e)) {
                    throw new OperationInterruptedException(record.id(), e);
                }
                Duration backoff = transientBackoff(e);
                if (backoff == null) {
                    throw e;
                }
                return backoff; // nothing of the operation is written while it waits for the lease
            }
            transientFailures = 0;
            Instant now = clock.instant();
            if (attempt.held()) {
                lease = attempt.lease();
                leaseRenewedAt = now;
                boolean resuming = leaseWait.resuming();
                leaseWait = null;
                leaseWaitingFor = null;
                if (resuming) {
                    record = record.withHolder(settings.holder());
                }
                save();
                progress.info("[" + record.id() + "] " + (resuming ? "resumed" : "started") + " by " + settings.holder()
                        + (resuming ? " (" + record.status() + ")." : "."));
                return Duration.ZERO;
            }
            Lease held = attempt.heldBy();
            if (!now.isBefore(leaseWait.giveUpAt())) {
                throw S3Leases.busy(held);
            }
            String theLease = "the lease on group " + group + " held by " + held.holder() + " (operation " + held.operationId();
            if (blocking == null || !blocking.operationId().equals(held.operationId())) {
                progress.info("Waiting up to " + settings.lease().waitForLease() + " for " + theLease + ").");
            }
            leaseWait = new LeaseWait(leaseWait.giveUpAt(), leaseWait.resuming(), held);
            leaseWaitingFor = theLease + ", valid until " + held.expires() + "); giving up at " + leaseWait.giveUpAt();
            // Look again after the poll interval, or sooner when the holder's lease expires or the wait's bound ends.
            Duration next = settings.pollInterval();
            for (Instant sooner : new Instant[] {held.expires(), leaseWait.giveUpAt()}) {
                Duration until = Duration.between(now, sooner);
                if (!until.isNegative() && until.compareTo(next) < 0) {
                    next = until;
                }
            }
            return next.isZero() ? Duration.ofMillis(100) : next;
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
                    boolean undoDue = abort.isRequested() && (record.status() == OperationStatus.RUNNING || leaseWait != null);
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
            if (leaseWait != null) {
                return waitForLease();
            }
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
                        || !record.state().equals(before.state()) || !Objects.equals(record.waitingFor(), before.waitingFor());
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
            Duration backoff = transientBackoff(error);
            if (backoff != null) {
                save();
            }
            return backoff;
        }

        /** As {@link #backoffAfter} but writes nothing: for the tries at the lease, before the operation is persisted. */
        private Duration transientBackoff(RuntimeException error) {
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
            if (t instanceof InterruptedException || t instanceof InterruptedIOException
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
