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

    /**
     * Takes the group's lease for {@code operationId}. A lease held by the same operation (its
     * process died and it is being resumed) is taken over; an expired one too; a live one of
     * another operation only with {@code force}, else this waits up to {@code waitForLease} and
     * then fails naming the holder.
     */
    public Lease acquire(String group, String holder, String operationId, LeaseOptions options, ProgressListener progress) {
        Instant giveUpAt = clock.instant().plus(options.waitForLease());
        boolean toldWaiting = false;
        while (true) {
            Optional<Lease> current = read(group);
            Instant now = clock.instant();
            if (current.isEmpty()) {
                Optional<Lease> created = write(group, holder, operationId, options.ttl(), null);
                if (created.isPresent()) {
                    return created.get();
                }
                continue; // someone else created it in between: look again
            }
            Lease held = current.get();
            boolean ours = operationId.equals(held.operationId());
            boolean expired = !held.expires().isAfter(now);
            if (ours || expired || options.force()) {
                if (!ours) {
                    progress.warn("Taking over the " + (expired ? "expired" : "live") + " lease on group " + group
                            + " held by " + held.holder() + " for operation " + held.operationId() + ".");
                }
                Optional<Lease> taken = write(group, holder, operationId, options.ttl(), held.etag());
                if (taken.isPresent()) {
                    return taken.get();
                }
                continue;
            }
            if (!now.isBefore(giveUpAt)) {
                throw new FleetDeployException(
                        "Group " + group + " is being changed by " + held.holder() + " (operation " + held.operationId()
                                + ", lease valid until " + held.expires() + ").",
                        "Nothing was changed.",
                        "Wait for that operation to finish, give waitForLease to wait for it, or use force if its holder is gone.");
            }
            if (!toldWaiting) {
                progress.info("Waiting up to " + options.waitForLease() + " for the lease on group " + group
                        + " held by " + held.holder() + " (operation " + held.operationId() + ").");
                toldWaiting = true;
            }
            Duration untilRetry = Duration.ofSeconds(2);
            Duration untilGiveUp = Duration.between(now, giveUpAt);
            try {
                sleeper.sleep(untilRetry.compareTo(untilGiveUp) < 0 ? untilRetry : untilGiveUp);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FleetDeployException("Interrupted while waiting for the lease on group " + group + ".",
                        "Nothing was changed.", "Run the operation again.", e);
            }
        }
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
