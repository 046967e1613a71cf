package dev.olla.sim;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: reads aggregated requests, answers them in order (pipelined requests wait their
 * turn), runs token streams on the channel's event loop and notices when the client goes away.
 * Every field is confined to the channel's event loop.
 */
final class SimHandler extends ChannelInboundHandlerAdapter {

    /** llama.cpp (cpp-httplib) closes a keep-alive connection after this many requests. */
    private static final int LLAMACPP_MAX_REQUESTS = 100;
    private static final int ZERO_DELAY_BATCH = 64;

    /** A request, detached from Netty buffers. */
    static final class Exchange {
        final String method;
        final String uri;
        final String path;
        final boolean keepAlive;
        final boolean http10;
        final String origin;
        final String body;
        final JsonNode json;
        final String jsonError;
        final int index;

        Exchange(FullHttpRequest req, int index) {
            this.method = req.method().name();
            this.uri = req.uri();
            this.path = pathOf(uri);
            this.keepAlive = HttpUtil.isKeepAlive(req);
            this.http10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
            this.origin = req.headers().get(HttpHeaderNames.ORIGIN);
            this.index = index;
            ByteBuf c = req.content();
            this.body = c.isReadable() ? c.toString(StandardCharsets.UTF_8) : "";
            JsonNode j = null;
            String err = null;
            if (!body.isEmpty() && !method.equals("GET") && !method.equals("HEAD")) {
                try {
                    j = Wire.MAPPER.readTree(body);
                } catch (JacksonException e) {
                    err = e.getOriginalMessage();
                }
            }
            this.json = j;
            this.jsonError = err;
        }

        boolean head() {
            return method.equals("HEAD");
        }

        static String pathOf(String uri) {
            String p = uri;
            if (p.startsWith("http://") || p.startsWith("https://")) {
                int slash = p.indexOf('/', p.indexOf("//") + 2);
                p = slash < 0 ? "/" : p.substring(slash);
            }
            int q = p.indexOf('?');
            if (q >= 0) {
                p = p.substring(0, q);
            }
            int h = p.indexOf('#');
            return h >= 0 ? p.substring(0, h) : p;
        }
    }

    private final SimulatedBackend sim;
    private final SimFlavor flavor;
    private final SimStats stats;
    private ChannelHandlerContext ctx;
    private final ArrayDeque<Exchange> queue = new ArrayDeque<>();
    private Exchange current;
    private ScheduledFuture<?> pending;
    private ScheduledFuture<?> idle;
    private Stream stream;
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
            Stream s = stream;
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
        Exchange ex;
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
            ex = new Exchange(req, ++served);
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
        Exchange ex = current;
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

