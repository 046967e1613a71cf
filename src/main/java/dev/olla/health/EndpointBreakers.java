package dev.olla.health;

import dev.olla.endpoint.EndpointState;
import dev.olla.health.CircuitBreaker.Permit;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link CircuitBreaker} of every endpoint, and what feeds it: verdicts of proxied attempts
 * (through their permits), health probes, and the {@code proxy.consecutive_5xx} ejection count.
 * Logs each opening and closing once. Thread-safe (event loops and the health scheduler call it).
 */
final class EndpointBreakers {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    private record Entry(CircuitBreaker breaker, AtomicInteger consecutive5xx) {}

    private final Map<EndpointState, Entry> entries;
    private final int consecutive5xxLimit;

    EndpointBreakers(Iterable<EndpointState> endpoints, int threshold, Duration openFor, int consecutive5xx,
            LongSupplier nanoClock) {
        Map<EndpointState, Entry> m = new IdentityHashMap<>();
        for (EndpointState s : endpoints) {
            m.put(s, new Entry(new CircuitBreaker(threshold, openFor, nanoClock), new AtomicInteger()));
        }
        this.entries = m;
        this.consecutive5xxLimit = Math.max(0, consecutive5xx);
    }

    /** The endpoint's breaker; null for an endpoint not known here. */
    CircuitBreaker breaker(EndpointState s) {
        Entry e = entries.get(s);
        return e == null ? null : e.breaker;
    }

    boolean admits(EndpointState s) {
        Entry e = entries.get(s);
        return e == null || e.breaker.permitsNow();
    }

    Permit acquire(EndpointState s) {
        Entry e = entries.get(s);
        return e == null ? Permit.CLOSED : e.breaker.tryAcquire();
    }

    void release(EndpointState s, Permit permit) {
        Entry e = entries.get(s);
        if (e != null) {
            e.breaker.release(permit);
        }
    }

    /**
     * The backend answered with {@code status}. Returns false when the answer counts as bad
     * ({@code consecutive_5xx} on and a 5xx).
     */
    boolean answered(EndpointState s, Permit permit, int status) {
        Entry e = entries.get(s);
        if (e == null) {
            return status < 500;
        }
        if (consecutive5xxLimit > 0 && status >= 500) {
            int n = e.consecutive5xx.incrementAndGet();
            if (permit != null && permit.trial()) {
                failed(s, permit, true); // the trial answered 5xx again: stays out
            } else if (n >= consecutive5xxLimit && e.breaker.eject()) {
                e.consecutive5xx.set(0);
                LOG.warn("endpoint {} ejected: {} consecutive 5xx answers (circuit breaker open for {}s)", s.name(), n,
                        e.breaker.openFor().toSeconds());
            }
            return false;
        }
        e.consecutive5xx.set(0);
        if (e.breaker.onSuccess(permit)) {
            LOG.info("endpoint {} circuit breaker closed: trial request succeeded", s.name());
        }
        return status < 500;
    }

    /**
     * A failed call. {@code counts}: it counts toward the breaker (otherwise the permit is only
     * handed back, e.g. for requests that failed together in one outage already counted).
     */
    void failed(EndpointState s, Permit permit, boolean counts) {
        Entry e = entries.get(s);
        if (e == null) {
            return;
        }
        if (!counts) {
            e.breaker.release(permit);
            return;
        }
        CircuitBreaker.State before = e.breaker.state();
        if (e.breaker.onFailure(permit)) {
            if (before == CircuitBreaker.State.HALF_OPEN) {
                LOG.warn("endpoint {} circuit breaker re-opened: half-open trial failed (for {}s)", s.name(),
                        e.breaker.openFor().toSeconds());
            } else {
                LOG.warn("endpoint {} circuit breaker open after {} consecutive failures (for {}s)", s.name(),
                        e.breaker.failureThreshold(), e.breaker.openFor().toSeconds());
            }
        }
    }

    void probeSucceeded(EndpointState s) {
        Entry e = entries.get(s);
        if (e != null && e.breaker.probeSucceeded()) {
            LOG.info("endpoint {} circuit breaker closed: health probe succeeded", s.name());
        }
    }

    void probeFailed(EndpointState s) {
        failed(s, Permit.CLOSED, true);
    }
}
