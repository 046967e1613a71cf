package dev.olla.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Server-side connection deadlines, first in the pipeline so it sees raw bytes:
 * {@code read_header_timeout} from connect (or from the first byte of a later request) until the
 * request head is decoded (the Slowloris guard), {@code read_timeout} until the body is complete, and
 * the idle timeout between keep-alive requests. No deadline while a response is being produced.
 */
final class ConnectionTimeouts extends ChannelInboundHandlerAdapter {
    private enum State { AWAIT_HEAD, READ_BODY, BUSY, IDLE }

    private final ServerSettings settings;
    private ChannelHandlerContext ctx;
    private State state = State.AWAIT_HEAD;
    private ScheduledFuture<?> timer;

    ConnectionTimeouts(ServerSettings settings) {
        this.settings = settings;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(settings.readHeaderTimeout());
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (state == State.IDLE) {
            state = State.AWAIT_HEAD;
            arm(settings.readHeaderTimeout());
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    /** The request head was decoded; the body follows. */
    void headReceived() {
        state = State.READ_BODY;
        arm(settings.readTimeout());
    }

    /** The whole request is in; a handler is producing the response. */
    void requestComplete() {
        state = State.BUSY;
        cancel();
    }

    /** The response ended and the connection stays open for the next request. */
    void idle() {
        state = State.IDLE;
        arm(settings.idleTimeout());
    }

    private void arm(Duration d) {
        cancel();
        if (d != null && !d.isZero() && !d.isNegative()) {
            timer = ctx.executor().schedule(this::expired, d.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (state != State.BUSY) {
            ctx.channel().close();
        }
    }
}