    private void dispatch(Exchange ex) {
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
    Exchange current() {
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

    boolean shouldClose(Exchange ex, int status, boolean force) {
        return force || !ex.keepAlive || !sim.isRunning()
                || (flavor == SimFlavor.LLAMACPP && (status >= 400 || ex.index >= LLAMACPP_MAX_REQUESTS));
    }

    void leadingHeaders(HttpHeaders h, Exchange ex) {
        if (flavor == SimFlavor.LLAMACPP) {
            h.add("Server", "llama.cpp");
            h.add("Access-Control-Allow-Origin", ex.origin == null ? "" : ex.origin);
        } else if (flavor == SimFlavor.VLLM) {
            h.add("server", "uvicorn");
        }
    }

    void connectionHeaders(HttpHeaders h, Exchange ex, boolean close) {
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
        Exchange ex = current;
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

    private void releaseSlot() {
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
        Exchange ex = current;
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
        Exchange ex = current;
        pending = ctx.executor().schedule(() -> {
            pending = null;
            if (current == ex && ctx.channel().isActive()) {
                task.run();
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs a generation: takes a slot (waiting in the server's line while all are busy), loads the model
     * first if it is not loaded ({@code loadDelay}), then streams or answers it.
     */
    void generate(Gen g, boolean stream) {
        Exchange ex = current;
        if (sim.faults().takeErrorBody200()) {
            stats.faultInjected();
            ByteBuf b = buffer();
            Wire.error(b, flavor, !ollamaNative(g), 500, Wire.generationFaultMessage(flavor), null, null);
            sendFull(200, Wire.jsonType(flavor), b, false);
            return;
        }
        Runnable go = () -> {
            if (current != ex || !ctx.channel().isActive()) {
                releaseSlot();
                return;
            }
            stats.generationStarted(ex.body);
            long load = g.model.loaded() ? 0 : sim.loadDelayNanos();
            Runnable run = () -> {
                if (load > 0) {
                    sim.markLoaded(g.model.name(), true);
                }
                if (stream) {
                    startStream(g);
                } else {
                    sendCompletion(g);
                }
            };
            if (load > 0) {
                later(load, run);
            } else {
                run.run();
            }
        };
        SimSlots.Lease l = sim.slots().lease(() -> {
            if (ctx.executor().inEventLoop()) {
                go.run();
            } else {
                ctx.executor().execute(go);
            }
        }, g.promptTokens);
        lease = l;
        sim.slots().acquire(l);
    }

    /** Answers a completion without streaming, after tokens × inter-token delay. */
    void sendCompletion(Gen g) {
        long delay = sim.interTokenDelayNanos() * g.n;
        later(delay, () -> {
            g.firstTokenNanos = g.startNanos + (g.n > 0 ? sim.interTokenDelayNanos() : 0);
            g.endNanos = System.nanoTime();
            ByteBuf b = buffer();
            try {
                Wire.full(b, g);
            } catch (RuntimeException e) {
                b.release();
                throw e;
            }
            sendFull(200, Wire.jsonType(flavor), b, false);
        });
    }

    private static boolean ollamaNative(Gen g) {
        return g.kind == Gen.Kind.OLLAMA_CHAT || g.kind == Gen.Kind.OLLAMA_GENERATE;
    }

    /** Starts streaming a completion (or the stream fault the switchboard holds for it). */
    void startStream(Gen g) {
        Exchange ex = current;
        boolean close = shouldClose(ex, 200, false);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders h = r.headers();
        leadingHeaders(h, ex);
        if (flavor == SimFlavor.LLAMACPP) {
            h.add("X-Accel-Buffering", "no");
        }
        h.add("Content-Type", Wire.streamType(g));
        if (flavor == SimFlavor.OPENAI || flavor == SimFlavor.LMSTUDIO) {
            h.add("Cache-Control", "no-cache");
        }
        h.add("Transfer-Encoding", HttpHeaderValues.CHUNKED);
        connectionHeaders(h, ex, close);
        SimFaults faults = sim.faults();
        SimFaults.Stall stall = null;
        if (!ex.head()) {
            if (faults.takeErrorFirst()) {
                stats.faultInjected();
                ctx.write(r, ctx.voidPromise());
                ByteBuf b = buffer();
                StreamErrorWire.write(b, g, Wire.generationFaultMessage(flavor));
                writeChunk(b);
                finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), close);
                return;
            }
            if (faults.takeResetAfterRole()) {
                stats.faultInjected();
                resetAfterRole(r, g);
                return;
            }
            stall = faults.takeStall();
            if (stall != null) {
                stats.faultInjected();
            }
        }
        Stream s = new Stream(g, close, stall == null ? faults.takeDropAfterTokens() : -1);
        stream = s;
        stats.streamStarted();
        ctx.write(r, ctx.voidPromise());
        if (!ex.head() && (stall == null || stall.roleChunk())) {
            ByteBuf head = buffer();
            if (stall != null) {
                Wire.roleChunk(head, g);
            } else {
                Wire.streamHead(head, g);
            }
            writeChunk(head);
        }
        ctx.flush();
        if (stall == null) {
            s.begin();
            return;
        }
        later(stall.duration().toNanos(), () -> {
            if (stream != s) {
                return;
            }
            ByteBuf head = buffer();
            Wire.streamHead(head, g);
            writeChunk(head);
            ctx.flush();
            s.begin();
        });
    }

    /** Sends the headers and the role-only chunk, then resets the connection (RST, SO_LINGER 0) 20 ms later. */
    private void resetAfterRole(HttpResponse r, Gen g) {
        ByteBuf b = buffer();
        Wire.roleChunk(b, g);
        resetAfter(r, b);
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

    private void writeChunk(ByteBuf b) {
        if (b.isReadable()) {
            ctx.write(new DefaultHttpContent(b), ctx.voidPromise());
        } else {
            b.release();
        }
    }

    /** A running token stream. */
    private final class Stream implements Runnable {
        private final Gen g;
        private final boolean close;
        private final long delay = sim.interTokenDelayNanos();
        private final int dropAfter;
        private int emitted;
        private boolean done;
        private boolean waiting;
        private ScheduledFuture<?> next;

        Stream(Gen g, boolean close, int dropAfter) {
            this.g = g;
            this.close = close;
            this.dropAfter = dropAfter;
        }

        void begin() {
            long first = sim.firstTokenDelayNanos();
            if (dropAfter == 0) {
                drop();
            } else if (first > 0 && g.n > 0) {
                next = ctx.executor().schedule(this, first, TimeUnit.NANOSECONDS);
            } else {
                run();
            }
        }

        void resume() {
            if (waiting && !done) {
                waiting = false;
                run();
            }
        }

        void abort() {
            done = true;
            cancel(next);
        }

        @Override
        public void run() {
            next = null;
            if (done || stream != this) {
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
                ByteBuf b = buffer();
                if (emitted == 0) {
                    Wire.streamFirstPrefix(b, g);
                }
                Wire.streamToken(b, g, emitted);
                writeChunk(b);
                emitted++;
                if (lease != null) {
                    lease.decoded();
                }
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
                next = ctx.executor().schedule(this, delay, TimeUnit.NANOSECONDS);
            } else {
                ctx.executor().execute(this);
            }
        }

        private void end() {
            done = true;
            g.endNanos = System.nanoTime();
            ByteBuf b = buffer();
            if (g.n == 0) {
                Wire.streamFirstPrefix(b, g);
            }
            Wire.streamFinish(b, g);
            writeChunk(b);
            ByteBuf d = buffer();
            Wire.streamDone(d, g);
            writeChunk(d);
            stream = null;
            stats.streamCompleted();
            finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), close);
        }

        private void drop() {
            done = true;
            stream = null;
            abandon();
            stats.streamDropped();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
