package io.fleetdeploy.sandbox.runtime;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;

/** The accepted connections of one server, so stopping the server also cuts them (as a terminated host would). */
@ChannelHandler.Sharable
final class OpenConnections extends ChannelInboundHandlerAdapter {
    private final ChannelGroup channels;

    OpenConnections(EventExecutor executor) {
        this.channels = new DefaultChannelGroup(executor);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channels.add(ctx.channel());
        ctx.fireChannelActive();
    }

    void closeAll() {
        channels.close();
    }
}
