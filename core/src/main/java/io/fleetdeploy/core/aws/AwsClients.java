package io.fleetdeploy.core.aws;

import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Builds AWS SDK v2 clients from {@link AwsSettings}, the same way for every service: region,
 * endpoint override, credentials and the SDK's standard retry mode (which backs off on
 * throttling and 5xx by itself).
 */
public final class AwsClients {

    private AwsClients() {
    }

    /** Applies region, endpoint, credentials and retry settings to any SDK client builder. */
    public static <B extends AwsClientBuilder<B, C>, C> B configure(B builder, AwsSettings settings) {
        settings.regionIfSet().ifPresent(builder::region);
        settings.endpointIfSet().ifPresent(builder::endpointOverride);
        builder.credentialsProvider(settings.credentialsOrDefault());
        builder.overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD));
        return builder;
    }

    public static S3Client s3(AwsSettings settings) {
        return configure(S3Client.builder(), settings)
                // Endpoint overrides (S3Proxy, MinIO, the sandbox) are addressed by path, not by virtual host.
                .forcePathStyle(settings.endpoint() != null)
                .serviceConfiguration(S3Configuration.builder().checksumValidationEnabled(true).build())
                .build();
    }

    /** An async S3 client with the SDK's own multipart support turned on, for large uploads. */
    public static S3AsyncClient s3Multipart(AwsSettings settings) {
        return configure(S3AsyncClient.builder(), settings)
                .forcePathStyle(settings.endpoint() != null)
                .multipartEnabled(true)
                .build();
    }
}
