package dev.olla.sim;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters of what one {@link SimulatedBackend} has seen. */
public final class SimStats {

    /**
     * One request as received.
     *
     * @param method  HTTP method
     * @param uri     path and query, as on the request line
     * @param headers request headers, names case-insensitive, values in arrival order
     * @param body    the body decoded as UTF-8 (empty if none)
     */
    public record RecordedRequest(String method, String uri, Map<String, List<String>> headers, String body) {
        /** The first value of a header, or {@code null}. */
        public String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        /** The path without the query. */
        public String path() {
            int q = uri.indexOf('?');
            return q < 0 ? uri : uri.substring(0, q);
        }
    }

    private final LongAdder requests = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> byPath = new ConcurrentHashMap<>();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final LongAdder completedStreams = new LongAdder();
    private final LongAdder cancelledStreams = new LongAdder();
    private final LongAdder droppedStreams = new LongAdder();
    private final LongAdder faultsInjected = new LongAdder();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final LongAdder acceptedConnections = new LongAdder();
    private final AtomicReference<RecordedRequest> lastRequest = new AtomicReference<>();
    private final java.util.Map<String, RecordedRequest> lastByPath = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<Started> started = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger startedCount = new AtomicInteger();
    private static final int STARTED_KEPT = 10_000;

    /** A generation that got a slot and started, with the request body (the last 10,000 are kept). */
    public record Started(long nanoTime, String body) {}

    void generationStarted(String body) {
        started.add(new Started(System.nanoTime(), body));
        if (startedCount.incrementAndGet() > STARTED_KEPT) {
            started.poll();
            startedCount.decrementAndGet();
        }
    }

    /** The generations started, oldest first (what order the server served its requests in). */
    public List<Started> startedGenerations() {
        return List.copyOf(started);
    }

    SimStats() {
    }

    /** Requests received, all routes. */
    public long requests() {
        return requests.sum();
    }

    /** Requests received for one path (without query). */
    public long requests(String path) {
        LongAdder a = byPath.get(path);
        return a == null ? 0 : a.sum();
    }

    /** Requests received per path (without query), a snapshot sorted by path. */
    public Map<String, Long> requestsByPath() {
        Map<String, Long> m = new TreeMap<>();
        byPath.forEach((k, v) -> m.put(k, v.sum()));
        return Collections.unmodifiableMap(m);
    }

    /** Streaming responses currently being generated. */
    public int activeStreams() {
        return activeStreams.get();
    }

    /** Streams that ran to their end. */
    public long completedStreams() {
        return completedStreams.sum();
    }

    /** Streams whose client disconnected before the stream finished. */
    public long cancelledStreams() {
        return cancelledStreams.sum();
    }

    /** Streams cut by the {@link SimFaults#dropAfterTokens(int)} fault. */
    public long droppedStreams() {
        return droppedStreams.sum();
    }

    /** Client connections currently open. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Client connections accepted since start (or the last {@link #reset()}). */
    public long acceptedConnections() {
        return acceptedConnections.sum();
    }

    /** The most recent request, or {@code null} if none yet. */
    public RecordedRequest lastRequest() {
        return lastRequest.get();
    }

    /** Zeroes the counters and forgets the last request (gauges of open connections and active streams stay). */
    public void reset() {
        requests.reset();
        byPath.clear();
        completedStreams.reset();
        cancelledStreams.reset();
        droppedStreams.reset();
        faultsInjected.reset();
        acceptedConnections.reset();
        lastRequest.set(null);
        lastByPath.clear();
    }

    /** The last request to this path (without query), or null; health probes cannot hide it. */
    public RecordedRequest lastRequest(String path) {
        return lastByPath.get(path);
    }

    void request(RecordedRequest r) {
        requests.increment();
        byPath.computeIfAbsent(r.path(), k -> new LongAdder()).increment();
        lastRequest.set(r);
        lastByPath.put(r.path(), r);
    }

    void streamStarted() {
        activeStreams.incrementAndGet();
    }

    void streamCompleted() {
        activeStreams.decrementAndGet();
        completedStreams.increment();
    }

    void streamCancelled() {
        activeStreams.decrementAndGet();
        cancelledStreams.increment();
    }

    void faultInjected() {
        faultsInjected.increment();
    }

    /**
     * Requests hit by a budgeted {@link SimFaults} switch (errorFirst, errorBody200, resetAfterRole,
     * stallAfterHead, loadDelay); dropAfterTokens is counted by {@link #droppedStreams()}.
     */
    public long faultsInjected() {
        return faultsInjected.sum();
    }

    void streamDropped() {
        activeStreams.decrementAndGet();
        droppedStreams.increment();
    }

    void connectionOpened() {
        openConnections.incrementAndGet();
        acceptedConnections.increment();
    }

    void connectionClosed() {
        openConnections.decrementAndGet();
    }

    @Override
    public String toString() {
        return "SimStats[requests=" + requests() + ", activeStreams=" + activeStreams() + ", cancelledStreams="
                + cancelledStreams() + ", droppedStreams=" + droppedStreams() + ", openConnections=" + openConnections() + "]";
    }
}
