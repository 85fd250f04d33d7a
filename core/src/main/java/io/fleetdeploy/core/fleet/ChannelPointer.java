package io.fleetdeploy.core.fleet;

/** The part of a channel pointer the fleet operations need: which version it points at. */
public record ChannelPointer(String channel, String version) {
}
