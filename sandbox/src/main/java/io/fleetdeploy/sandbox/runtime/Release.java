package io.fleetdeploy.sandbox.runtime;

import java.util.Optional;

/** What {@code current/app.properties} of an instance says: its version, its schema key and whether the build is good. */
record Release(String version, Optional<String> schemaKey, boolean healthy) {
}
