package io.fleetdeploy.core.release;

/**
 * A request to point a channel at a published version.
 *
 * @param updatedBy    recorded in the pointer (build URL, user@host)
 * @param expectedEtag null: move from whatever the channel holds now; else the pointer object's
 *                     ETag the caller saw, and the move happens only from that state
 * @param retryIfMoved when another writer moves the channel first: true re-reads it and tries
 *                     again (a bounded number of times), false fails saying who moved it
 */
public record ChannelUpdate(String channel, String version, String updatedBy, String expectedEtag,
                            boolean retryIfMoved, Encryption encryption) {

    public ChannelUpdate {
        updatedBy = updatedBy == null || updatedBy.isBlank() ? "fleet-deploy" : updatedBy;
        encryption = encryption == null ? Encryption.BUCKET_DEFAULT : encryption;
    }

    public static ChannelUpdate of(String channel, String version, String updatedBy, boolean retryIfMoved) {
        return new ChannelUpdate(channel, version, updatedBy, null, retryIfMoved, null);
    }

    public ChannelUpdate expecting(String etag) {
        return new ChannelUpdate(channel, version, updatedBy, etag, retryIfMoved, encryption);
    }
}
