package io.fleetdeploy.core.operation;

import java.time.Instant;

/**
 * A held lease on a group: who holds it, for which operation, until when, and the ETag of the
 * object as we last wrote it (renewal and release only succeed while it is still ours).
 */
public record Lease(String group, String holder, String operationId, Instant acquired, Instant expires, String etag) {

    /** The JSON body of {@code leases/<group>.json}. */
    public record Body(String group, String holder, String operationId, Instant acquired, Instant expires) {
    }

    Body body() {
        return new Body(group, holder, operationId, acquired, expires);
    }
}
