package dev.olla.balance;

import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;

/**
 * One candidate endpoint as the choose step saw it, read ONCE per choice: balancers, sticky
 * sessions, the panic threshold and the last-resort pick all decide from these values, never from
 * the live {@link EndpointState} (whose status and in-flight count move under a concurrent
 * request). Build one with {@link #of}; new per-candidate facts (capacity, weights...) are added as
 * fields here and read in {@link #of}, so callers need not change.
 *
 * @param endpoint the live endpoint (what an attempt is sent to; not read for decisions)
 * @param status health status at snapshot time
 * @param breakerAdmits whether the endpoint's circuit breaker would admit a call (no permit taken)
 * @param inFlight requests in flight at snapshot time
 * @param priority configured priority (higher first)
 * @param lastHealthyNanos {@link System#nanoTime()} when it was last seen healthy (probe or answer);
 *     {@link Long#MIN_VALUE} when never
 * @param failedSinceHealthy a proxied attempt failed after it was last seen healthy
 * @param healthIgnored panic routing: treat as healthy whatever {@code status} says
 */
public record Candidate(
        EndpointState endpoint,
        EndpointStatus status,
        boolean breakerAdmits,
        int inFlight,
        int priority,
        long lastHealthyNanos,
        boolean failedSinceHealthy,
        boolean healthIgnored) {

    /** The snapshot of one endpoint now. */
    public static Candidate of(EndpointState s, boolean breakerAdmits) {
        long healthy = s.lastHealthyNanos();
        long failed = s.lastFailedNanos();
        boolean failedSince = failed != Long.MIN_VALUE && (healthy == Long.MIN_VALUE || failed - healthy > 0);
        return new Candidate(s, s.status(), breakerAdmits, s.inFlight(), s.endpoint().priority(), healthy, failedSince,
                false);
    }

    public String name() {
        return endpoint.name();
    }

    /** Eligible for ordinary balancing: a routable status and a breaker that admits. */
    public boolean routable() {
        return healthIgnored || (status.routable() && breakerAdmits);
    }

    /** Preference among candidates: 2 healthy, 1 routable but not healthy (busy, warming), 0 not routable. */
    public int level() {
        if (healthIgnored || status == EndpointStatus.HEALTHY) {
            return 2;
        }
        return status.routable() ? 1 : 0;
    }

    /** Share of traffic relative to a healthy endpoint (busy 0.3, warming 0.1). */
    public double weight() {
        return healthIgnored ? 1.0 : status.weight();
    }

    /** This candidate for panic routing: health ignored, every other fact kept. */
    public Candidate ignoringHealth() {
        return healthIgnored ? this
                : new Candidate(endpoint, status, breakerAdmits, inFlight, priority, lastHealthyNanos,
                        failedSinceHealthy, true);
    }

    @Override
    public String toString() {
        return name() + "(" + status.wire() + (breakerAdmits ? "" : ", breaker open") + ", in-flight " + inFlight
                + (healthIgnored ? ", panic" : "") + ")";
    }
}
