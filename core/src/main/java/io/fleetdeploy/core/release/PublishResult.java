package io.fleetdeploy.core.release;

/**
 * @param alreadyPublished true when the same bytes were already published under this version (a no-op)
 * @param channelMove      the channel move that followed, or null when no channel was given
 */
public record PublishResult(Manifest manifest, boolean alreadyPublished, ChannelMove channelMove) {
}
