package io.fleetdeploy.cli;

import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.aws.AwsSettings;
import java.net.URI;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.s3.S3Layout;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the releases and operation state live, and how operations take their lease; shared by the fleet commands. */
final class FleetOptions {

    @Option(names = "--bucket", required = true, paramLabel = "BUCKET", description = "S3 bucket of the releases and operation state.")
    String bucket;

    @Option(names = "--prefix", defaultValue = "", paramLabel = "PREFIX", description = "Key prefix inside the bucket (default: none).")
    String prefix;

    @Option(names = "--app", required = true, paramLabel = "APP", description = "Application name.")
    String app;

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "Endpoint for S3 alone, where it differs from --endpoint (the sandbox); default: --endpoint.")
    String s3Endpoint;

    @Option(names = "--holder", paramLabel = "NAME", description = "Who runs this (named in the lease); default: user@host.")
    String holder;

    @Option(names = "--wait-for-lease", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Wait this long for another operation on the group to end (default: fail at once, naming it).")
    Duration waitForLease;

    @Option(names = "--force", description = "Take the group's lease even from a live holder (only when you know it is gone).")
    boolean force;

    @Option(names = "--poll-interval", converter = DurationConverter.class, defaultValue = "5s", paramLabel = "DURATION",
            description = "Wait between observations (default: ${DEFAULT-VALUE}).")
    Duration pollInterval;

    @Option(names = "--agent-s3-endpoint", paramLabel = "URL", description = "S3 endpoint the instance agent should use (sandbox, S3-compatible store).")
    String agentS3Endpoint;

    @Option(names = "--agent-home", paramLabel = "DIR", description = "FLEET_HOME for instances that have none (default /opt/fleet-deploy).")
    String agentHome;

    /** The settings for S3 calls: --endpoint, unless --s3-endpoint overrides it. */
    AwsSettings s3Settings(AwsSettings aws) {
        return s3Endpoint == null || s3Endpoint.isBlank() ? aws : aws.withEndpoint(URI.create(s3Endpoint));
    }

    S3Layout layout() {
        return S3Layout.of(bucket, prefix, app);
    }

    AwsFleet.Options options() {
        return new AwsFleet.Options(holder, pollInterval, new LeaseOptions(null, waitForLease, force), agentS3Endpoint, agentHome);
    }
}
