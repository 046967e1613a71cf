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
