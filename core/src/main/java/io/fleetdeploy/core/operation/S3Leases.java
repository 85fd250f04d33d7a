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
 * ETag we last saw, so a renewal never overwrites someone else's lease. Nothing here waits or sleeps: an
 * operation that waits for a held lease does so tick by tick in its runner ({@link OperationRunner}).
 */
public final class S3Leases {

    private static final int PRECONDITION_FAILED = 412;
    private static final int CONFLICT = 409;

    private final S3Client s3;
    private final S3Layout layout;
    private final Clock clock;

    public S3Leases(S3Client s3, S3Layout layout, Clock clock) {
        this.s3 = s3;
        this.layout = layout;
        this.clock = clock;
    }

    /** Races lost in a row (someone else wrote the lease between our read and our write) before one try gives up. */
    private static final int RACES_PER_TRY = 5;

    /**
     * One try at the group's lease, as {@link #tryAcquire}, for a caller that has nothing to do but fail when
     * another live operation holds it (a tool, a test's other operation): the lease, or {@link #busy} naming the
     * holder. It never waits, whatever {@code options.waitForLease()} says: waiting is the runner's, tick by tick.
     */
    public Lease acquire(String group, String holder, String operationId, LeaseOptions options, ProgressListener progress) {
        LeaseAttempt attempt = tryAcquire(group, holder, operationId, options, progress);
        if (!attempt.held()) {
            throw busy(attempt.heldBy());
        }
        return attempt.lease();
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
