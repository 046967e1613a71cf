package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointState;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Requests that found every candidate at its cap ({@link EndpointState#cap()}) wait here instead of
 * failing: bounded ({@code proxy.queue.max_size}), each for at most {@code proxy.queue.timeout}, and
 * fair across clients: every client has its own line in arrival order, and a freed slot goes to the
 * line served longest ago (a new client's first), so one client's burst cannot starve another's
 * request.
 *
 * <p>Nothing here blocks or runs I/O: a monitor guards a few list operations. When an attempt ends
 * ({@link #released}) the freed slot is reserved for the next waiter that can use it (its
 * in-flight count taken under the monitor, so no newcomer can take it first) and the waiter is
 * resumed on its own client connection's event loop. New requests queue behind existing waiters
 * for the same endpoints, keeping arrival order.
 */
final class AdmissionQueue {
    /** A queued request. Its callbacks run on its own event loop. */
    interface Waiter {
        /** The endpoints it may use. */
        List<EndpointState> candidates();

        /** The client it belongs to (fairness key). */
        String client();

        /** Resumes the request on {@code endpoint}, whose slot is already taken for it. */
        void admitted(EndpointState endpoint);

        /** Runs a task on the waiter's event loop. */
        void execute(Runnable task);
    }

    private final OllaConfig.Queue config;
    private final Map<String, ArrayDeque<Entry>> lines = new LinkedHashMap<>();
    /** Per client with waiters: when it was last served (a sequence number); absent = not yet. */
    private final Map<String, Long> lastServed = new HashMap<>();
    private long servedSeq;
    private final Map<EndpointState, Integer> waitingFor = new HashMap<>();
    private int depth;
    private final LongAdder enqueued = new LongAdder();
    private final LongAdder admitted = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final ConcurrentHistogram waits = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(60), 2);

    private record Entry(Waiter waiter, long since) {}

    AdmissionQueue(OllaConfig.Queue config) {
        this.config = config;
    }

    boolean enabled() {
        return config != null && config.enabled();
    }

    OllaConfig.Queue config() {
        return config;
    }

    /** What {@link #offer} did. */
    enum Offer { QUEUED, ADMITTED, FULL }

    /**
     * Queues {@code w}, unless one of its candidates has a free slot right now and nobody waits for
     * it (then that slot is taken for {@code w}, {@link Waiter#admitted} runs at once, ADMITTED), or
     * the queue is full (FULL).
     */
    Offer offer(Waiter w) {
        EndpointState now = null;
        synchronized (this) {
            boolean others = false;
            for (EndpointState s : w.candidates()) {
                if (waitingFor.getOrDefault(s, 0) > 0) {
                    others = true;
                    break;
                }
            }
            if (!others) {
                for (EndpointState s : w.candidates()) {
                    if (s.routable() && s.tryAttemptStarted()) {
                        now = s;
                        break;
                    }
                }
            }
            if (now == null) {
                if (depth >= config.maxSize()) {
                    rejected.increment();
                    return Offer.FULL;
                }
                lines.computeIfAbsent(w.client(), k -> new ArrayDeque<>()).addLast(new Entry(w, System.nanoTime()));
                depth++;
                for (EndpointState s : w.candidates()) {
                    waitingFor.merge(s, 1, Integer::sum);
                }
                enqueued.increment();
                return Offer.QUEUED;
            }
        }
        w.admitted(now);
        return Offer.ADMITTED;
    }

    /** Whether anybody waits for one of these endpoints (a newcomer then queues behind them). */
    synchronized boolean waitingFor(List<EndpointState> endpoints) {
        if (depth == 0) {
            return false;
        }
        for (EndpointState s : endpoints) {
            if (waitingFor.getOrDefault(s, 0) > 0) {
                return true;
            }
        }
        return false;
    }

    /** Takes {@code w} out (timeout, client gone); false if it was already admitted. */
    boolean remove(Waiter w, boolean timeout) {
        synchronized (this) {
            ArrayDeque<Entry> line = lines.get(w.client());
            if (line == null) {
                return false;
            }
            for (Iterator<Entry> it = line.iterator(); it.hasNext();) {
                Entry e = it.next();
                if (e.waiter() == w) {
                    it.remove();
                    dropped(e, line);
                    (timeout ? timedOut : abandoned).increment();
                    return true;
                }
            }
            return false;
        }
    }

    private void dropped(Entry e, ArrayDeque<Entry> line) {
        depth--;
        for (EndpointState s : e.waiter().candidates()) {
            waitingFor.computeIfPresent(s, (k, v) -> v <= 1 ? null : v - 1);
        }
        if (line.isEmpty()) {
            String client = e.waiter().client();
            lines.remove(client);
            lastServed.remove(client);
        }
    }

    /**
     * An attempt on {@code s} ended (its in-flight count already lowered): hands the free slot to the
     * next waiter that can use it, client lines taking turns.
     */
    void released(EndpointState s) {
        while (true) {
            Entry next = null;
            synchronized (this) {
                if (depth == 0 || waitingFor.getOrDefault(s, 0) == 0 || !s.routable()) {
                    return;
                }
                // the client served longest ago (never = first) whose line has a waiter that can use s;
                // ties by arrival of that waiter
                String servedClient = null;
                ArrayDeque<Entry> servedLine = null;
                Entry best = null;
                long bestServed = 0;
                for (Map.Entry<String, ArrayDeque<Entry>> line : lines.entrySet()) {
                    for (Entry e : line.getValue()) {
                        if (e.waiter().candidates().contains(s)) {
                            long served = lastServed.getOrDefault(line.getKey(), -1L);
                            if (best == null || served < bestServed || (served == bestServed && e.since() < best.since())) {
                                best = e;
                                bestServed = served;
                                servedClient = line.getKey();
                                servedLine = line.getValue();
                            }
                            break;
                        }
                    }
                }
                if (best != null) {
                    if (!s.tryAttemptStarted()) {
                        return; // no free slot after all (cap reached by a racing start)
                    }
                    servedLine.remove(best);
                    next = best;
                    lastServed.put(servedClient, ++servedSeq);
                    dropped(next, servedLine);
                }
                if (next == null) {
                    return;
                }
                admitted.increment();
                waits.recordValue(Math.max(0, (System.nanoTime() - next.since()) / 1000));
            }
            Entry e = next;
            e.waiter().execute(() -> e.waiter().admitted(s));
            // loop: the slot is taken; if more are free (cap grew), serve the next waiter too
        }
    }

    /** Offers every endpoint's free slots to the waiters (after a cap grew or an endpoint recovered). */
    void pump(List<EndpointState> endpoints) {
        for (EndpointState s : endpoints) {
            released(s);
        }
    }

    /** Records the wait of a request that left the queue without being admitted. */
    void recordWait(long sinceNanos) {
        waits.recordValue(Math.max(0, (System.nanoTime() - sinceNanos) / 1000));
    }

    synchronized int depth() {
        return depth;
    }

    /** Requests waiting per endpoint they could use. */
    synchronized Map<String, Integer> depthByEndpoint() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        waitingFor.forEach((k, v) -> out.put(k.name(), v));
        return out;
    }

    /** Figures for status and metrics. */
    Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", enabled());
        m.put("depth", depth());
        m.put("max_size", config == null ? 0 : config.maxSize());
        m.put("enqueued_total", enqueued.sum());
        m.put("admitted_total", admitted.sum());
        m.put("timed_out_total", timedOut.sum());
        m.put("rejected_total", rejected.sum());
        m.put("abandoned_total", abandoned.sum());
        m.put("wait_ms_p50", waits.getValueAtPercentile(50) / 1000.0);
        m.put("wait_ms_p99", waits.getValueAtPercentile(99) / 1000.0);
        m.put("wait_ms_max", waits.getMaxValue() / 1000.0);
        m.put("wait_seconds_sum", waits.getTotalCount() == 0 ? 0.0 : waits.getMean() * waits.getTotalCount() / 1e6);
        m.put("wait_count", waits.getTotalCount());
        m.put("waiting_by_endpoint", depthByEndpoint());
        return m;
    }
}
