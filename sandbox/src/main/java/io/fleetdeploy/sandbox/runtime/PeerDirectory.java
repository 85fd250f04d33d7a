package io.fleetdeploy.sandbox.runtime;

import java.util.Optional;

/** Where a node whose schema key is stale finds a node that may do the work. */
interface PeerDirectory {
    /** A running, healthy node of {@code app} whose code runs {@code schemaKey}, other than {@code excludedId}. */
    Optional<LoopbackInstance> servingPeer(String app, String schemaKey, String excludedId);
}
