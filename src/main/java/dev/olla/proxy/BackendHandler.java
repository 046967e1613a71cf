package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler on a backend connection: hands every decoded response message to the attempt
 * currently using the connection. A message or close while the connection sits idle in the pool
 * drops it from the pool.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    private final ChannelPool pool;
    private ChannelHandlerContext ctx;
    private Attempt attempt;
    private long idleSince;
    private Endpoint idleFor;
    private int uses;

    BackendHandler(ChannelPool pool) {
        this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    Channel channel() {
        return ctx.channel();
    }

    long idleSince() {
        return idleSince;
    }

    /** How many exchanges this connection carried before the current one (0 = fresh). */
    int uses() {
        return uses;
    }

    void attach(Attempt a) {
        attempt = a;
        idleFor = null;
    }

    void detach() {
        attempt = null;
        uses++;
    }

    void markIdle(Endpoint ep) {
        idleSince = System.nanoTime();
        idleFor = ep;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Attempt a = attempt;
        if (a != null) {
            a.onBackendMessage(msg);
        } else {
            // Nothing is waiting for this (a backend talking out of turn): drop the connection.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Attempt a = attempt;
        if (a != null) {
            a.onBackendReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Attempt a = attempt;
        if (a != null) {
            a.onBackendClosed(null);
        } else {
            pool.idleClosed(this, idleFor);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Attempt a = attempt;
        if (a != null) {
            a.onBackendClosed(cause);
        }
        ctx.close();
    }
}
