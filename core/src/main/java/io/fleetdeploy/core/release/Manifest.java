package io.fleetdeploy.core.release;

import java.time.Instant;

/**
 * {@code <app>/releases/<version>/manifest.json}: what a release is. Written once, with
 * {@code If-None-Match: *}, after its bundle is in place: a release exists exactly when its
 * manifest does. The field names are a contract with the instance agent (agent/fleet-agent.sh).
 *
 * @param sha256     lower-case hex SHA-256 of bundle.tar.gz
 * @param size       bytes of bundle.tar.gz
 * @param migrations where the database migrations are inside the bundle
 * @param bundleKey  the bundle's S3 key
 * @param etag       the bundle's S3 ETag (quoted, as S3 returns it)
 * @param versionId  the bundle's S3 VersionId; null when the bucket is not versioned
 */
public record Manifest(
        String app,
        String version,
        String sha256,
        long size,
        Instant created,
        String gitCommit,
        String buildUrl,
        String schemaKey,
        String migrations,
        String bundleKey,
        String etag,
        String versionId) {

    public static final String DEFAULT_MIGRATIONS = "db/migration";
}
