package dev.olla.server;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Counters the server keeps about its own connections and limit violations. */
public final class ServerStats {
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger activeRequests = new AtomicInteger();
    private final LongAdder totalRequests = new LongAdder();
    private final LongAdder sizeViolations = new LongAdder();
    private final LongAdder rateLimitViolations = new LongAdder();

    public int openConnections() {
        return openConnections.get();
    }

    public int activeRequests() {
        return activeRequests.get();
    }

    public long totalRequests() {
        return totalRequests.sum();
    }

    public long sizeViolations() {
        return sizeViolations.sum();
    }

    public long rateLimitViolations() {
        return rateLimitViolations.sum();
    }

    public void rateLimitViolation() {
        rateLimitViolations.increment();
    }

    void sizeViolation() {
        sizeViolations.increment();
    }

    void connectionOpened() {
        openConnections.incrementAndGet();
    }

    void connectionClosed() {
        openConnections.decrementAndGet();
    }

    void requestStarted() {
        activeRequests.incrementAndGet();
        totalRequests.increment();
    }

    void requestFinished() {
        activeRequests.decrementAndGet();
    }
}
