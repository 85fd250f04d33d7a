package io.fleetdeploy.sandbox.runtime;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The threads every instance, health checker and listener share: one small Netty event loop for all
 * loopback HTTP servers, one scheduler for timers, and one HTTP client (with its worker pool) for
 * health checks and forwarding. 200 instances cost 200 server sockets, not 200 threads.
 */
public final class RuntimeIo implements AutoCloseable {
    /** Largest request or response body the sandbox's servers and proxies hold in memory. */
    static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final EventLoopGroup eventLoop;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final HttpClient http;

    private RuntimeIo(int ioThreads) {
        this.eventLoop = new NioEventLoopGroup(ioThreads, daemonThreads("sandbox-io"));
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, daemonThreads("sandbox-timer"));
        timers.setRemoveOnCancelPolicy(true);
        this.scheduler = timers;
        // Workers only complete futures and write to channels; they never block, so few are alive at once.
        this.workers = new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                daemonThreads("sandbox-http"), new ThreadPoolExecutor.CallerRunsPolicy());
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(2))
                .executor(workers)
                .build();
    }

    /** Two event-loop threads: enough for hundreds of idle loopback servers on a 2-core machine. */
    public static RuntimeIo create() {
        return new RuntimeIo(2);
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public HttpClient http() {
        return http;
    }

    EventLoopGroup eventLoop() {
        return eventLoop;
    }

    /**
     * Binds an HTTP/1.1 server on 127.0.0.1 and an ephemeral port; each connection gets a fresh handler
     * that receives whole (aggregated) requests.
     */
    Channel bindHttp(Supplier<ChannelHandler> handlers, ChannelHandler connectionTracker) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(eventLoop)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(connectionTracker, new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_BODY_BYTES), handlers.get());
                    }
                });
        try {
            return bootstrap.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding a loopback HTTP server", e);
        } catch (Exception e) {
            throw new UncheckedIOException("could not bind a loopback HTTP server on 127.0.0.1",
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        eventLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownNow();
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
