package io.fleetdeploy.core.release;

/**
 * The outcome of moving a channel.
 *
 * @param moved    false when the channel already pointed at the release (nothing was written)
 * @param attempts compare-and-set attempts it took (more than one when it lost a race and retried)
 */
public record ChannelMove(String channel, ChannelPointer pointer, boolean moved, int attempts) {
}
