package io.fleetdeploy.core.schema;

import java.nio.file.Path;

/** Where the migration scripts come from. */
public sealed interface MigrationSource {

    /** Scripts in a directory (Flyway's naming: {@code V1__create_orders.sql}, {@code R__views.sql}). */
    record Directory(Path path) implements MigrationSource {
    }

    /** The scripts inside a published release's bundle, at the manifest's migrations path. */
    record Release(String version) implements MigrationSource {
    }

    static MigrationSource directory(Path path) {
        return new Directory(path);
    }

    static MigrationSource release(String version) {
        return new Release(version);
    }
}
