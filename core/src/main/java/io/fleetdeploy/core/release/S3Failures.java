package io.fleetdeploy.core.release;

import io.fleetdeploy.core.FleetDeployException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;

/**
 * Turns what the SDK throws into the user's one exception: missing bucket (naming bucket, region
 * and endpoint), rejected credentials, access denied, unreachable endpoint. Never echoes secrets:
 * SDK messages carry no keys.
 */
final class S3Failures {

    private static final Set<String> CREDENTIAL_ERRORS = Set.of(
            "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired");

    private final String bucket;
    private final String where;

    /** {@code configuration}: of the client that made the calls (sync or async, built from the same settings). */
    S3Failures(S3ServiceClientConfiguration configuration, String bucket) {
        this.bucket = bucket;
        String region = configuration.region() != null ? configuration.region().id() : "(no region)";
        this.where = "region " + region + configuration.endpointOverride().map(uri -> ", endpoint " + uri).orElse("");
    }

    /** The SDK exception inside a failed future, or null. */
    static SdkException sdkCause(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof SdkException sdk ? sdk : null;
    }

    /** 412, or S3's 409 ConditionalRequestConflict for a conditional write racing another one. */
    static boolean isPreconditionFailed(SdkException e) {
        return e instanceof AwsServiceException service
                && (service.statusCode() == 412
                    || service.statusCode() == 409 && "ConditionalRequestConflict".equals(errorCode(service)));
    }

    static String errorCode(AwsServiceException e) {
        return e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
    }

    FleetDeployException translate(SdkException e, String action, String leftUnchanged) {
        if (e instanceof AwsServiceException service) {
            String code = errorCode(service);
            if ("NoSuchBucket".equals(code)) {
                return new FleetDeployException("The bucket '" + bucket + "' does not exist (" + where + ") while " + action + ".",
                        leftUnchanged, "Create the bucket, or give the right --bucket and --region.", e);
            }
            if (CREDENTIAL_ERRORS.contains(code) || service.statusCode() == 403 && code == null) {
                return new FleetDeployException("S3 rejected the credentials (" + (code != null ? code : "403 Forbidden") + ", " + where
                        + ") while " + action + ".", leftUnchanged,
                        "Check the access key and secret (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, --profile or the instance role).", e);
            }
            if (service.statusCode() == 403) {
                return new FleetDeployException("S3 denied access (" + code + ", bucket '" + bucket + "', " + where + ") while " + action + ".",
                        leftUnchanged, "Grant these credentials s3:GetObject, s3:PutObject, s3:ListBucket and s3:DeleteObject on the bucket.", e);
            }
            return new FleetDeployException("S3 answered " + service.statusCode() + " " + (code != null ? code : "")
                    + " (" + where + ") while " + action + ": " + messageOf(service) + ".", leftUnchanged,
                    "Run again; if it keeps failing, check the bucket and the endpoint.", e);
        }
        return new FleetDeployException("Could not reach S3 (" + where + ") while " + action + ": " + e.getMessage(),
                leftUnchanged, "Check the network, the region, the endpoint and that credentials are configured.", e);
    }

    private static String messageOf(AwsServiceException e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
                ? e.awsErrorDetails().errorMessage() : e.getMessage();
    }
}
