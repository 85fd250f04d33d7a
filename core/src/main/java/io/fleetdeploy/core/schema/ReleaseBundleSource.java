package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import java.nio.file.Path;

/**
 * The release store as migrateSchema needs it: "give me the verified, unpacked bundle of version
 * V". The releases code implements it (download, sha256 check against the manifest, unpack).
 */
@FunctionalInterface
public interface ReleaseBundleSource {

    /** No release store configured: migrations can only come from a directory. */
    ReleaseBundleSource NONE = (app, version) -> {
        throw FleetDeployException.invalidInput(
                "Migrations from a published release need a release store (bucket), and none was configured.",
                "Give the release store's bucket, or migrate from a directory.");
    };

    /**
     * @return the unpacked bundle; its files were checked against the manifest's sha256
     */
    VerifiedBundle fetch(String app, String version);

    /**
     * @param root           the directory the bundle was unpacked into
     * @param migrationsPath the manifest's migrations path, relative to {@code root} (default db/migration)
     */
    record VerifiedBundle(Path root, String migrationsPath) {
        public Path migrations() {
            return root.resolve(migrationsPath == null || migrationsPath.isBlank() ? "db/migration" : migrationsPath).normalize();
        }
    }
}
