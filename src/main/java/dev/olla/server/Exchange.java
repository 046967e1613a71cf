package dev.olla.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One request and its response on a client connection. The request body is complete and owned by
 * the exchange (released when the exchange ends). All methods must be called on {@link #eventLoop()}.
 *
 * <p>A handler answers with exactly one of: {@link #respond}/{@link #json}/{@link #error} (a whole
 * response), or {@link #sendHead} + {@link #sendContent}* + {@link #sendLast} (a streamed one), or
 * {@link #abort} (drop the connection, e.g. when a backend died mid-stream).
 */
public final class Exchange {
    public static final io.netty.util.AsciiString REQUEST_ID_HEADER = io.netty.util.AsciiString.cached("X-Olla-Request-ID");
    /**
     * Olla's own response headers: names and values are Olla's constants, configuration checked at
     * load, or request values the server's decoder already validated, so they are not validated again.
     */
    private static final io.netty.handler.codec.http.HttpHeadersFactory OWN_HEADERS =
            io.netty.handler.codec.http.DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final HttpServerHandler owner;
    private final Channel channel;
    private final HttpRequest request;
    private final String path;
    private final String query;
    private final ByteBuf body;
    private final String requestId;
    private final long startNanos;
    private final boolean keepAlive;
    private final String clientIp;
    private final String peerIp;
    private HttpHeaders responseHeaders;

    private boolean headSent;
    /** The body ends when the connection closes (a streamed response to an HTTP/1.0 client). */
    private boolean closeDelimited;
    /** A 200 event stream was started ahead of the real response (see {@link #commitEventStream}). */
    private boolean eventStreamCommitted;
    /** The real response's body started on a committed event stream. */
    private boolean eventStreamBody;
    private boolean ended;
    private int status;
    private long bytesOut;
    private String endpointName;
    private String modelName;
    private Runnable closeListener;
    private Runnable writabilityListener;
    /** A streamed response's head or body has been written (abort delivers it before closing). */
    private boolean streamWritten;

    Exchange(HttpServerHandler owner, Channel channel, HttpRequest request, ByteBuf body, String requestId,
            String clientIp, String peerIp) {
        this.owner = owner;
        this.clientIp = clientIp;
        this.peerIp = peerIp;
        this.channel = channel;
        this.request = request;
        String uri = request.uri();
        int q = uri.indexOf('?');
        this.path = q < 0 ? uri : uri.substring(0, q);
        this.query = q < 0 ? null : uri.substring(q + 1);
        this.body = body;
        this.requestId = requestId;
        this.startNanos = System.nanoTime();
        this.keepAlive = HttpUtil.isKeepAlive(request);
    }

    // ------------------------------------------------------------------ request side

    public HttpMethod method() {
        return request.method();
    }

    public HttpRequest request() {
        return request;
    }

    public HttpHeaders requestHeaders() {
        return request.headers();
    }

    /** The decoded-free raw path (no query string). */
    public String path() {
        return path;
    }

    /** Raw query string without '?', or null. */
    public String query() {
        return query;
    }

    /** The complete request body (read-only view; do not release). */
    public ByteBuf body() {
        return body;
    }

    public String requestId() {
        return requestId;
    }

    public long startNanos() {
        return startNanos;
    }

    public Channel channel() {
        return channel;
    }

    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    /**
     * The client's address as text: the socket peer, or what a trusted proxy reported for it
     * ({@link ClientAddress}). Rate limits, sticky sessions and statistics all use this one.
     */
    public String clientIp() {
        return clientIp;
    }

    /** The socket peer's IP address as text (the hop Olla appends to {@code X-Forwarded-For}). */
    public String peerIp() {
        return peerIp;
    }

    // ------------------------------------------------------------------ response side

    /** Headers added to whatever response this exchange sends (e.g. routing headers). */
    public HttpHeaders responseHeaders() {
        if (responseHeaders == null) {
            responseHeaders = OWN_HEADERS.newHeaders();
        }
        return responseHeaders;
    }

    /** Records which endpoint served this request (for the request log). */
    public void endpointName(String name) {
        this.endpointName = name;
    }

    public String endpointName() {
        return endpointName;
    }

    /** Records the model the request named (for the request log). */
    public void modelName(String name) {
        this.modelName = name;
    }

    public String modelName() {
        return modelName;
    }

    public boolean headSent() {
        return headSent;
    }

    public boolean ended() {
        return ended;
    }

    public int status() {
        return status;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public boolean isOpen() {
        return channel.isActive() && !ended;
    }

    public boolean isWritable() {
        return channel.isWritable();
    }

    /** Called (on the event loop) when the client connection closes before this exchange ended. */
    public void onClientClose(Runnable listener) {
        this.closeListener = listener;
    }

    /** Called (on the event loop) when the client connection's writability changes. */
    public void onWritabilityChanged(Runnable listener) {
        this.writabilityListener = listener;
    }

    public void json(HttpResponseStatus status, Object value) {
        respond(status, "application/json", value instanceof byte[] b ? b : Json.bytes(value));
    }

    public void error(ApiError error) {
        respond(error.status(), "application/json", owner.errorBodyFor(path()).render(error, requestId()));
    }

    public void text(HttpResponseStatus status, String text) {
        respond(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    public void respond(HttpResponseStatus status, CharSequence contentType, byte[] content) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                method() == HttpMethod.HEAD ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
        respond(res);
    }

    /**
     * Starts a {@code 200 text/event-stream} response before the real one is known, so that a request
     * that waits (queued for a slot) can be sent SSE comment lines ({@link #sendComment}). Afterwards
     * the real response's head is dropped ({@link #sendHead} only relays its body) and a complete
     * response ({@link #respond}) goes out as one {@code data:} event ending the stream.
     */
    public void commitEventStream() {
        if (headSent) {
            return;
        }
        io.netty.handler.codec.http.DefaultHttpResponse head = new io.netty.handler.codec.http.DefaultHttpResponse(
                HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        sendHead(head);
        eventStreamCommitted = true;
    }

    /** Writes an SSE comment line ({@code : text}) on a committed event stream and flushes it. */
    public void sendComment(String text) {
        if (!eventStreamCommitted || ended) {
            return;
        }
        sendContent(new io.netty.handler.codec.http.DefaultHttpContent(
                Unpooled.copiedBuffer(": " + text + "\n\n", StandardCharsets.UTF_8)), true);
    }

    /** Whether {@link #commitEventStream} started the response. */
    public boolean eventStreamCommitted() {
        return eventStreamCommitted;
    }

    /**
     * True when the client got only a committed {@code 200 text/event-stream} head and comment lines
     * so far: the real response (its head dropped by {@link #sendHead}) has not started, so whoever
     * answers can still choose what it will be, as an event.
     */
    public boolean onlyComments() {
        return eventStreamCommitted && !eventStreamBody && !ended;
    }

    /** Sends a complete response and ends the exchange. */
    public void respond(FullHttpResponse response) {
        if (eventStreamCommitted && !ended) {
            // the 200 event stream is already open: the answer becomes its last event
            String text = response.content().toString(StandardCharsets.UTF_8);
            response.release();
            StringBuilder sb = new StringBuilder(text.length() + 16);
            for (String line : text.split("\n", -1)) {
                sb.append("data: ").append(line).append('\n');
            }
            sb.append('\n');
            ByteBuf b = Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8);
            sendLast(new io.netty.handler.codec.http.DefaultLastHttpContent(b));
            return;
        }
        if (headSent) {
            response.release();
            throw new IllegalStateException("response already started");
        }
        prepareHead(response);
        if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            HttpUtil.setContentLength(response, response.content().readableBytes());
        }
        headSent = true;
        bytesOut += response.content().readableBytes();
        ChannelFuture f = channel.writeAndFlush(response);
        end(f);
    }

    /**
     * Starts a streamed response. Without a Content-Length the body is sent chunked, or, to an
     * HTTP/1.0 client, close-delimited (no chunked encoding, {@code Connection: close}, the
     * connection closed after the last byte). Returns the write future.
     */
    public ChannelFuture sendHead(HttpResponse head) {
        if (eventStreamCommitted) {
            eventStreamBody = true;
            io.netty.util.ReferenceCountUtil.release(head);
            return channel.newSucceededFuture();
        }
        if (headSent) {
            throw new IllegalStateException("response already started");
        }
        if (request.protocolVersion().minorVersion() == 0 && request.protocolVersion().majorVersion() == 1) {
            // HTTP/1.0 knows no chunked encoding: without a length the body ends when the connection does.
            head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (!head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                closeDelimited = true;
            }
        }
        prepareHead(head);
        if (!closeDelimited && !head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                && !head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        headSent = true;
        streamWritten = true;
        return channel.write(head);
    }

    /**
     * Writes a body chunk (ownership passes to the channel); flushes when asked. Written with the void
     * promise: nothing waits for one chunk, and the encoder then writes the chunk's size line, data and
     * CRLF without a promise each and a combiner per chunk; a failed write reaches the pipeline's
     * exception handler, which closes the connection (the attempt hears of it as the client leaving).
     */
    public void sendContent(HttpContent content, boolean flush) {
        bytesOut += content.content().readableBytes();
        streamWritten = true;
        channel.write(content, channel.voidPromise());
        if (flush) {
            channel.flush();
        }
    }

    /**
     * How long a response may wait for a client that stopped reading ({@code server.write_timeout}
     * as nanoseconds; 0 = no limit).
     */
    public long writeStallNanos() {
        return owner.settings().writeTimeout().toNanos();
    }

    /** Writes the last chunk, flushes and ends the exchange. */
    public void sendLast(LastHttpContent last) {
        bytesOut += last.content().readableBytes();
        end(channel.writeAndFlush(last));
    }

    public void flush() {
        channel.flush();
    }

    /**
     * Ends the exchange by closing the connection without a proper end of body: the client sees a
     * truncated response (an error), never a clean end that hides a failure, and never a hang. A
     * close-delimited body (HTTP/1.0) is ended with a TCP reset, since a plain close would look complete.
     * What was already relayed is delivered first (flush, then close once it is written), within
     * {@code server.write_timeout} (or {@link #ABORT_FLUSH_LIMIT} when that is 0).
     */
    public void abort() {
        abort(true);
    }

    /** The longest an abort waits for relayed bytes to reach a slow client when write_timeout is 0. */
    public static final java.time.Duration ABORT_FLUSH_LIMIT = java.time.Duration.ofSeconds(60);

    /**
     * Like {@link #abort()}; with {@code deliverPending} false the connection closes at once and
     * whatever is still queued for the client is dropped (a client that stopped reading).
     */
    public void abort(boolean deliverPending) {
        if (ended) {
            return;
        }
        if (closeDelimited && channel.isActive()) {
            // A close-delimited body has no end marker: a reset, not a clean close, says it is cut.
            channel.config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
        }
        ended = true;
        aborted = true;
        Runnable l = endListener;
        if (l != null) {
            endListener = null;
            l.run();
        }
        // an empty write completes once everything queued before it is written
        ChannelFuture pending = deliverPending && channel.isActive() && streamWritten
                ? channel.writeAndFlush(Unpooled.EMPTY_BUFFER) : null;
        if (pending != null && !pending.isDone()) {
            pending.addListener(ChannelFutureListener.CLOSE);
            long limit = writeStallNanos();
            long wait = limit > 0 ? limit : ABORT_FLUSH_LIMIT.toNanos();
            var timer = channel.eventLoop().schedule(() -> {
                channel.close();
            }, wait, java.util.concurrent.TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(f -> timer.cancel(false));
        } else {
            channel.flush();
            channel.close();
        }
        owner.exchangeEnded(this, false);
    }

    private void prepareHead(HttpResponse head) {
        status = head.status().code();
        HttpHeaders h = head.headers();
        h.set(REQUEST_ID_HEADER, requestId);
        if (responseHeaders != null && !responseHeaders.isEmpty()) {
            h.setAll(responseHeaders); // Olla's own (routing, CORS, rate limit) win over a backend's
        }
        boolean persistent = persistent();
        if (!persistent) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion() == HttpVersion.HTTP_1_0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private boolean persistent() {
        return keepAlive && !closeDelimited && owner.keepAliveAllowed();
    }

    private Runnable endListener;
    private boolean aborted;

    /** Whether the response was cut ({@link #abort}) rather than completed. */
    public boolean aborted() {
        return aborted;
    }

    /** Called once (on the event loop) when this exchange's response has been sent completely or cut. */
    public void onEnd(Runnable listener) {
        this.endListener = listener;
    }

    private void end(ChannelFuture lastWrite) {
        ended = true;
        Runnable l = endListener;
        if (l != null) {
            endListener = null;
            l.run();
        }
        boolean persistent = persistent();
        if (!persistent) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        }
        owner.exchangeEnded(this, persistent);
    }

    // ------------------------------------------------------------------ called by the server handler

    void clientClosed() {
        Runnable l = closeListener;
        if (l != null && !ended) {
            closeListener = null;
            l.run();
        }
    }

    void writabilityChanged() {
        Runnable l = writabilityListener;
        if (l != null) {
            l.run();
        }
    }

    void releaseBody() {
        if (body.refCnt() > 0) {
            body.release();
        }
    }
}
