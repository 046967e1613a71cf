package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.proxy.ProxyCall.Outcome;
import dev.olla.server.Deadlines;
import dev.olla.server.Exchange;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * One try of a proxied request against one endpoint: get a connection, send the request, relay the
 * response, and end exactly once in {@link #finish} whatever happens (success, backend failure,
 * timeout, client gone). Everything runs on the client's event loop, which is also the backend
 * connection's loop, so no state here needs synchronisation.
 *
 * <p>Streaming: each chunk is written to the client as it arrives and flushed at the end of every
 * backend read, so tokens are never held back. Backpressure: when the client connection stops
 * being writable, reading from the backend pauses until it drains (the read timeout is suspended
 * meanwhile), so a slow client never makes the proxy buffer without bound.
 */
final class Attempt extends Deadlines.Entry {
    private enum State { CONNECTING, WAITING_HEAD, RELAYING, BUFFERING, DONE }

    private final ProxyCall call;
    private final EndpointState target;
    private final dev.olla.health.CircuitBreaker.Permit permit;
    /** The backend's response status (0 before the head). */
    private int responseStatus;
    private final Endpoint ep;
    private final Exchange ex;
    private final EventLoop loop;
    private final ChannelPool pool;
    private final OllaConfig.Proxy cfg;
    private final long startNanos = System.nanoTime();

    private State state = State.CONNECTING;
    private BackendHandler conn;
    private boolean reconnected;
    private boolean requestWritten;
    private boolean backendKeepAlive;
    private boolean paused;
    private long bytes;
    private long lastReadNanos;
    private long headDeadline = Long.MAX_VALUE;
    private final long totalDeadline;
    private Deadlines deadlines;
    private HttpResponse bufferedHead;
    private ForwardPlan.ResponseTransform transform;
    private CompositeByteBuf buffered;

    Attempt(ProxyCall call, EndpointState target, dev.olla.health.CircuitBreaker.Permit permit) {
        this.call = call;
        this.target = target;
        this.permit = permit;
        this.ep = target.endpoint();
        this.ex = call.exchange();
        this.loop = ex.eventLoop();
        this.pool = call.service().engine().pool();
        this.cfg = call.service().config();
        long total = cfg.responseTimeout().toNanos();
        this.totalDeadline = total > 0 ? startNanos + total : Long.MAX_VALUE;
    }

    EndpointState target() {
        return target;
    }

    /** The breaker permit this attempt holds (settled by {@link ProxyCall#attemptFinished}). */
    dev.olla.health.CircuitBreaker.Permit permit() {
        return permit;
    }

    /** The backend's response status; 0 when no response head arrived. */
    int responseStatus() {
        return responseStatus;
    }

    /** Response body bytes relayed so far. */
    long bytes() {
        return bytes;
    }

    void start() {
        target.attemptStarted();
        ex.onClientClose(this::onClientClosed);
        ex.onWritabilityChanged(this::onClientWritability);
        deadlines = Deadlines.of(loop);
        deadlines.add(this);
        BackendHandler idle = pool.pollIdle(loop, ep);
        if (idle != null) {
            bind(idle);
        } else {
            connect();
        }
    }

    private void connect() {
        state = State.CONNECTING;
        ChannelFuture f = pool.connect(loop, ep);
        f.addListener(done -> {
            Channel ch = f.channel();
            if (state == State.DONE) {
                ch.close();
                return;
            }
            if (!done.isSuccess()) {
                finish(Outcome.CONNECT_FAILED, describe(done.cause(), "connect"));
                return;
            }
            bind(ch.pipeline().get(BackendHandler.class));
        });
    }

    private void bind(BackendHandler h) {
        conn = h;
        h.attach(this);
        state = State.WAITING_HEAD;
        requestWritten = false;
        long headTimeout = cfg.responseHeaderTimeout().toNanos();
        headDeadline = headTimeout > 0 ? System.nanoTime() + headTimeout : Long.MAX_VALUE;
        FullHttpRequest req = call.backendRequest(ep);
        BackendHandler sentOn = h;
        h.channel().writeAndFlush(req).addListener(w -> {
            if (conn != sentOn || state == State.DONE) {
                return;
            }
            if (w.isSuccess()) {
                requestWritten = true;
            } else {
                onBackendClosed(w.cause());
            }
        });
    }

    // ------------------------------------------------------------------ backend events

