package io.fleetdeploy.sandbox.runtime;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.TimeUnit;

/** The accepted connections of one server, so stopping the server also cuts them (as a terminated host would). */
@ChannelHandler.Sharable
final class OpenConnections extends ChannelInboundHandlerAdapter {
    private static final long CLOSE_WAIT_SECONDS = 5;

    private final EventExecutor executor;
    private final ChannelGroup channels;

    OpenConnections(EventExecutor executor) {
        this.executor = executor;
        this.channels = new DefaultChannelGroup(executor);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channels.add(ctx.channel());
        ctx.fireChannelActive();
    }

    /**
     * Closes every open connection and waits (bounded) until they are closed, so a terminated
     * instance answers nothing, not even on a connection a client kept alive.
     */
    void closeAll() {
        var closing = channels.close();
        if (!executor.inEventLoop()) {
            closing.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
