package dev.olla.balance;

import dev.olla.endpoint.BackendLoad;
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
 * @param share the endpoint's configured {@code weight} (>= 1) for the weighted balancers
 * @param load what the backend last reported about its slots and loaded models ({@link BackendLoad})
 * @param cap Olla's cap on concurrent requests to it ({@link EndpointState#cap()}; MAX_VALUE = none)
 */
public record Candidate(
        EndpointState endpoint,
        EndpointStatus status,
        boolean breakerAdmits,
        int inFlight,
        int priority,
        long lastHealthyNanos,
        boolean failedSinceHealthy,
        boolean healthIgnored,
        int share,
        BackendLoad load,
        int cap) {

    public Candidate {
        share = Math.max(1, share);
        load = load == null ? BackendLoad.UNKNOWN : load;
        cap = cap <= 0 ? Integer.MAX_VALUE : cap;
    }

    /** A candidate without capacity facts (weight 1, nothing reported, no cap). */
    public Candidate(EndpointState endpoint, EndpointStatus status, boolean breakerAdmits, int inFlight, int priority,
            long lastHealthyNanos, boolean failedSinceHealthy, boolean healthIgnored) {
        this(endpoint, status, breakerAdmits, inFlight, priority, lastHealthyNanos, failedSinceHealthy, healthIgnored, 1,
                BackendLoad.UNKNOWN, Integer.MAX_VALUE);
    }

    /** The snapshot of one endpoint now. */
    public static Candidate of(EndpointState s, boolean breakerAdmits) {
        long healthy = s.lastHealthyNanos();
        long failed = s.lastFailedNanos();
        boolean failedSince = failed != Long.MIN_VALUE && (healthy == Long.MIN_VALUE || failed - healthy > 0);
        return new Candidate(s, s.status(), breakerAdmits, s.inFlight(), s.endpoint().priority(), healthy, failedSince,
                false, s.endpoint().weight(), s.load(), s.cap());
    }

    // ---- capacity, from the snapshot's figures

    /** Olla's in-flight requests plus the busy slots the backend reports for other clients' work. */
    public int busy() {
        return inFlight + load.foreignBusy();
    }

    /** Free slots as far as known; -1 when the backend publishes none. */
    public int freeSlots() {
        return load.slotsKnown() ? Math.max(0, load.slotsTotal() - busy()) : -1;
    }

    /** Olla's cap reached: no new attempt goes there (the request queues). */
    public boolean atCap() {
        return inFlight >= cap;
    }

    /** Every published slot busy, or the cap reached. */
    public boolean full() {
        return freeSlots() == 0 || atCap();
    }

    /** Requests waiting inside the backend (reported), 0 when unknown. */
    public int backendQueue() {
        return Math.max(0, load.waiting());
    }

    /** Whether {@code model} is loaded there: TRUE/FALSE as reported, null when it publishes no residency. */
    public Boolean loaded(String model) {
        return EndpointState.loaded(load, model);
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
                        failedSinceHealthy, true, share, load, cap);
    }

    @Override
    public String toString() {
        return name() + "(" + status.wire() + (breakerAdmits ? "" : ", breaker open") + ", in-flight " + inFlight
                + (healthIgnored ? ", panic" : "") + ")";
    }
}
