package io.fleetdeploy.core.release;

import java.time.Instant;

/**
 * {@code <app>/channels/<channel>.json}: the version a channel points at, as the instance agent
 * reads it. Moved only by compare-and-set on the object's ETag.
 *
 * @param etag      the S3 ETag of the bundle it points at (lets the agent fetch exactly those bytes)
 * @param updatedBy who moved it (a build URL, user@host)
 * @param previous  what it pointed at before; null for a new channel
 */
public record ChannelPointer(
        String version,
        String sha256,
        String etag,
        Instant updated,
        String updatedBy,
        Previous previous) {

    /** The release a channel pointed at before its last move. */
    public record Previous(String version, String sha256) {
    }
}