    void onBackendMessage(Object msg) {
        if (state == State.DONE) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            onHead(r);
        }
        if (msg instanceof HttpContent c) {
            onContent(c);
        }
    }

    private void onHead(HttpResponse r) {
        if (r.decoderResult().isFailure()) {
            ReferenceCountUtil.release(r);
            finish(Outcome.BAD_RESPONSE, "invalid response from " + ep.name() + ": " + r.decoderResult().cause());
            return;
        }
        if (r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            return; // 1xx: the real head follows
        }
        long now = System.nanoTime();
        lastReadNanos = now;
        responseStatus = r.status().code();
        backendKeepAlive = HttpUtil.isKeepAlive(r);
        ForwardPlan.Fallback fallback = call.fallback();
        if (fallback != null && fallback.covers(r.status().code())) {
            ReferenceCountUtil.release(r); // the answer is dropped unseen; the connection is not reused
            finish(Outcome.FALLBACK, "endpoint " + ep.name() + " answered " + r.status().code());
            return;
        }
        transform = call.transform();
        if (transform != null) {
            onTransformedHead(r, now);
            return;
        }
        boolean stream = StreamPolicy.stream(cfg.profile(), r.headers().get(HttpHeaderNames.CONTENT_TYPE),
                call.requestStream());
        if (stream) {
            state = State.RELAYING;
            HttpResponse head = call.clientHead(r, ep, true, now);
            if (ex.method() == io.netty.handler.codec.http.HttpMethod.HEAD) {
                head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            }
            ex.sendHead(head);
        } else {
            state = State.BUFFERING;
            bufferedHead = call.clientHead(r, ep, false, now);
        }
    }

    /**
     * A route's transform rewrites the response: an event stream is converted piece by piece as it
     * arrives; errors and non-streamed bodies are collected and converted whole.
     */
    private void onTransformedHead(HttpResponse r, long now) {
        String ct = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
        boolean events = r.status().code() < 400 && ct != null && ct.contains("text/event-stream");
        HttpResponse head = call.clientHead(r, ep, false, now);
        head.headers().remove(HttpHeaderNames.CONTENT_ENCODING);
        if (events) {
            state = State.RELAYING;
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, transform.streamContentType());
            head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            ex.sendHead(head);
        } else {
            state = State.BUFFERING;
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            bufferedHead = head;
        }
    }

    private void onTransformedContent(HttpContent c, boolean last) {
        byte[] in = io.netty.buffer.ByteBufUtil.getBytes(c.content());
        c.release();
        byte[] out = transform.feed(in);
        if (!last && transform.ended()) {
            // the transform closed its stream (an error event): end the response, drop the backend
            backendKeepAlive = false;
            last = true;
        }
        if (last) {
            byte[] end = transform.finish();
            byte[] all = new byte[out.length + end.length];
            System.arraycopy(out, 0, all, 0, out.length);
            System.arraycopy(end, 0, all, out.length, end.length);
            finish(Outcome.OK, null);
            ex.sendLast(new io.netty.handler.codec.http.DefaultLastHttpContent(io.netty.buffer.Unpooled.wrappedBuffer(all)));
            return;
        }
        if (out.length > 0) {
            ex.sendContent(new io.netty.handler.codec.http.DefaultHttpContent(io.netty.buffer.Unpooled.wrappedBuffer(out)),
                    false);
        }
    }

    private void onContent(HttpContent c) {
        if (state != State.RELAYING && state != State.BUFFERING) {
            c.release();
            return;
        }
        lastReadNanos = System.nanoTime();
        call.meter().chunk(c.content(), lastReadNanos, state == State.RELAYING);
        int n = c.content().readableBytes();
        bytes += n;
        boolean last = c instanceof LastHttpContent;
        if (state == State.RELAYING && transform != null) {
            onTransformedContent(c, last);
            return;
        }
        if (state == State.RELAYING) {
            if (last) {
                finish(Outcome.OK, null); // returns the connection to the pool before the client hears the end
                ex.sendLast((LastHttpContent) c);
                return;
            }
            ex.sendContent(c, false);
            if (!ex.isWritable() && !paused) {
                paused = true;
                call.service().stats().recordBackpressurePause();
                conn.channel().config().setAutoRead(false);
            }
            return;
        }
        if (last && buffered == null) {
            // The common case: the whole body came in one piece; pass that buffer on as it is.
            respondBuffered(c.content().retain());
            c.release();
            return;
        }
        if (buffered == null) {
            buffered = ex.channel().alloc().compositeBuffer(1024);
        }
        if (n > 0) {
            buffered.addComponent(true, c.content().retain());
        }
        c.release();
        if (last) {
            CompositeByteBuf body = buffered;
            buffered = null;
            respondBuffered(body);
        }
    }

    private void respondBuffered(io.netty.buffer.ByteBuf body) {
        if (transform != null) {
            byte[] in = io.netty.buffer.ByteBufUtil.getBytes(body);
            body.release();
            int code = bufferedHead.status().code();
            byte[] out;
            try {
                out = code >= 400 ? transform.error(code, in) : transform.complete(in);
            } catch (RuntimeException e) {
                finish(Outcome.BAD_RESPONSE, "invalid response from endpoint " + ep.name() + ": " + e.getMessage());
                return;
            }
            body = io.netty.buffer.Unpooled.wrappedBuffer(out);
        }
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, bufferedHead.status(), body,
                bufferedHead.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        HttpUtil.setContentLength(full, body.readableBytes());
        finish(Outcome.OK, null);
        ex.respond(full);
    }

    void onBackendReadComplete() {
        if (state == State.RELAYING) {
            ex.flush();
        }
    }

    /** The backend connection closed or failed ({@code cause} null for a plain close). */
    void onBackendClosed(Throwable cause) {
        if (state == State.DONE) {
            return;
        }
        if (state == State.CONNECTING || state == State.WAITING_HEAD) {
            if (conn != null && conn.uses() > 0 && !reconnected && bytes == 0) {
                // A pooled connection the backend had already closed: replace it silently.
                reconnected = true;
                call.service().stats().recordStaleReconnect();
                BackendHandler stale = conn;
                conn = null;
                stale.detach();
                stale.channel().close();
                connect();
                return;
            }
            finish(Outcome.CONNECT_FAILED, describe(cause, "before responding"));
            return;
        }
        finish(Outcome.BROKEN_MID_RESPONSE,
                "endpoint " + ep.name() + " closed the connection mid-response"
                        + (cause == null ? "" : ": " + cause.getMessage()));
    }

    // ------------------------------------------------------------------ client events

    private void onClientClosed() {
        if (state != State.DONE) {
            finish(Outcome.CLIENT_GONE, "client disconnected");
        }
    }

    private void onClientWritability() {
        if (paused && ex.isWritable() && conn != null) {
            paused = false;
            lastReadNanos = System.nanoTime(); // the pause was ours, not the backend's
            conn.channel().config().setAutoRead(true);
        }
    }

    // ------------------------------------------------------------------ deadlines

    /** The earliest deadline that applies in the current state (checked by the loop's sweep). */
    @Override
    protected long deadlineNanos() {
        long due = totalDeadline;
        if (state == State.CONNECTING || state == State.WAITING_HEAD) {
            due = Math.min(due, headDeadline);
        } else if (!paused) {
            long read = cfg.readTimeout().toNanos();
            if (read > 0) {
                due = Math.min(due, lastReadNanos + read);
            }
        }
        return due;
    }

    @Override
    protected void deadlineReached(long now) {
        if (state == State.DONE) {
            return;
        }
        if (now >= totalDeadline) {
            finish(state == State.CONNECTING || state == State.WAITING_HEAD ? Outcome.HEAD_TIMEOUT : Outcome.BODY_TIMEOUT,
                    "backend timeout: endpoint " + ep.name() + " did not complete the response within "
                            + seconds(cfg.responseTimeout().toNanos()) + " (proxy.response_timeout)");
            return;
        }
        if ((state == State.CONNECTING || state == State.WAITING_HEAD) && now >= headDeadline) {
            finish(Outcome.HEAD_TIMEOUT, "backend timeout: no response from endpoint " + ep.name() + " within "
                    + seconds(cfg.responseHeaderTimeout().toNanos()) + " (proxy.response_header_timeout)");
            return;
        }
        long read = cfg.readTimeout().toNanos();
        if ((state == State.RELAYING || state == State.BUFFERING) && !paused && read > 0
                && now - lastReadNanos >= read) {
            finish(Outcome.BODY_TIMEOUT, "backend timeout: endpoint " + ep.name() + " stopped responding - no data for "
                    + seconds(read) + " (proxy.read_timeout)");
        }
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
    }

    // ------------------------------------------------------------------ the one exit

    private void finish(Outcome outcome, String reason) {
        if (state == State.DONE) {
            return;
        }
        boolean reusable = outcome == Outcome.OK && requestWritten && backendKeepAlive;
        state = State.DONE;
        deadlines.remove(this);
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
        ex.onClientClose(null);
        ex.onWritabilityChanged(null);
        BackendHandler c = conn;
        conn = null;
        if (c != null) {
            c.detach();
            if (reusable) {
                if (paused) {
                    c.channel().config().setAutoRead(true);
                }
                pool.release(c, ep);
            } else {
                c.channel().close();
            }
        }
        boolean failed = (outcome != Outcome.OK && outcome != Outcome.CLIENT_GONE && outcome != Outcome.FALLBACK)
                || (responseStatus >= 500 && outcome != Outcome.FALLBACK);
        target.attemptEnded(failed, bytes, (System.nanoTime() - startNanos) / 1000);
        call.attemptFinished(this, outcome, reason);
    }

    /** A connection error as a short, searchable sentence. */
    private String describe(Throwable cause, String when) {
        String secs = seconds(System.nanoTime() - startNanos);
        String what;
        if (cause instanceof ConnectTimeoutException) {
            what = "connection timeout after " + secs + " - LLM backend did not accept the connection in time";
        } else if (cause instanceof ConnectException || (cause != null && String.valueOf(cause.getMessage())
                .toLowerCase(Locale.ROOT).contains("connection refused"))) {
            what = "connection refused after " + secs + " - LLM backend is not running or not accepting connections";
        } else if (cause instanceof UnknownHostException) {
            what = "no such host after " + secs + " - check the endpoint URL";
        } else if (cause instanceof NoRouteToHostException) {
            what = "no route to host after " + secs + " - check network connectivity to the LLM backend";
        } else if (cause == null) {
            what = "connection closed " + when + " after " + secs;
        } else {
            String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            what = "network error after " + secs + " - " + m;
        }
        return "endpoint " + ep.name() + ": " + what;
    }
}
