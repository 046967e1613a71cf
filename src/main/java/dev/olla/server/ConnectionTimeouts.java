package dev.olla.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;

/**
 * Server-side connection deadlines, first in the pipeline so it sees raw bytes:
 * {@code read_header_timeout} from connect (or from the first byte of a later request) until the
 * request head is decoded (the Slowloris guard), {@code read_timeout} until the body is complete, and
 * the idle timeout between keep-alive requests. No deadline while a response is being produced.
 * Deadlines are checked by the loop's {@link Deadlines} sweep, so moving one costs a field write.
 */
final class ConnectionTimeouts extends ChannelInboundHandlerAdapter {
    private enum State { AWAIT_HEAD, READ_BODY, BUSY, IDLE }

    private final long headerNanos;
    private final long readNanos;
    private final long idleNanos;
    private ChannelHandlerContext ctx;
    private Deadlines deadlines;
    private State state = State.AWAIT_HEAD;
    private long deadline = Long.MAX_VALUE;
    private final Deadlines.Entry entry = new Deadlines.Entry() {
        @Override
        protected long deadlineNanos() {
            return deadline;
        }

        @Override
        protected void deadlineReached(long nowNanos) {
            if (state != State.BUSY) {
                deadline = Long.MAX_VALUE;
                ctx.channel().close();
            }
        }
    };

    ConnectionTimeouts(ServerSettings settings) {
        this.headerNanos = nanos(settings.readHeaderTimeout());
        this.readNanos = nanos(settings.readTimeout());
        this.idleNanos = nanos(settings.idleTimeout());
    }

    private static long nanos(Duration d) {
        return d == null || d.isZero() || d.isNegative() ? 0 : d.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        deadlines = Deadlines.of(ctx.channel().eventLoop());
        deadlines.add(entry);
        arm(headerNanos);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (state == State.IDLE) {
            state = State.AWAIT_HEAD;
            arm(headerNanos);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (deadlines != null) {
            deadlines.remove(entry);
        }
        super.channelInactive(ctx);
    }

    /** The request head was decoded; the body follows. */
    void headReceived() {
        state = State.READ_BODY;
        arm(readNanos);
    }

    /** The whole request is in; a handler is producing the response. */
    void requestComplete() {
        state = State.BUSY;
        deadline = Long.MAX_VALUE;
    }

    /** The response ended and the connection stays open for the next request. */
    void idle() {
        state = State.IDLE;
        arm(idleNanos);
    }

    private void arm(long nanos) {
        deadline = nanos > 0 ? System.nanoTime() + nanos : Long.MAX_VALUE;
    }
}
