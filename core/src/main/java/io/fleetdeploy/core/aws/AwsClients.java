package io.fleetdeploy.core.aws;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;

/**
 * Builds AWS SDK v2 clients from {@link AwsSettings}, the same way for every service: region,
 * endpoint override, credentials and the SDK's standard retry mode (which backs off on
 * throttling and 5xx by itself).
 */
public final class AwsClients {

    private AwsClients() {
    }

    /**
     * Attempts per call (the first included). The SDK's default of 3 gives up too soon when an
     * account is throttled hard during a large rollout; with the standard mode's exponential,
     * jittered backoff 8 attempts ride out several seconds of throttling.
     */
    public static final int MAX_ATTEMPTS = 8;

    /** Applies region, endpoint, credentials and retry settings to any SDK client builder. */
    public static <B extends AwsClientBuilder<B, C>, C> B configure(B builder, AwsSettings settings) {
        return configure(builder, settings, List.of());
    }

    /** As {@link #configure(AwsClientBuilder, AwsSettings)}, with interceptors (e.g. an {@link ApiCallCounter}). */
    public static <B extends AwsClientBuilder<B, C>, C> B configure(B builder, AwsSettings settings,
                                                                  List<ExecutionInterceptor> interceptors) {
        settings.regionIfSet().ifPresent(builder::region);
        settings.endpointIfSet().ifPresent(builder::endpointOverride);
        builder.credentialsProvider(settings.credentialsOrDefault());
        builder.overrideConfiguration(o -> o.retryStrategy(retryStrategy()).executionInterceptors(new ArrayList<>(interceptors)));
        return builder;
    }

    /** The SDK's standard retry mode (backoff with jitter on throttling, 5xx and connection errors) with {@link #MAX_ATTEMPTS}. */
    static RetryStrategy retryStrategy() {
        return AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(MAX_ATTEMPTS).build();
    }

    public static S3Client s3(AwsSettings settings) {
        return s3(settings, List.of());
    }

    public static S3Client s3(AwsSettings settings, List<ExecutionInterceptor> interceptors) {
        return configure(S3Client.builder(), settings, interceptors)
                // Endpoint overrides (S3Proxy, MinIO, the sandbox) are addressed by path, not by virtual host.
                .forcePathStyle(settings.endpoint() != null)
                .serviceConfiguration(S3Configuration.builder().checksumValidationEnabled(true).build())
                .build();
    }

    /** Part size of multipart uploads when none is given: big enough for few requests, small enough to run many in parallel. */
    public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;

    /**
     * Parts of one upload sent at once: the AWS CLI's default (max_concurrent_requests), which fills
     * a link to S3. The SDK's own default, 50, sends every part of a 512 MiB bundle at once, each on
     * its own TLS connection with its bytes in flight: on 2 cores that publish took about 8 % longer
     * (bench/publish-vs-awscli.sh).
     */
    public static final int PARTS_IN_FLIGHT = 10;

    /** An async S3 client with the SDK's own multipart support turned on, for large uploads. */
    public static S3AsyncClient s3Multipart(AwsSettings settings) {
        return s3Multipart(settings, DEFAULT_PART_SIZE);
    }

    /**
     * An async S3 client with the SDK's own multipart support: objects of at least {@code partSizeBytes}
     * go up as parallel parts of that size (S3's minimum is 5 MiB).
     */
    public static S3AsyncClient s3Multipart(AwsSettings settings, long partSizeBytes) {
        return s3Multipart(settings, partSizeBytes, null);
    }

    /** As {@link #s3Multipart(AwsSettings, long)} over the given HTTP client (which the caller closes); null: the SDK's own. */
    public static S3AsyncClient s3Multipart(AwsSettings settings, long partSizeBytes, SdkAsyncHttpClient http) {
        return s3Multipart(settings, partSizeBytes, http, List.of());
    }

