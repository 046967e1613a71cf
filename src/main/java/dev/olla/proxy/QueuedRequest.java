package dev.olla.proxy;

import dev.olla.endpoint.EndpointState;
import dev.olla.server.Exchange;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request waiting in the {@link AdmissionQueue} for a slot: its queue timeout, its SSE keep-alive
 * comments (streamed event-stream requests only, never NDJSON) and its departure (admitted, timed
 * out, client gone). Everything but {@link #admitted} (which the queue hands over through
 * {@link #execute}) runs on the client connection's event loop.
 */
final class QueuedRequest implements AdmissionQueue.Waiter {
    private final ProxyCall call;
    private final Exchange ex;
    private final AdmissionQueue queue;
    private final List<EndpointState> candidates;
    private final String client;
    private final boolean keepAlive;
    private final long since = System.nanoTime();
    private ScheduledFuture<?> timeout;
    private ScheduledFuture<?> ticker;
    private boolean done;

    QueuedRequest(ProxyCall call, Exchange ex, AdmissionQueue queue, List<EndpointState> candidates, boolean keepAlive) {
        this.call = call;
        this.ex = ex;
        this.queue = queue;
        this.candidates = List.copyOf(candidates);
        this.client = clientKey(ex);
        this.keepAlive = keepAlive;
    }

    /** The fairness key of the queue: the caller's credentials when it sends any, else its address. */
    static String clientKey(Exchange ex) {
        String auth = ex.requestHeaders().get("Authorization");
        if (auth == null) {
            auth = ex.requestHeaders().get("X-Api-Key");
        }
        return auth != null ? "auth:" + Integer.toHexString(auth.hashCode()) : "ip:" + ex.clientIp();
    }

    /** Queues the request (or admits it at once if a slot just freed); false = the queue is full. */
    boolean start() {
        AdmissionQueue.Offer o = queue.offer(this);
        if (o == AdmissionQueue.Offer.FULL) {
            return false;
        }
        if (o == AdmissionQueue.Offer.QUEUED) {
            var cfg = queue.config();
            timeout = ex.eventLoop().schedule(this::timedOut, cfg.timeout().toNanos(), TimeUnit.NANOSECONDS);
            long every = cfg.keepAliveInterval().toNanos();
            if (keepAlive && every > 0) {
                ticker = ex.eventLoop().scheduleAtFixedRate(this::keepAlive, every, every, TimeUnit.NANOSECONDS);
            }
            ex.onClientClose(this::clientGone);
        }
        return true;
    }

    private void keepAlive() {
        if (done || !ex.isOpen()) {
            return;
        }
        ex.commitEventStream();
        ex.sendComment("keep-alive");
        call.service().stats().recordKeepAlive();
    }

    private void timedOut() {
        if (!done && queue.remove(this, true)) {
            end();
            queue.recordWait(since);
            call.queueTimedOut();
        }
    }

    private void clientGone() {
        if (!done && queue.remove(this, false)) {
            end();
        }
    }

    private void end() {
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (ticker != null) {
            ticker.cancel(false);
        }
        ex.onClientClose(null);
    }

    @Override
    public List<EndpointState> candidates() {
        return candidates;
    }

    @Override
    public String client() {
        return client;
    }

    @Override
    public void admitted(EndpointState endpoint) {
        end();
        if (!ex.isOpen()) {
            endpoint.attemptCancelled();
            queue.released(endpoint);
            return;
        }
        call.admitted(endpoint);
    }

    @Override
    public void execute(Runnable task) {
        ex.eventLoop().execute(task);
    }
}
