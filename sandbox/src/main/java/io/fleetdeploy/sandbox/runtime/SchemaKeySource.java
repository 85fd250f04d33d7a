package io.fleetdeploy.sandbox.runtime;

import java.util.Optional;

/** The database's schema key per app (the schema key protocol). Called on every request: must answer from memory. */
public interface SchemaKeySource {
    SchemaKeySource NONE = app -> Optional.empty();

    Optional<String> keyFor(String app);
}
