package io.fleetdeploy.sandbox.runtime;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Copies requests and responses between the Netty servers and the shared java.net.http client. */
final class HttpRelay {
    /** Hop-by-hop headers (RFC 9110 7.6.1) and those the client computes itself. */
    private static final Set<String> NOT_RELAYED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
            "host", "content-length", "expect");

    private HttpRelay() {
    }

    /**
     * The same request, sent to {@code base} (scheme, host and port) with the original path and query; an
     * absolute request URI keeps only its path and query, so a client cannot pick another host.
     *
     * @throws IllegalArgumentException when the request URI is malformed
     */
    static HttpRequest forward(FullHttpRequest request, URI base, Duration timeout, Map<String, String> extraHeaders) {
        String pathAndQuery = request.uri();
        if (!pathAndQuery.startsWith("/")) {
            URI absolute = URI.create(pathAndQuery);
            String path = absolute.getRawPath() == null || absolute.getRawPath().isEmpty() ? "/" : absolute.getRawPath();
            pathAndQuery = path + (absolute.getRawQuery() == null ? "" : "?" + absolute.getRawQuery());
        }
        URI target = URI.create(base.getScheme() + "://" + base.getRawAuthority() + pathAndQuery);
        byte[] body = ByteBufUtil.getBytes(request.content());
        HttpRequest.Builder builder = HttpRequest.newBuilder(target)
                .timeout(timeout)
                .method(request.method().name(), body.length == 0
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, String> header : request.headers()) {
            if (!NOT_RELAYED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                addIfAllowed(builder, header.getKey(), header.getValue());
            }
        }
        extraHeaders.forEach(builder::setHeader);
        return builder.build();
    }

    private static void addIfAllowed(HttpRequest.Builder builder, String name, String value) {
        try {
            builder.header(name, value);
        } catch (IllegalArgumentException restrictedByTheClient) {
            // java.net.http refuses a few headers it owns (e.g. Date in some JDKs); the target does without them.
        }
    }

    static FullHttpResponse toNetty(HttpResponse<byte[]> response) {
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(response.statusCode()), Unpooled.wrappedBuffer(response.body()));
        for (Map.Entry<String, List<String>> header : response.headers().map().entrySet()) {
            String name = header.getKey();
            if (!name.startsWith(":") && !NOT_RELAYED.contains(name.toLowerCase(Locale.ROOT))) {
                out.headers().add(name, header.getValue());
            }
        }
        return out;
    }

    static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return response;
    }

    /** Writes the response, keeping the connection open only when the client asked for keep-alive. */
    static void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
