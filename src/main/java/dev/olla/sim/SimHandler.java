package dev.olla.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: reads aggregated requests, answers them in order (pipelined requests wait their
 * turn; {@link Routes} picks each answer), writes whole answers and error bodies in the flavour's headers,
 * owns what an answer holds (its slot, its timer, the running {@link TokenStream}) and lets it go when the
 * answer ends or the client goes away. Generations run through {@link Generation}, {@link TokenStream} and
 * {@link PieceStream}. Every field is confined to the channel's event loop.
 */
final class SimHandler extends ChannelInboundHandlerAdapter {

    /** llama.cpp (cpp-httplib) closes a keep-alive connection after this many requests. */
    private static final int LLAMACPP_MAX_REQUESTS = 100;

    private final SimulatedBackend sim;
    private final SimFlavor flavor;
    private final SimStats stats;
    private ChannelHandlerContext ctx;
    private final ArrayDeque<SimRequest> queue = new ArrayDeque<>();
    private SimRequest current;
    private ScheduledFuture<?> pending;
    private ScheduledFuture<?> idle;
    private TokenStream stream;
    private int served;
    private boolean closing;
    /** The slot the current generation holds or waits for. */
    private SimSlots.Lease lease;

    SimHandler(SimulatedBackend sim) {
        this.sim = sim;
        this.flavor = sim.flavor();
        this.stats = sim.stats();
    }