    /** As {@link #s3Multipart(AwsSettings, long, SdkAsyncHttpClient)}, with more interceptors (tests use them to step in mid-upload). */
    public static S3AsyncClient s3Multipart(AwsSettings settings, long partSizeBytes, SdkAsyncHttpClient http,
                                            List<ExecutionInterceptor> interceptors) {
        List<ExecutionInterceptor> all = new ArrayList<>(interceptors);
        all.add(new ReportMultipartUploadId());
        if (settings.endpoint() != null) {
            all.add(new OmitMultipartObjectSize());
        }
        S3AsyncClientBuilder builder = configure(S3AsyncClient.builder(), settings, all)
                .forcePathStyle(settings.endpoint() != null)
                .multipartEnabled(true)
                .multipartConfiguration(m -> m.thresholdInBytes(partSizeBytes).minimumPartSizeInBytes(partSizeBytes)
                        .parallelConfiguration(p -> p.maxInFlightParts(PARTS_IN_FLIGHT)))
                // No CRC32 of every part (the SDK's default, WHEN_SUPPORTED, also frames each part in
                // aws-chunked encoding to carry it): over HTTPS TLS already protects the bytes in
                // transit, over plain HTTP SigV4 signs each part's sha256, and the release's own
                // sha256 is in its manifest and checked by every download. About 12 % of a 256 MiB
                // publish's CPU (bench/publish-vs-awscli.sh).
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
        if (http != null) {
            builder.httpClient(http);
        } else {
            builder.httpClientBuilder(uploadHttpClient(NettyNioAsyncHttpClient.builder()));
        }
        return builder.build();
    }

    /**
     * Put on a PutObjectRequest sent through an {@link #s3Multipart} client, receives the upload
     * id of the multipart upload the SDK creates for it. The SDK aborts a failed multipart upload
     * only after it has failed the call, on its own threads: a command that exits right after the
     * failure can leave the incomplete upload (and its parts) in the bucket. With the id the caller
     * aborts it itself before it reports the failure.
     */
    public static final ExecutionAttribute<Consumer<String>> MULTIPART_UPLOAD_CREATED =
            new ExecutionAttribute<>("fleet-deploy.multipartUploadCreated");

    /** Hands the id of each CreateMultipartUpload to the request's {@link #MULTIPART_UPLOAD_CREATED}, if it has one. */
    private static final class ReportMultipartUploadId implements ExecutionInterceptor {
        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            Consumer<String> created = attributes.getAttribute(MULTIPART_UPLOAD_CREATED);
            if (created != null && context.response() instanceof CreateMultipartUploadResponse response) {
                created.accept(response.uploadId());
            }
        }
    }

    /**
     * Netty settings for uploads: connections for more than {@link #PARTS_IN_FLIGHT} parts, so that
     * neither a part nor publish's small calls wait for one; where uploads through one client do
     * (several at once), each waiting request counts against the acquisition timeout, whose default
     * (10 s) a slow link or a busy machine exceeds although nothing is wrong. TLS as
     * {@link #uploadTlsProvider()} says.
     */
    static NettyNioAsyncHttpClient.Builder uploadHttpClient(NettyNioAsyncHttpClient.Builder builder) {
        return builder.maxConcurrency(64).connectionAcquisitionTimeout(Duration.ofMinutes(2)).sslProvider(uploadTlsProvider());
    }

    /**
     * Where uploads encrypt: in BoringSSL (Netty's {@link SslProvider#OPENSSL}) when its native
     * library loads, which takes far less CPU per byte than the JDK's own SSLEngine; otherwise in
     * the JDK. Only the command line ships the library (netty-tcnative-boringssl-static): the
     * Jenkins plugin and any platform without a native build of it keep the JDK's TLS, and a
     * library that fails to load is reported to Netty's debug log only, so nothing reaches the
     * command's output. Both providers verify the server with the JDK's default trust managers,
     * so {@code -Djavax.net.ssl.trustStore} (private CAs, S3-compatible endpoints) holds for both.
     */
    public static SslProvider uploadTlsProvider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * S3-compatible stores (S3Proxy, hence the sandbox) answer 501 NotImplemented to the optional
     * {@code x-amz-mp-object-size} header the SDK sends with CompleteMultipartUpload. It is only
     * an extra size check, so it is left out when an endpoint override is set; AWS S3 keeps it.
     */
    private static final class OmitMultipartObjectSize implements ExecutionInterceptor {
        @Override
        public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
            if (context.request() instanceof CompleteMultipartUploadRequest) {
                return context.httpRequest().toBuilder().removeHeader("x-amz-mp-object-size").build();
            }
            return context.httpRequest();
        }
    }
}
