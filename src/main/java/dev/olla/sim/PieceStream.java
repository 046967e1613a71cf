package dev.olla.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A streamed answer whose pieces are prepared in advance (whole SSE events or NDJSON lines), for the shapes
 * {@link Wire} does not generate token by token: tool calls and Anthropic Messages events. One piece goes
 * out per inter-token delay. A {@link Script} that names its error piece also takes the switchboard's stream
 * faults ({@link SimFaults}) in its own shape: the error piece first ({@code errorFirst}), the first piece
 * then a reset ({@code resetAfterRole}), a stall after the head or the first piece ({@code stallAfterHead}),
 * a crash after N content pieces ({@code dropAfterTokens}); at most one per stream, in that order.
 * Runs on the connection's event loop.
 */
final class PieceStream {

    /**
     * What one streamed answer sends.
     *
     * @param contentType the response's content type
     * @param pieces      every piece, in order
     * @param preamble    how many leading pieces carry no content (Anthropic: {@code message_start} and
     *                    {@code content_block_start}); the first one is the "role" piece of the faults
     * @param errorPiece  what the server writes when it fails inside the stream; null: no stream faults
     */
    record Script(String contentType, List<String> pieces, int preamble, String errorPiece) {
        Script {
            pieces = List.copyOf(pieces);
            if (preamble < 0 || preamble > pieces.size()) {
                throw new IllegalArgumentException("preamble " + preamble + " of " + pieces.size() + " pieces");
            }
        }

        /** A script without stream faults. */
        static Script plain(String contentType, List<String> pieces) {
            return new Script(contentType, pieces, 0, null);
        }
    }

    private final SimHandler h;
    private final ChannelHandlerContext ctx;
    private final SimRequest ex;
    private final Script script;
    private final boolean close;
    private final long delay;
    /** How many pieces go out before the connection is dropped ({@code dropAfterTokens}); -1: never. */
    private int dropAt = -1;
    private int next;

    private PieceStream(SimHandler h, Script script) {
        this.h = h;
        this.ctx = h.ctx();
        this.ex = h.current();
        this.script = script;
        this.close = h.shouldClose(ex, 200, false);
        this.delay = h.sim().interTokenDelayNanos();
    }

    /** Streams {@code script} as the answer to the handler's current request. */
    static void send(SimHandler h, Script script) {
        new PieceStream(h, script).start();
    }

    private void start() {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders hd = r.headers();
        h.leadingHeaders(hd, ex);
        hd.add("Content-Type", script.contentType());
        hd.add("Cache-Control", "no-cache");
        hd.add("Transfer-Encoding", HttpHeaderValues.CHUNKED);
        h.connectionHeaders(hd, ex, close);
        SimFaults faults = h.sim().faults();
        SimStats stats = h.sim().stats();
        SimFaults.Stall stall = null;
        if (script.errorPiece() != null && !ex.head()) {
            if (faults.takeErrorFirst()) {
                stats.faultInjected();
                ctx.write(r, ctx.voidPromise());
                write(script.errorPiece());
                h.finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), close);
                return;
            }
            if (faults.takeResetAfterRole()) {
                stats.faultInjected();
                h.resetAfter(r, piece(0));
                return;
            }
            stall = faults.takeStall();
            if (stall != null) {
                stats.faultInjected();
            } else {
                int n = faults.takeDropAfterTokens();
                if (n >= 0 && script.preamble() + n <= script.pieces().size()) {
                    dropAt = script.preamble() + n;
                }
            }
        }
        stats.streamStarted();
        if (stall == null) {
            ctx.writeAndFlush(r, ctx.voidPromise());
            step();
            return;
        }
        ctx.write(r, ctx.voidPromise());
        if (stall.roleChunk() && !script.pieces().isEmpty()) {
            write(script.pieces().get(next++));
        }
        ctx.flush();
        h.later(stall.duration().toNanos(), this::step);
    }

    private void step() {
        if (h.current() != ex || !ctx.channel().isActive()) {
            return;
        }
        if (next == dropAt) {
            // like a crashed server: what was sent is flushed, then the connection closes without an end
            h.sim().stats().streamDropped();
            h.abandon();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (next >= script.pieces().size() || ex.head()) {
            h.sim().stats().streamCompleted();
            h.finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), close);
            return;
        }
        write(script.pieces().get(next++));
        ctx.flush();
        if (next == dropAt) {
            step(); // a crash right after the piece
        } else if (delay > 0) {
            h.later(delay, this::step);
        } else {
            ctx.executor().execute(this::step);
        }
    }

    private ByteBuf piece(int i) {
        ByteBuf b = ctx.alloc().buffer();
        if (i < script.pieces().size()) {
            b.writeCharSequence(script.pieces().get(i), StandardCharsets.UTF_8);
        }
        return b;
    }

    private void write(String piece) {
        ByteBuf b = ctx.alloc().buffer();
        b.writeCharSequence(piece, StandardCharsets.UTF_8);
        ctx.write(new DefaultHttpContent(b), ctx.voidPromise());
    }
}
