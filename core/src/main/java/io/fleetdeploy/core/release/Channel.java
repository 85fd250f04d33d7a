package io.fleetdeploy.core.release;

/**
 * A channel pointer as read from S3 together with the pointer object's own ETag, which the next
 * move must present ({@code If-Match}).
 */
public record Channel(String name, ChannelPointer pointer, String objectEtag) {
}
