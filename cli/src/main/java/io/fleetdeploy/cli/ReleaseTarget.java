package io.fleetdeploy.cli;

import io.fleetdeploy.core.s3.S3Layout;
import picocli.CommandLine.Option;

/** Where an app's releases live: bucket, optional prefix, app. Shared by the release commands. */
final class ReleaseTarget {

    @Option(names = "--bucket", required = true, paramLabel = "BUCKET", description = "S3 bucket that holds the releases.")
    String bucket;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Key prefix inside the bucket (default: none).")
    String prefix;

    @Option(names = "--app", required = true, paramLabel = "APP", description = "Application name ([A-Za-z0-9][A-Za-z0-9._-]{0,127}).")
    String app;

    S3Layout layout() {
        return S3Layout.of(bucket, prefix, app);
    }
}
