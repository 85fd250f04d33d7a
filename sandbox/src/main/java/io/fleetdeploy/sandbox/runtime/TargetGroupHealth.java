package io.fleetdeploy.sandbox.runtime;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target group's targets and their health, with ELBv2's semantics: a new target is {@code initial}
 * until {@code healthyThreshold} consecutive checks pass; {@code unhealthyThreshold} consecutive failures
 * make it {@code unhealthy} (reason from the last failure), as many passes make it healthy again.
 * Deregistering makes it {@code draining}: it gets no new requests, and it is removed once its in-flight
 * requests have finished, at the latest after the deregistration delay. A target that is not registered
 * reads as {@code unused} ({@link #stateOf}). Health checks are HTTP GETs (status 200 passes) timed by the
 * shared scheduler and sent on the shared event loop over one kept-alive connection per target
 * ({@link HealthProbe}); a check still waiting for its answer is not started again.
 */
public final class TargetGroupHealth implements AutoCloseable {
    public record TargetState(String state, String reasonCode, String description) {
    }

    public record Target(String id, URI endpoint) {
    }

    public static final String INITIAL = "initial";
    public static final String HEALTHY = "healthy";
    public static final String UNHEALTHY = "unhealthy";
    public static final String DRAINING = "draining";
    public static final String UNUSED = "unused";

    private static final Logger LOG = LoggerFactory.getLogger(TargetGroupHealth.class);

    private final String name;
    private final HealthCheckSettings settings;
    private final ScheduledExecutorService scheduler;
    private final HealthProbe probe;
    private final EventLoopGroup ownedEventLoop;
    private final Map<String, Member> members = new ConcurrentHashMap<>();
    private final AtomicLong registrations = new AtomicLong();
    private volatile boolean closed;

    /**
     * A group with its own one-thread event loop for its checks (closed with it); prefer
     * {@link #TargetGroupHealth(String, HealthCheckSettings, RuntimeIo)}, which shares the runtime's.
     */
    public TargetGroupHealth(String name, HealthCheckSettings settings, ScheduledExecutorService scheduler) {
        this(name, settings, scheduler, new NioEventLoopGroup(1, RuntimeIo.daemonThreads("health-" + name)), true);
    }

    /** A group checking on the runtime's shared scheduler and event loop. */
    public TargetGroupHealth(String name, HealthCheckSettings settings, RuntimeIo io) {
        this(name, settings, io.scheduler(), io.eventLoop(), false);
    }

    private TargetGroupHealth(String name, HealthCheckSettings settings, ScheduledExecutorService scheduler,
                              EventLoopGroup eventLoop, boolean ownsEventLoop) {
        this.name = Objects.requireNonNull(name, "name");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.probe = new HealthProbe(eventLoop);
        this.ownedEventLoop = ownsEventLoop ? eventLoop : null;
    }

    public String name() {
        return name;
    }

    public HealthCheckSettings settings() {
        return settings;
    }

    /** Registers a target (idempotent while registered; a draining target starts over as initial). */
    public void register(String targetId, URI endpoint) {
        Objects.requireNonNull(targetId, "targetId");
        Objects.requireNonNull(endpoint, "endpoint");
        if (closed) {
            throw new IllegalStateException("target group " + name + " is closed");
        }
        members.compute(targetId, (id, existing) -> {
            if (existing != null && !existing.draining() && existing.endpoint.equals(endpoint)) {
                return existing;
            }
            if (existing != null) {
                existing.stopChecks();
            }
            Member member = new Member(id, endpoint, registrations.incrementAndGet());
            member.checks = scheduler.scheduleAtFixedRate(() -> check(member), 0,
                    settings.interval().toMillis(), TimeUnit.MILLISECONDS);
            return member;
        });
    }

    /** Starts draining the target; unknown targets are ignored (as ELB does). */
    public void deregister(String targetId) {
        Member member = members.get(targetId);
        if (member == null) {
            return;
        }
        boolean idle;
        synchronized (member) {
            if (member.phase == Phase.DRAINING) {
                return;
            }
            member.phase = Phase.DRAINING;
            member.stopChecks();
            idle = member.inFlight == 0;
        }
        LOG.debug("{}: {} draining", name, targetId);
        if (idle) {
            remove(member);
        } else {
            member.drainTimer = scheduler.schedule(() -> remove(member),
                    settings.deregistrationDelay().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Registered targets in registration order. */
    public Map<String, TargetState> states() {
        Map<String, TargetState> states = new LinkedHashMap<>();
        for (Member member : sortedMembers()) {
            states.put(member.id, member.state());
        }
        return states;
    }

    /** A target's state, {@code unused / Target.NotRegistered} when it is not registered. */
    public TargetState stateOf(String targetId) {
        Member member = members.get(targetId);
        return member != null ? member.state()
                : new TargetState(UNUSED, "Target.NotRegistered", "Target is not registered to the target group");
    }

    /** Healthy targets in registration order: those a listener may send new requests to. */
    public List<Target> routable() {
        List<Target> routable = new ArrayList<>();
        for (Member member : sortedMembers()) {
            if (member.phase == Phase.HEALTHY) {
                routable.add(new Target(member.id, member.endpoint));
            }
        }
        return routable;
    }

    /**
     * Counts a request the listener is about to send, if the target still takes new requests. Deregistering
     * and this check exclude each other, so a draining target never gets a request it did not already have.
     */
    public boolean tryStartRequest(String targetId) {
        Member member = members.get(targetId);
        if (member == null) {
            return false;
        }
        synchronized (member) {
            if (member.phase != Phase.HEALTHY) {
                return false;
            }
            member.inFlight++;
            return true;
        }
    }

    /** Counts a request to the target whatever its state (see {@link #tryStartRequest}). */
    public void requestStarted(String targetId) {
        Member member = members.get(targetId);
        if (member != null) {
            synchronized (member) {
                member.inFlight++;
            }
        }
    }

    public void requestFinished(String targetId) {
        Member member = members.get(targetId);
        if (member == null) {
            return;
        }
        boolean drained;
        synchronized (member) {
            member.inFlight = Math.max(0, member.inFlight - 1);
            drained = member.phase == Phase.DRAINING && member.inFlight == 0;
        }
        if (drained) {
            remove(member);
        }
    }

    public int inFlight(String targetId) {
        Member member = members.get(targetId);
        if (member == null) {
            return 0;
        }
        synchronized (member) {
            return member.inFlight;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Member member : List.copyOf(members.values())) {
            member.stopChecks();
            if (member.drainTimer != null) {
                member.drainTimer.cancel(false);
            }
        }
        members.clear();
        if (ownedEventLoop != null) {
            ownedEventLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
    }

    private List<Member> sortedMembers() {
        List<Member> sorted = new ArrayList<>(members.values());
        sorted.sort(Comparator.comparingLong(member -> member.sequence));
        return sorted;
    }

    private void remove(Member member) {
        if (members.remove(member.id, member)) {
            if (member.drainTimer != null) {
                member.drainTimer.cancel(false);
            }
            LOG.debug("{}: {} deregistered", name, member.id);
        }
    }

    private void check(Member member) {
        synchronized (member) {
            if (member.checking || member.phase == Phase.DRAINING || closed) {
                return;
            }
            member.checking = true;
        }
        probe.check(member.connection, settings.path(), settings.timeout(), result -> {
            Outcome outcome;
            if (result.timedOut()) {
                outcome = new Outcome("Target.Timeout", "Request timed out");
            } else if (result.status() == 0) {
                outcome = new Outcome("Target.FailedHealthChecks", "Health checks failed");
            } else if (result.status() == 200) {
                outcome = Outcome.PASSED;
            } else {
                outcome = new Outcome("Target.ResponseCodeMismatch",
                        "Health checks failed with these codes: [" + result.status() + "]");
            }
            record(member, outcome);
        });
    }

    private void record(Member member, Outcome outcome) {
        String before;
        String after;
        synchronized (member) {
            member.checking = false;
            if (member.phase == Phase.DRAINING) {
                return;
            }
            before = member.phase.label;
            if (outcome == Outcome.PASSED) {
                member.successes++;
                member.failures = 0;
                if (member.phase != Phase.HEALTHY && member.successes >= settings.healthyThreshold()) {
                    member.phase = Phase.HEALTHY;
                }
            } else {
                member.failures++;
                member.successes = 0;
                member.lastFailure = outcome;
                if (member.phase != Phase.UNHEALTHY && member.failures >= settings.unhealthyThreshold()) {
                    member.phase = Phase.UNHEALTHY;
                }
            }
            after = member.phase.label;
        }
        if (!before.equals(after)) {
            LOG.debug("{}: {} {} -> {}", name, member.id, before, after);
        }
    }

    private enum Phase {
        INITIAL(TargetGroupHealth.INITIAL), HEALTHY(TargetGroupHealth.HEALTHY),
        UNHEALTHY(TargetGroupHealth.UNHEALTHY), DRAINING(TargetGroupHealth.DRAINING);

        private final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    private record Outcome(String reasonCode, String description) {
        static final Outcome PASSED = new Outcome(null, null);
    }

    private static final class Member {
        final String id;
        final URI endpoint;
        final long sequence;
        final HealthProbe.Connection connection;
        // Guarded by this.
        volatile Phase phase = Phase.INITIAL;
        int successes;
        int failures;
        Outcome lastFailure;
        int inFlight;
        boolean checking;
        volatile ScheduledFuture<?> checks;
        volatile ScheduledFuture<?> drainTimer;

        Member(String id, URI endpoint, long sequence) {
            this.id = id;
            this.endpoint = endpoint;
            this.sequence = sequence;
            this.connection = new HealthProbe.Connection(endpoint);
        }

        synchronized boolean draining() {
            return phase == Phase.DRAINING;
        }

        void stopChecks() {
            ScheduledFuture<?> scheduled = checks;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            connection.close();
        }

        synchronized TargetState state() {
            return switch (phase) {
                case INITIAL -> new TargetState(INITIAL, "Elb.InitialHealthChecking", "Initial health checks in progress");
                case HEALTHY -> new TargetState(HEALTHY, null, null);
                case UNHEALTHY -> new TargetState(UNHEALTHY, lastFailure.reasonCode(), lastFailure.description());
                case DRAINING -> new TargetState(DRAINING, "Target.DeregistrationInProgress",
                        "Target deregistration is in progress");
            };
        }
    }
}
