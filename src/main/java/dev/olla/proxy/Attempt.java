package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.proxy.ProxyCall.Outcome;
import dev.olla.server.Deadlines;
import dev.olla.server.Exchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * One try of a proxied request against one endpoint: get a connection, send the request, relay the
 * response through one {@link Relay} stage (stream, buffer or transform), and end exactly once in
 * {@link #finish} whatever happens (success, backend failure, timeout, client gone or stalled).
 * Everything runs on the client's event loop, which is also the backend connection's loop, so no
 * state here needs synchronisation.
 *
 * <p>Every decoded message from the backend has its decoder result checked: a broken head, chunk or
 * a reply that is not HTTP fails the attempt and the connection is closed, never pooled.
 * Backpressure, the same for every stage: when the client connection stops being writable, reading
 * from the backend pauses until it drains (the read timeout is suspended meanwhile), so a slow client
 * never makes the proxy buffer without bound; a client that stays unwritable for
 * {@code server.write_timeout} is dropped and the backend connection closed.
 */
final class Attempt extends Deadlines.Entry implements ChannelPool.SlotWaiter {
    private enum State { CONNECTING, WAITING_HEAD, RELAYING, DONE }

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
    private boolean waitingForSlot;
    private boolean requestWritten;
    private boolean unsent;
    private boolean backendKeepAlive;
    private boolean paused;
    private long bytes;
    private long lastReadNanos;
    private long headDeadline = Long.MAX_VALUE;
    private final long totalDeadline;
    private Deadlines deadlines;
    private long pausedNanos;
    private final long writeStall;
    private Relay relay;
    /** The request's hold/keep-alive policy until its first content chunk, or null. */
    private final StreamGuard guard;

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
        this.writeStall = ex.writeStallNanos();
        this.guard = call.guard();
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

    /** Starts the attempt; the caller has already counted it ({@link EndpointState#tryAttemptStarted}). */
    void start() {
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
        if (f == null) {
            // the endpoint has proxy.max_connections_per_endpoint open: wait for one to close
            waitingForSlot = true;
            armHeadDeadline(); // the wait for a slot is bounded like the wait for a head
            pool.awaitSlot(ep, this);
            return;
        }
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

    private void armHeadDeadline() {
        long headTimeout = cfg.responseHeaderTimeout().toNanos();
        headDeadline = headTimeout > 0 ? System.nanoTime() + headTimeout : Long.MAX_VALUE;
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    /** A connection slot may have freed (runs on this loop): try again, unless no longer waiting. */
    @Override
    public boolean slotFree() {
        if (state != State.CONNECTING || !waitingForSlot) {
            return false;
        }
        waitingForSlot = false;
        BackendHandler idle = pool.pollIdle(loop, ep);
        if (idle != null) {
            bind(idle);
        } else {
            connect();
        }
        return true;
    }

    private void bind(BackendHandler h) {
        conn = h;
        h.attach(this);
        state = State.WAITING_HEAD;
        requestWritten = false;
        armHeadDeadline();
        FullHttpRequest req = call.backendRequest(ep);
        BackendHandler sentOn = h;
        h.channel().writeAndFlush(req).addListener(w -> {
            if (conn != sentOn || state == State.DONE) {
                return;
            }
            if (w.isSuccess()) {
                requestWritten = true;
            } else {
                // closed before the write began: not a byte of the request left this process
                unsent = w.cause() instanceof ClosedChannelException;
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
        if (msg instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
            // A broken head or chunk (or not HTTP at all): never a clean end, never a pooled connection.
            Throwable cause = p.decoderResult().cause();
            ReferenceCountUtil.release(msg);
            finish(Outcome.BAD_RESPONSE, "endpoint " + ep.name() + " sent an invalid HTTP response"
                    + (state == State.RELAYING ? " body" : "") + (cause == null ? "" : " (" + cause.getMessage() + ")"));
            return;
        }
        if (msg instanceof HttpResponse r) {
            onHead(r);
        }
        if (msg instanceof HttpContent c) {
            if (state == State.RELAYING) {
                onBody(c);
            } else {
                c.release(); // the empty end of a 1xx, or anything after the attempt failed at the head
            }
        }
    }

    private void onHead(HttpResponse r) {
        if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
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
        relay = Relay.choose(this, call, ep, r, now);
        if (relay != null) {
            state = State.RELAYING;
        }
    }

    /** Every body chunk of every stage passes here, once: count, relay, then backpressure. */
    private void onBody(HttpContent c) {
        lastReadNanos = System.nanoTime();
        call.meter().chunk(c.content(), lastReadNanos, relay.streamed());
        bytes += c.content().readableBytes();
        boolean last = c instanceof LastHttpContent;
        relay.content(c, last);
        if (state == State.RELAYING && !paused && !ex.isWritable()) {
            paused = true;
            pausedNanos = System.nanoTime();
            call.service().stats().recordBackpressurePause();
            conn.channel().config().setAutoRead(false);
        }
    }

    /** The gate saw the first content chunk: {@code stage} relays from now on. */
    void gateOpened(Relay stage, long sinceNanos) {
        relay = stage;
        call.service().recordHold(System.nanoTime() - sinceNanos);
    }

    ProxyCall call() {
        return call;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** Whether the attempt ended still waiting for a connection slot (the endpoint never got the request). */
    boolean neverConnected() {
        return waitingForSlot;
    }

    /** Whether the bytes relayed to the client so far end a line. */
    boolean relayAtLineEnd() {
        return relay == null || relay.atLineEnd();
    }

    /** Nothing of the backend's response has been let through to the client yet (head or held). */
    private boolean beforeFirstToken() {
        return state == State.CONNECTING || state == State.WAITING_HEAD || (state == State.RELAYING && relay.holding());
    }

    /** Called by the relay stage just before it writes the response's end. */
    void relayEnded() {
        finish(Outcome.OK, null);
    }

    /** Called by the relay stage when the body cannot be delivered. */
    void relayFailed(Outcome outcome, String reason) {
        finish(outcome, "endpoint " + ep.name() + ": " + reason);
    }

    /** The relay ends the response before the backend did: do not pool the connection. */
    void noReuse() {
        backendKeepAlive = false;
    }

    void onBackendReadComplete() {
        if (state == State.RELAYING) {
            relay.readComplete();
        }
    }

    /** The backend connection closed or failed ({@code cause} null for a plain close). */
    void onBackendClosed(Throwable cause) {
        if (state == State.DONE) {
            return;
        }
        if (state == State.CONNECTING || state == State.WAITING_HEAD) {
            boolean reused = conn != null && conn.uses() > 0;
            if (reused && !reconnected && bytes == 0 && (unsent || call.replayable())) {
                // A pooled connection the backend had already closed, and the request either never
                // reached it or may safely be sent twice (GET, HEAD, OPTIONS, Idempotency-Key):
                // replace the connection silently.
                reconnected = true;
                call.service().stats().recordStaleReconnect();
                BackendHandler stale = conn;
                conn = null;
                stale.detach();
                stale.channel().close();
                connect();
                return;
            }
            if (reused && requestWritten) {
                // The request went out on a reused connection that then died: the backend may have
                // started on it (a generation), so it is not sent to this endpoint again (the call
                // may fail over to the next candidate, visibly, as for a connection failure).
                finish(Outcome.LOST_AFTER_SEND, describe(cause, "after the request was sent, before responding")
                        + "; not sent to it again, since it may already have been processed");
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
        if (paused && ex.isWritable() && conn != null && state == State.RELAYING) {
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
        } else if (paused) {
            if (writeStall > 0) {
                due = Math.min(due, pausedNanos + writeStall);
            }
        } else {
            long read = cfg.readTimeout().toNanos();
            if (read > 0) {
                due = Math.min(due, lastReadNanos + read);
            }
        }
        if (guard != null && beforeFirstToken()) {
            due = Math.min(due, guard.due(startNanos));
        }
        return due;
    }

    @Override
    protected void deadlineReached(long now) {
        if (state == State.DONE) {
            return;
        }
        if (guard != null && beforeFirstToken() && guard.reached(startNanos, now)) {
            finish(Outcome.NO_FIRST_TOKEN, "backend timeout: endpoint " + ep.name() + " sent no content within "
                    + seconds(guard.firstTokenNanos()) + " (proxy.first_token_timeout)");
            return;
        }
        if (now >= totalDeadline) {
            finish(state == State.CONNECTING || state == State.WAITING_HEAD ? Outcome.HEAD_TIMEOUT : Outcome.BODY_TIMEOUT,
                    "backend timeout: endpoint " + ep.name() + " did not complete the response within "
                            + seconds(cfg.responseTimeout().toNanos()) + " (proxy.response_timeout)");
            return;
        }
        if (state == State.CONNECTING && waitingForSlot && now >= headDeadline) {
            finish(Outcome.HEAD_TIMEOUT, "backend timeout: all " + pool.settings().maxConnections()
                    + " connections to endpoint " + ep.name() + " stayed busy for "
                    + seconds(cfg.responseHeaderTimeout().toNanos())
                    + " (proxy.max_connections_per_endpoint, proxy.response_header_timeout)");
            return;
        }
        if ((state == State.CONNECTING || state == State.WAITING_HEAD) && now >= headDeadline) {
            finish(Outcome.HEAD_TIMEOUT, "backend timeout: no response from endpoint " + ep.name() + " within "
                    + seconds(cfg.responseHeaderTimeout().toNanos()) + " (proxy.response_header_timeout)");
            return;
        }
        if (state == State.RELAYING && paused && writeStall > 0 && now - pausedNanos >= writeStall) {
            finish(Outcome.CLIENT_STALLED, "client stopped reading: nothing could be written to it for "
                    + seconds(writeStall) + " (server.write_timeout)");
            return;
        }
        long read = cfg.readTimeout().toNanos();
        if (state == State.RELAYING && !paused && read > 0 && now - lastReadNanos >= read) {
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
        if (guard != null && guard.holds() && beforeFirstToken() && (outcome == Outcome.HEAD_TIMEOUT
                || outcome == Outcome.BODY_TIMEOUT || outcome == Outcome.BROKEN_MID_RESPONSE
                || outcome == Outcome.BAD_RESPONSE)) {
            outcome = Outcome.NO_FIRST_TOKEN; // nothing reached the client: the next candidate may serve it
        }
        boolean reusable = outcome == Outcome.OK && requestWritten && backendKeepAlive;
        state = State.DONE;
        deadlines.remove(this);
        if (relay != null) {
            relay.discard();
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
        // the endpoint is not blamed for a client that left or stalled, for our buffer limit, or for a fallback
        boolean failed = (outcome != Outcome.OK && outcome != Outcome.CLIENT_GONE && outcome != Outcome.CLIENT_STALLED
                && outcome != Outcome.RESPONSE_TOO_LARGE && outcome != Outcome.FALLBACK)
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
