package io.fleetdeploy.core.aws;

import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * An async S3 client with the SDK's multipart support ({@link AwsClients#s3Multipart}) whose
 * event loop we own, so closing it takes milliseconds: the SDK shuts down an event loop it created
 * with a two-second quiet period, which a one-shot command line pays on every upload.
 */
public final class MultipartClient implements AutoCloseable {

    private final SdkEventLoopGroup eventLoops;
    private final SdkAsyncHttpClient http;
    private final S3AsyncClient client;

    private MultipartClient(SdkEventLoopGroup eventLoops, SdkAsyncHttpClient http, S3AsyncClient client) {
        this.eventLoops = eventLoops;
        this.http = http;
        this.client = client;
    }

    public static MultipartClient create(AwsSettings settings, long partSizeBytes) {
        SdkEventLoopGroup eventLoops = SdkEventLoopGroup.builder().build();
        SdkAsyncHttpClient http = AwsClients.uploadHttpClient(NettyNioAsyncHttpClient.builder().eventLoopGroup(eventLoops)).build();
        return new MultipartClient(eventLoops, http, AwsClients.s3Multipart(settings, partSizeBytes, http));
    }

    public S3AsyncClient client() {
        return client;
    }

    @Override
    public void close() {
        client.close();
        http.close();
        // Nothing is in flight any more once the client is closed: no quiet period needed.
        eventLoops.eventLoopGroup().shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