    SimulatedBackend sim() {
        return sim;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        stats.connectionOpened();
        armIdle();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stats.connectionClosed();
        cancel(pending);
        cancel(idle);
        pending = null;
        idle = null;
        if (stream != null) {
            TokenStream s = stream;
            stream = null;
            s.abort();
            stats.streamCancelled();
        }
        queue.clear();
        current = null;
        releaseSlot();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        SimRequest ex;
        try {
            if (closing) {
                return;
            }
            if (req.decoderResult().isFailure()) {
                closing = true;
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST, Unpooled.EMPTY_BUFFER);
                r.headers().set("Content-Length", 0).set("Connection", HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ex = new SimRequest(req, ++served);
            stats.request(new SimStats.RecordedRequest(ex.method, ex.uri, headerMap(req.headers()), ex.body));
        } finally {
            req.release();
        }
        cancel(idle);
        idle = null;
        queue.add(ex);
        if (current == null) {
            next();
        }
    }

    private static Map<String, List<String>> headerMap(HttpHeaders h) {
        Map<String, List<String>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, String> e : h) {
            m.computeIfAbsent(e.getKey(), k -> new ArrayList<>(1)).add(e.getValue());
        }
        m.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(m);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (stream != null && ctx.channel().isWritable()) {
            stream.resume();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void next() {
        current = queue.poll();
        if (current == null) {
            armIdle();
            return;
        }
        SimRequest ex = current;
        long delay = sim.faults().firstByteDelay().toNanos();
        if (SimFlavor.isGenerationRoute(ex.method, ex.path)) {
            long load = sim.faults().takeLoadDelayNanos();
            if (load > 0) {
                stats.faultInjected();
                delay += load;
            }
        }
        if (delay > 0) {
            pending = ctx.executor().schedule(() -> {
                pending = null;
                if (current == ex && ctx.channel().isActive()) {
                    dispatch(ex);
                }
            }, delay, TimeUnit.NANOSECONDS);
        } else {
            dispatch(ex);
        }
    }

    private void dispatch(SimRequest ex) {
        try {
            Routes.dispatch(this, ex);
        } catch (RuntimeException e) {
            if (current == ex && stream == null) {
                ByteBuf b = ctx.alloc().buffer();
                Wire.error(b, flavor, ex.path.startsWith("/v1/"), 500, "simulator error: " + e, null, null);
                sendFull(500, Wire.jsonType(flavor), b, true);
            } else {
                ctx.close();
            }
        }
    }

    private void armIdle() {
        long t = sim.keepAliveTimeoutNanos();
        if (t > 0 && ctx.channel().isActive()) {
            cancel(idle);
            idle = ctx.executor().schedule(() -> {
                idle = null;
                if (current == null) {
                    ctx.close();
                }
            }, t, TimeUnit.NANOSECONDS);
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    // ------------------------------------------------------------------------------------------ responses

    ChannelHandlerContext ctx() {
        return ctx;
    }

    ByteBuf buffer() {
        return ctx.alloc().buffer();
    }

    /** The request being answered, null between requests. */
    SimRequest current() {
        return current;
    }

    /**
     * The current answer ends like a crashed server: the slot is given back, nothing more is read or
     * answered on this connection (the caller closes it).
     */
    void abandon() {
        releaseSlot();
        closing = true;
        queue.clear();
    }

    boolean shouldClose(SimRequest ex, int status, boolean force) {
        return force || !ex.keepAlive || !sim.isRunning()
                || (flavor == SimFlavor.LLAMACPP && (status >= 400 || ex.index >= LLAMACPP_MAX_REQUESTS));
    }

    void leadingHeaders(HttpHeaders h, SimRequest ex) {
        if (flavor == SimFlavor.LLAMACPP) {
            h.add("Server", "llama.cpp");
            h.add("Access-Control-Allow-Origin", ex.origin == null ? "" : ex.origin);
        } else if (flavor == SimFlavor.VLLM) {
            h.add("server", "uvicorn");
        }
    }

    void connectionHeaders(HttpHeaders h, SimRequest ex, boolean close) {
        if (close) {
            h.add("Connection", HttpHeaderValues.CLOSE);
        } else if (flavor == SimFlavor.LLAMACPP) {
            h.add("Keep-Alive", "timeout=5, max=" + LLAMACPP_MAX_REQUESTS);
        } else if (ex.http10) {
            h.add("Connection", HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** Sends a complete response to the current request (taking ownership of {@code body}). */
    void sendFull(int status, String contentType, ByteBuf body, boolean forceClose) {
        sendFull(status, contentType, body, forceClose, null);
    }

    /** As {@link #sendFull(int, String, ByteBuf, boolean)}, with extra headers written after the content type. */
    void sendFull(int status, String contentType, ByteBuf body, boolean forceClose, Map<String, String> extra) {
        SimRequest ex = current;
        if (ex == null || !ctx.channel().isActive()) {
            body.release();
            return;
        }
        boolean close = shouldClose(ex, status, forceClose);
        int length = body.readableBytes();
        ByteBuf content = body;
        if (ex.head()) {
            body.release();
            content = Unpooled.EMPTY_BUFFER;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), content);
        HttpHeaders h = r.headers();
        leadingHeaders(h, ex);
        if (flavor == SimFlavor.VLLM) {
            h.add("content-length", length);
            if (contentType != null) {
                h.add("content-type", contentType);
            }
        } else {
            if (contentType != null) {
                h.add("Content-Type", contentType);
            }
            if (extra != null) {
                extra.forEach(h::add);
            }
            h.add("Content-Length", length);
        }
        connectionHeaders(h, ex, close);
        finish(ctx.writeAndFlush(r), close);
    }

    /** The slot the current generation took (or waits for); given back when its answer ends. */
    void holdSlot(SimSlots.Lease l) {
        lease = l;
    }

    /** One more token generated on the current generation's slot. */
    void tokenDecoded() {
        if (lease != null) {
            lease.decoded();
        }
    }

    void releaseSlot() {
        SimSlots.Lease l = lease;
        lease = null;
        if (l != null) {
            l.release();
        }
    }

    /** Ends the current answer once {@code written}: closes the connection or serves the next request. */
    void finish(io.netty.channel.ChannelFuture written, boolean close) {
        current = null;
        releaseSlot();
        if (close) {
            closing = true;
            queue.clear();
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
            written.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            next();
        }
    }

    /** Sends the error body of the flavour for the current request. */
    void sendError(int status, String message, String param, String code) {
        SimRequest ex = current;
        ByteBuf b = buffer();
        try {
            Wire.error(b, flavor, ex != null && ex.path.startsWith("/v1/"), status, message, param, code);
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
        sendFull(status, Wire.jsonType(flavor), b, false);
    }

    /** Runs {@code task} after {@code delayNanos} (immediately if zero) unless the client goes away first. */
    void later(long delayNanos, Runnable task) {
        if (delayNanos <= 0) {
            task.run();
            return;
        }
        SimRequest ex = current;
        pending = ctx.executor().schedule(() -> {
            pending = null;
            if (current == ex && ctx.channel().isActive()) {
                task.run();
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Sends {@code r} and {@code first}, then resets the connection (RST, SO_LINGER 0) 20 ms later. */
    void resetAfter(HttpResponse r, ByteBuf first) {
        closing = true;
        queue.clear();
        ctx.write(r, ctx.voidPromise());
        writeChunk(first);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                ctx.close();
            }
        }, 20, TimeUnit.MILLISECONDS));
    }

    /** Streams prepared pieces (SSE events, NDJSON lines) without stream faults: see {@link PieceStream}. */
    void sendPieces(String contentType, List<String> pieces) {
        sendEvents(PieceStream.Script.plain(contentType, pieces));
    }

    /** Streams a {@link PieceStream.Script} (with the stream faults when it names its error piece). */
    void sendEvents(PieceStream.Script script) {
        PieceStream.send(this, script);
    }

    /** The running token stream, or null. */
    TokenStream streaming() {
        return stream;
    }

    void streaming(TokenStream s) {
        stream = s;
    }

    /** Writes {@code b} as one HTTP chunk (not flushed); an empty one is released, never written. */
    void writeChunk(ByteBuf b) {
        if (b.isReadable()) {
            ctx.write(new DefaultHttpContent(b), ctx.voidPromise());
        } else {
            b.release();
        }
    }
}
