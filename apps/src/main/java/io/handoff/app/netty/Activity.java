package io.handoff.app.netty;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * What a drain needs to know of a connection whose protocol handoff does not speak: when it last read and last
 * wrote. Read after the last write: a request is in flight. Written last and quiet since: between requests, safe to
 * close. Written by the channel's event loop, read by the draining thread.
 */
final class Activity extends ChannelDuplexHandler {
    private volatile long lastRead = System.nanoTime();
    private volatile long lastWrite = lastRead;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastRead = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastWrite = System.nanoTime();
        ctx.write(msg, promise);
    }

    boolean idleSince(long now) {
        long read = lastRead, wrote = lastWrite;
        return wrote - read >= 0 && now - wrote >= NettyEngine.QUIET_NANOS;
    }
}
