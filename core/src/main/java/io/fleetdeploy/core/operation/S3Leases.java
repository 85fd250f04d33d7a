package io.fleetdeploy.core.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.s3.S3Layout;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One lease per group: {@code leases/<group>.json}, created with {@code If-None-Match: *} so that
 * of two concurrent acquirers exactly one wins, renewed and taken over with {@code If-Match} on the
 * ETag we last saw, so a renewal never overwrites someone else's lease.
 */
public final class S3Leases {

    private static final int PRECONDITION_FAILED = 412;
    private static final int CONFLICT = 409;

    private final S3Client s3;
    private final S3Layout layout;
    private final Clock clock;
    private final Sleeper sleeper;

    public S3Leases(S3Client s3, S3Layout layout, Clock clock, Sleeper sleeper) {
        this.s3 = s3;
        this.layout = layout;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** Races lost in a row (someone else wrote the lease between our read and our write) before one try gives up. */
    private static final int RACES_PER_TRY = 5;
    /** How often {@link #acquire} looks again while it waits. */
    private static final Duration RETRY_EVERY = Duration.ofSeconds(2);

    /**
     * Takes the group's lease for {@code operationId}, blocking: tries, and while a live lease of another
     * operation is in the way waits up to {@code waitForLease} (looking again every two seconds), then fails
     * naming the holder. For a caller that may hold its thread (a tool, a test); the runner waits tick by tick
     * with {@link #tryAcquire} instead.
     */
    public Lease acquire(String group, String holder, String operationId, LeaseOptions options, ProgressListener progress) {
        Instant giveUpAt = clock.instant().plus(options.waitForLease());
        Lease toldAbout = null;
        while (true) {
            LeaseAttempt attempt = tryAcquire(group, holder, operationId, options, progress);
            if (attempt.held()) {
                return attempt.lease();
            }
            Lease held = attempt.heldBy();
            Instant now = clock.instant();
            if (!now.isBefore(giveUpAt)) {
                throw busy(held);
            }
            if (toldAbout == null || !toldAbout.operationId().equals(held.operationId())) {
                progress.info(waitingLine(held, options.waitForLease()));
                toldAbout = held;
            }
            Duration untilGiveUp = Duration.between(now, giveUpAt);
            try {
                sleeper.sleep(RETRY_EVERY.compareTo(untilGiveUp) < 0 ? RETRY_EVERY : untilGiveUp);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FleetDeployException("Interrupted while waiting for the lease on group " + group + " held by "
                        + held.holder() + " (operation " + held.operationId() + ").", "Nothing was changed.", "Run the operation again.", e);
            }
        }
    }

    /**
     * One try at the group's lease for {@code operationId}, without waiting: a free lease is created; one held
     * by the same operation (its process died and it is being resumed) is taken over; an expired one too; a live
     * one of another operation only with {@code force}. Otherwise the answer names who holds it and until when.
     * A write lost to a concurrent writer is looked at again, a few times, never slept on.
     */
    public LeaseAttempt tryAcquire(String group, String holder, String operationId, LeaseOptions options, ProgressListener progress) {
        Lease last = null;
        for (int race = 0; race < RACES_PER_TRY; race++) {
            Optional<Lease> current = read(group);
            if (current.isEmpty()) {
                Optional<Lease> created = write(group, holder, operationId, options.ttl(), null);
                if (created.isPresent()) {
                    return new LeaseAttempt(created.get(), null);
                }
                continue; // someone else created it in between: look again
            }
            Lease held = current.get();
            last = held;
            boolean ours = operationId.equals(held.operationId());
            boolean expired = !held.expires().isAfter(clock.instant());
            if (!ours && !expired && !options.force()) {
                return new LeaseAttempt(null, held);
            }
            if (!ours) {
                progress.warn("Taking over the " + (expired ? "expired" : "live") + " lease on group " + group
                        + " held by " + held.holder() + " for operation " + held.operationId() + ".");
            }
            Optional<Lease> taken = write(group, holder, operationId, options.ttl(), held.etag());
            if (taken.isPresent()) {
                return new LeaseAttempt(taken.get(), null);
            }
        }
        // Every write lost a race: whoever won holds it now (the next try decides again).
        Lease winner = read(group).orElse(last);
        if (winner == null) {
            throw new FleetDeployException("The lease on group " + group + " was created and deleted by others " + RACES_PER_TRY
                    + " times while operation " + operationId + " tried to take it.", "Nothing was changed.", "Run the operation again.");
        }
        return new LeaseAttempt(null, winner);
    }

    /** The error of an operation that may not take the group's lease: names the holder; nothing was changed. */
    public static FleetDeployException busy(Lease held) {
        return new FleetDeployException(
                "Group " + held.group() + " is being changed by " + held.holder() + " (operation " + held.operationId()
                        + ", lease valid until " + held.expires() + ").",
                "Nothing was changed.",
                "Wait for that operation to finish, give waitForLease to wait for it, or use force if its holder is gone.");
    }

    /** The one line said when a wait for the lease begins, and again when another operation holds it. */
    public static String waitingLine(Lease held, Duration waitForLease) {
        return "Waiting up to " + waitForLease + " for the lease on group " + held.group() + " held by " + held.holder()
                + " (operation " + held.operationId() + ").";
    }

    /** Extends the lease; fails when it is no longer ours (taken over with force, or expired and taken). */
    public Lease renew(Lease lease, Duration ttl) {
        return write(lease.group(), lease.holder(), lease.operationId(), ttl, lease.etag())
                .orElseThrow(() -> lost(lease));
    }

    /** Deletes the lease if it is still ours; a lease someone else holds now is left alone. */
    public void release(Lease lease) {
        Optional<Lease> current = read(lease.group());
        if (current.isPresent() && current.get().etag().equals(lease.etag())) {
            s3.deleteObject(b -> b.bucket(layout.bucket()).key(layout.leaseKey(lease.group())));
        }
    }

    public Optional<Lease> read(String group) {
        String key = layout.leaseKey(group);
        try {
            ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(b -> b.bucket(layout.bucket()).key(key));
            Lease.Body body = Json.mapper().readValue(bytes.asByteArray(), Lease.Body.class);
            return Optional.of(new Lease(body.group(), body.holder(), body.operationId(), body.acquired(), body.expires(),
                    bytes.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new FleetDeployException("The lease " + layout.uri(key) + " is not valid JSON.", "Nothing was changed.",
                    "Check who wrote it; delete it only if no operation is running on group " + group + ".", e);
        }
    }

    /** Writes the lease with If-None-Match: * (no previous ETag) or If-Match; empty when the precondition failed. */
    private Optional<Lease> write(String group, String holder, String operationId, Duration ttl, String expectedEtag) {
        Instant now = clock.instant();
        Lease.Body body = new Lease.Body(group, holder, operationId, now, now.plus(ttl));
        byte[] json;
        try {
            json = Json.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try {
            PutObjectResponse response = s3.putObject(b -> {
                b.bucket(layout.bucket()).key(layout.leaseKey(group)).contentType("application/json");
                if (expectedEtag == null) {
                    b.ifNoneMatch("*");
                } else {
                    b.ifMatch(expectedEtag);
                }
            }, RequestBody.fromBytes(json));
            return Optional.of(new Lease(group, holder, operationId, body.acquired(), body.expires(), response.eTag()));
        } catch (S3Exception e) {
            if (e.statusCode() == PRECONDITION_FAILED || e.statusCode() == CONFLICT) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private FleetDeployException lost(Lease lease) {
        Optional<Lease> now = read(lease.group());
        String who = now.map(l -> l.holder() + " (operation " + l.operationId() + ")").orElse("nobody");
        return new FleetDeployException(
                "The lease on group " + lease.group() + " is no longer held by operation " + lease.operationId()
                        + "; it is now held by " + who + ".",
                "This operation stopped changing the group.",
                "Check what the other holder did before resuming this operation.");
    }
}
