package io.fleetdeploy.sandbox.services;

import java.util.Optional;

/** Which version a channel pointer ({@code <prefix>/<app>/channels/<channel>.json}) names now. */
@FunctionalInterface
public interface ReleasePointers {

    /** Empty when no pointer exists (nothing published to the channel yet). */
    Optional<String> version(String app, String channel);
}
