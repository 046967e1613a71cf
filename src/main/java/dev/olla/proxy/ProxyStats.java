package dev.olla.proxy;

import java.util.concurrent.atomic.LongAdder;

/** Proxy-wide counters: requests, failures, retries, client cancellations. */
public final class ProxyStats {
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder staleReconnects = new LongAdder();
    private final LongAdder backpressurePauses = new LongAdder();
    private final LongAdder writeStalls = new LongAdder();
    private final LongAdder panicPicks = new LongAdder();
    private final LongAdder lastResortPicks = new LongAdder();
    private final LongAdder firstTokenFailovers = new LongAdder();
    private final LongAdder streamErrorEnds = new LongAdder();
    private final LongAdder keepAlives = new LongAdder();
    private final LongAdder holds = new LongAdder();
    private final LongAdder heldNanos = new LongAdder();

    void recordFirstTokenFailover() {
        firstTokenFailovers.increment();
    }

    void recordStreamErrorEnd() {
        streamErrorEnds.increment();
    }

    void recordKeepAlive() {
        keepAlives.increment();
    }

    void recordHold(long nanos) {
        holds.increment();
        heldNanos.add(nanos);
    }

    /** Attempts that failed before their first token and were retried on another endpoint, unseen by the client. */
    public long firstTokenFailovers() {
        return firstTokenFailovers.sum();
    }

    /** Streams whose backend failed after the first token, ended with an error in the client's protocol. */
    public long streamErrorEnds() {
        return streamErrorEnds.sum();
    }

    /** SSE {@code : keep-alive} comments sent before a first token (queued or waiting for the backend). */
    public long keepAlives() {
        return keepAlives.sum();
    }

    /** Held responses let through at their first content chunk. */
    public long holds() {
        return holds.sum();
    }

    /** Total time those responses were held (from the backend's head to the first content chunk), nanoseconds. */
    public long heldNanos() {
        return heldNanos.sum();
    }

    /** A pick made with health ignored (proxy.panic_threshold). */
    public void recordPanicPick() {
        panicPicks.increment();
    }

    /** A pick of a non-routable endpoint because nothing was routable (proxy.last_resort). */
    public void recordLastResortPick() {
        lastResortPicks.increment();
    }

    public long panicPicks() {
        return panicPicks.sum();
    }

    public long lastResortPicks() {
        return lastResortPicks.sum();
    }

    void recordRequest() {
        requests.increment();
    }

    void recordFailure() {
        failures.increment();
    }

    void recordRetry() {
        retries.increment();
    }

    void recordCancelled() {
        cancelled.increment();
    }

    void recordStaleReconnect() {
        staleReconnects.increment();
    }

    void recordBackpressurePause() {
        backpressurePauses.increment();
    }

    void recordWriteStall() {
        writeStalls.increment();
    }

    /** Requests dropped because the client stopped reading for server.write_timeout. */
    public long writeStalls() {
        return writeStalls.sum();
    }

    /** How often a slow client made the proxy stop reading from a backend. */
    public long backpressurePauses() {
        return backpressurePauses.sum();
    }

    public long requests() {
        return requests.sum();
    }

    public long failures() {
        return failures.sum();
    }

    public long retries() {
        return retries.sum();
    }

    public long cancelled() {
        return cancelled.sum();
    }

    public long staleReconnects() {
        return staleReconnects.sum();
    }
}
