package dev.olla.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * A streamed generation, token by token in the flavour's bytes ({@link StreamWire}), one token per
 * inter-token delay on the stream's own time grid (a batch at a time when there is no delay), paused while
 * the client cannot take more;
 * or, instead, the stream fault the switchboard holds for it ({@link SimFaults}: error first, reset after the
 * role chunk, stall after the head, drop after N tokens). The handler keeps the running one, to abort it when
 * the client goes away and to resume it when the channel is writable again. Event loop only.
 */
final class TokenStream implements Runnable {
    private static final int ZERO_DELAY_BATCH = 64;

    private final SimHandler h;
    private final ChannelHandlerContext ctx;
    private final SimStats stats;
    private final Gen g;
    private final boolean close;
    private final long delay;
    private final int dropAfter;
    private int emitted;
    private boolean done;
    private boolean waiting;
    /** When the token now being waited for is due (System.nanoTime). */
    private long due;
    private ScheduledFuture<?> next;

    private TokenStream(SimHandler h, Gen g, boolean close, int dropAfter) {
        this.h = h;
        this.ctx = h.ctx();
        this.stats = h.sim().stats();
        this.g = g;
        this.close = close;
        this.delay = h.sim().interTokenDelayNanos();
        this.dropAfter = dropAfter;
    }

    /** Starts streaming {@code g} as the answer to the handler's current request (or its stream fault). */
    static void start(SimHandler h, Gen g) {
        SimRequest ex = h.current();
        ChannelHandlerContext ctx = h.ctx();
        SimFlavor flavor = h.sim().flavor();
        SimStats stats = h.sim().stats();
        boolean close = h.shouldClose(ex, 200, false);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders hd = r.headers();
        h.leadingHeaders(hd, ex);
        if (flavor == SimFlavor.LLAMACPP) {
            hd.add("X-Accel-Buffering", "no");
        }
        hd.add("Content-Type", Wire.streamType(g));
        if (flavor == SimFlavor.OPENAI || flavor == SimFlavor.LMSTUDIO) {
            hd.add("Cache-Control", "no-cache");
        }
        hd.add("Transfer-Encoding", HttpHeaderValues.CHUNKED);
        h.connectionHeaders(hd, ex, close);
        SimFaults faults = h.sim().faults();
        SimFaults.Stall stall = null;
        if (!ex.head()) {
            if (faults.takeErrorFirst()) {
                stats.faultInjected();
                ctx.write(r, ctx.voidPromise());
                ByteBuf b = h.buffer();
                StreamErrorWire.write(b, g, Wire.generationFaultMessage(flavor));
                h.writeChunk(b);
                h.finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), close);
                return;
            }
            if (faults.takeResetAfterRole()) {
                stats.faultInjected();
                ByteBuf b = h.buffer();
                StreamWire.roleChunk(b, g);
                h.resetAfter(r, b);
                return;
            }
            stall = faults.takeStall();
            if (stall != null) {
                stats.faultInjected();
            }
        }
        TokenStream s = new TokenStream(h, g, close, stall == null ? faults.takeDropAfterTokens() : -1);
        h.streaming(s);
        stats.streamStarted();
        ctx.write(r, ctx.voidPromise());
        if (!ex.head() && (stall == null || stall.roleChunk())) {
            ByteBuf head = h.buffer();
            if (stall != null) {
                StreamWire.roleChunk(head, g);
            } else {
                StreamWire.streamHead(head, g);
            }
            h.writeChunk(head);
        }
        ctx.flush();
        if (stall == null) {
            s.begin();
            return;
        }
        h.later(stall.duration().toNanos(), () -> {
            if (h.streaming() != s) {
                return;
            }
            ByteBuf head = h.buffer();
            StreamWire.streamHead(head, g);
            h.writeChunk(head);
            ctx.flush();
            s.begin();
        });
    }

    private void begin() {
        long first = h.sim().firstTokenDelayNanos();
        due = System.nanoTime();
        if (dropAfter == 0) {
            drop();
        } else if (first > 0 && g.n > 0) {
            due += first;
            next = ctx.executor().schedule(this, first, TimeUnit.NANOSECONDS);
        } else {
            run();
        }
    }

    /** The channel is writable again: go on if paused. */
    void resume() {
        if (waiting && !done) {
            waiting = false;
            run();
        }
    }

    /** The client went away: stop. */
    void abort() {
        done = true;
        if (next != null) {
            next.cancel(false);
        }
    }

    @Override
    public void run() {
        next = null;
        if (done || h.streaming() != this) {
            return;
        }
        if (!ctx.channel().isWritable()) {
            waiting = true;
            return;
        }
        int batch = delay > 0 ? 1 : ZERO_DELAY_BATCH;
        for (int k = 0; k < batch && emitted < g.n; k++) {
            if (emitted == 0) {
                g.firstTokenNanos = System.nanoTime();
            }
            ByteBuf b = h.buffer();
            if (emitted == 0) {
                StreamWire.streamFirstPrefix(b, g);
            }
            StreamWire.streamToken(b, g, emitted);
            h.writeChunk(b);
            emitted++;
            h.tokenDecoded();
            if (dropAfter > 0 && emitted >= dropAfter) {
                drop();
                return;
            }
        }
        if (emitted >= g.n) {
            end();
            return;
        }
        ctx.flush();
        if (delay > 0) {
            // on the stream's own grid (first token + k x delay), not "delay after this one went out": a late
            // wake-up or a busy loop (hundreds of streams due at once) must not push every later token of the
            // stream back (drift). Later than a quarter of a delay (a stall, a paused client, an overloaded
            // machine): a new grid from now; two tokens are never closer than 3/4 of a delay.
            long now = System.nanoTime();
            due += delay;
            if (due - now < delay - delay / 4) {
                due = now + delay;
            }
            next = ctx.executor().schedule(this, due - now, TimeUnit.NANOSECONDS);
        } else {
            ctx.executor().execute(this);
        }
    }

    private void end() {
        done = true;
        g.endNanos = System.nanoTime();
        ByteBuf b = h.buffer();
        if (g.n == 0) {
            StreamWire.streamFirstPrefix(b, g);
        }
        StreamWire.streamFinish(b, g);
        h.writeChunk(b);
        ByteBuf d = h.buffer();
        StreamWire.streamDone(d, g);
        h.writeChunk(d);
        h.streaming(null);
        stats.streamCompleted();
        h.finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), close);
    }

    /** Ends like a crashed server: what was sent is flushed, then the connection closes without an end. */
    private void drop() {
        done = true;
        h.streaming(null);
        h.abandon();
        stats.streamDropped();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}
