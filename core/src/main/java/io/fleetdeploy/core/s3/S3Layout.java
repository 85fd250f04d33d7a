package io.fleetdeploy.core.s3;

import io.fleetdeploy.core.Names;

/**
 * Where fleet-deploy keeps things in a bucket (DESIGN.md, "S3 layout"): one bucket, an optional
 * prefix, then per app the releases, channel pointers, instance status, leases and operations.
 *
 * @param prefix "" or a path without leading or trailing '/'
 */
public record S3Layout(String bucket, String prefix, String app) {

    public S3Layout {
        if (bucket == null || bucket.isBlank()) {
            throw io.fleetdeploy.core.FleetDeployException.invalidInput(
                    "The bucket is missing.", "Give the S3 bucket that holds the releases (--bucket).");
        }
        prefix = normalizePrefix(prefix);
        Names.requireSafe("app", app);
    }

    public static S3Layout of(String bucket, String prefix, String app) {
        return new S3Layout(bucket, prefix, app);
    }

    private static String normalizePrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String trimmed = prefix.strip();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        // Like app and version, the prefix ends up in keys the instance agent puts into shell commands.
        for (String segment : trimmed.isEmpty() ? new String[0] : trimmed.split("/", -1)) {
            if (!Names.isSafe(segment)) {
                throw io.fleetdeploy.core.FleetDeployException.invalidInput(
                        "The prefix '" + trimmed.replaceAll("\\p{Cntrl}", "?") + "' is not allowed: each '/'-separated part must start with a letter or digit"
                                + " and contain only letters, digits, '.', '_' or '-' (no '..', no empty parts).",
                        "Give a prefix like releases or teams/shop/deploy.");
            }
        }
        return trimmed;
    }

    /** {@code <prefix>/<app>/} */
    public String appRoot() {
        return (prefix.isEmpty() ? "" : prefix + "/") + app + "/";
    }

    public String releasesRoot() {
        return appRoot() + "releases/";
    }

    public String releaseRoot(String version) {
        return releasesRoot() + Names.requireSafe("version", version) + "/";
    }

    public String bundleKey(String version) {
        return releaseRoot(version) + "bundle.tar.gz";
    }

    public String manifestKey(String version) {
        return releaseRoot(version) + "manifest.json";
    }

    public String channelsRoot() {
        return appRoot() + "channels/";
    }

    public String channelKey(String channel) {
        return channelsRoot() + Names.requireSafe("channel", channel) + ".json";
    }

    public String statusRoot(String group) {
        return appRoot() + "status/" + Names.requireSafe("group", group) + "/";
    }

    public String statusKey(String group, String instanceId) {
        return statusRoot(group) + Names.requireSafe("instance id", instanceId) + ".json";
    }

    public String leaseKey(String group) {
        return appRoot() + "leases/" + Names.requireSafe("group", group) + ".json";
    }

    public String operationsRoot() {
        return appRoot() + "operations/";
    }

    public String operationKey(String operationId) {
        return operationsRoot() + Names.requireSafe("operation id", operationId) + ".json";
    }

    /** s3://bucket/key, for messages. */
    public String uri(String key) {
        return "s3://" + bucket + "/" + key;
    }
}
