package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.server.Deadlines;
import dev.olla.server.Exchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
import java.nio.channels.ClosedChannelException;

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
    /** Its deadlines, and the words of the one that passes. */
    private final AttemptTimeouts timeouts;

    private State state = State.CONNECTING;
    private BackendHandler conn;
    private boolean reconnected;
    private boolean waitingForSlot;
    private boolean requestWritten;
    private boolean unsent;
    private boolean backendKeepAlive;
    private boolean paused;
    private long bytes;
    private Deadlines deadlines;
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
        this.guard = call.guard();
        this.timeouts = new AttemptTimeouts(call.service().config(), ex.writeStallNanos(), guard, ep.name(),
                pool.settings().maxConnections(), System.nanoTime());
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
            timeouts.armHead(); // the wait for a slot is bounded like the wait for a head
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
        timeouts.armHead();
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
        timeouts.read(now);
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
        long now = System.nanoTime();
        timeouts.read(now);
        call.meter().chunk(c.content(), now, relay.streamed());
        bytes += c.content().readableBytes();
        boolean last = c instanceof LastHttpContent;
        relay.content(c, last);
        if (state == State.RELAYING && !paused && !ex.isWritable()) {
            paused = true;
            timeouts.paused(System.nanoTime());
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
        return beforeHead() || (state == State.RELAYING && relay.holding());
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
        if (beforeHead()) {
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
            timeouts.read(System.nanoTime()); // the pause was ours, not the backend's
            conn.channel().config().setAutoRead(true);
        }
    }

    // ------------------------------------------------------------------ deadlines

    /** The earliest deadline that applies in the current state (checked by the loop's sweep). */
    @Override
    protected long deadlineNanos() {
        return timeouts.due(beforeHead(), paused, beforeFirstToken());
    }

    @Override
    protected void deadlineReached(long now) {
        if (state == State.DONE) {
            return;
        }
        AttemptTimeouts.Expiry e = timeouts.expired(beforeHead(), waitingForSlot, paused, beforeFirstToken(), now);
        if (e != null) {
            finish(e.outcome(), e.reason());
        }
    }

    private boolean beforeHead() {
        return state == State.CONNECTING || state == State.WAITING_HEAD;
    }

    // ------------------------------------------------------------------ the one exit

    private void finish(Outcome outcome, String reason) {
        if (state == State.DONE) {
            return;
        }
        if (guard != null && guard.holds() && beforeFirstToken() && outcome.retryableWhileHeld()) {
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
        boolean failed = outcome.blamesEndpoint() || (responseStatus >= 500 && outcome != Outcome.FALLBACK);
        target.attemptEnded(failed, bytes, (System.nanoTime() - timeouts.startNanos()) / 1000);
        call.attemptFinished(this, outcome, reason);
    }

    private String describe(Throwable cause, String when) {
        return ConnectFailure.describe(ep.name(), cause, when, System.nanoTime() - timeouts.startNanos());
    }
}
