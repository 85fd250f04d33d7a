package io.fleetdeploy.sandbox.runtime;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * HTTP health checks on the shared event loop: each target keeps one kept-alive connection that its
 * checks reuse, so a check costs one small request and response, no thread hop and no new connection.
 * A check that times out closes its connection (the next one connects afresh), as a load balancer does.
 */
final class HealthProbe {
    /** What one check saw: a status code, or no answer in time, or no connection. */
    record Result(int status, boolean timedOut) {
        static final Result TIMED_OUT = new Result(0, true);
        static final Result UNREACHABLE = new Result(0, false);
    }

    /** One target's connection; reused between checks. */
    static final class Connection {
        private final URI endpoint;
        private volatile Channel channel;

        Connection(URI endpoint) {
            this.endpoint = endpoint;
        }

        void close() {
            Channel open = channel;
            if (open != null) {
                open.close();
            }
        }
    }

    private static final class Pending {
        final Consumer<Result> done;
        ScheduledFuture<?> timer;

        Pending(Consumer<Result> done) {
            this.done = done;
        }
    }

    private static final AttributeKey<Pending> PENDING = AttributeKey.valueOf("fleet.health.pending");
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private final Bootstrap bootstrap;

    HealthProbe(EventLoopGroup eventLoop) {
        this.bootstrap = new Bootstrap()
                .group(eventLoop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                                new ResponseHandler());
                    }
                });
    }

    /** Sends GET {@code path} to the target; {@code done} is called exactly once, on the event loop. */
    void check(Connection connection, String path, Duration timeout, Consumer<Result> done) {
        Channel open = connection.channel;
        if (open != null && open.isActive()) {
            send(open, connection.endpoint, path, timeout, done);
            return;
        }
        ChannelFuture connecting = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .connect(connection.endpoint.getHost(), connection.endpoint.getPort());
        connecting.addListener(connected -> {
            if (connected.isSuccess()) {
                connection.channel = connecting.channel();
                send(connecting.channel(), connection.endpoint, path, timeout, done);
            } else {
                done.accept(connected.cause() instanceof ConnectTimeoutException ? Result.TIMED_OUT : Result.UNREACHABLE);
            }
        });
    }

    private static void send(Channel channel, URI endpoint, String path, Duration timeout, Consumer<Result> done) {
        channel.eventLoop().execute(() -> {
            Pending pending = new Pending(done);
            if (channel.attr(PENDING).setIfAbsent(pending) != null) {
                // The previous check on this connection is still waiting: report this one as not answered.
                done.accept(Result.TIMED_OUT);
                return;
            }
            pending.timer = channel.eventLoop().schedule(() -> {
                complete(channel, Result.TIMED_OUT);
                channel.close();
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers()
                    .set(HttpHeaderNames.HOST, endpoint.getHost() + ":" + endpoint.getPort())
                    .set(HttpHeaderNames.USER_AGENT, "ELB-HealthChecker/2.0")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            channel.writeAndFlush(request).addListener(written -> {
                if (!written.isSuccess()) {
                    complete(channel, Result.UNREACHABLE);
                    channel.close();
                }
            });
        });
    }

    private static void complete(Channel channel, Result result) {
        Pending pending = channel.attr(PENDING).getAndSet(null);
        if (pending != null) {
            if (pending.timer != null) {
                pending.timer.cancel(false);
            }
            pending.done.accept(result);
        }
    }

    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            complete(ctx.channel(), new Result(response.status().code(), false));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            complete(ctx.channel(), Result.UNREACHABLE);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            complete(ctx.channel(), Result.UNREACHABLE);
            ctx.close();
        }
    }
}
