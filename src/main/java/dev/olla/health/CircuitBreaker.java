package dev.olla.health;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The one circuit breaker of an endpoint: a lock-free consecutive-failure breaker (the shape of
 * Armeria's NonBlockingCircuitBreaker), one immutable {@link Snapshot} swapped by compare-and-set,
 * time from an injected nano clock. It is fed by proxied attempts (through {@link Permit}s) and by
 * health probes.
 *
 * <ul>
 *   <li>CLOSED: {@link #tryAcquire()} always gives a {@link Permit#CLOSED} permit;
 *       {@code failureThreshold} consecutive failures (no success in between) open it.</li>
 *   <li>OPEN: {@link #tryAcquire()} refuses until {@code openFor} has elapsed; then the first caller
 *       to win the CAS moves it to HALF_OPEN and holds the one trial permit.</li>
 *   <li>HALF_OPEN: every other caller is refused while the trial is outstanding. The trial's success
 *       closes the breaker, its failure re-opens it for {@code openFor}; a trial that ends
 *       {@linkplain #release ignored} (the client went away, or the permit was not used) is handed
 *       back: the breaker is OPEN and due, so the next caller takes a fresh trial at once. A trial
 *       that never reports back is replaced after {@code openFor}.</li>
 * </ul>
 *
 * Rules: a success or failure reported with a permit taken while CLOSED changes nothing once the
 * breaker is OPEN or HALF_OPEN (only the trial decides); a successful health probe
 * ({@link #probeSucceeded()}) closes the breaker at once from any state, except when it was
 * {@linkplain #eject ejected} for bad answers (consecutive 5xx), which only a trial request closes.
 * Thread-safe; no locks; {@link #tryAcquire()} on a closed breaker is one volatile read.
 */
public final class CircuitBreaker {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    /**
     * A permission to make one call, to be settled exactly once with {@link #onSuccess},
     * {@link #onFailure} or {@link #release}. {@link #CLOSED} is shared (taken while closed);
     * a trial permit is its own object, so only that trial can settle the half-open state.
     */
    public static final class Permit {
        /** Taken while the breaker was closed. */
        public static final Permit CLOSED = new Permit(null);
        /** No permit: a call made although the breaker refused (last resort, panic routing). */
        public static final Permit NONE = new Permit(null);

        private final Object trialOf;

        private Permit(Object trialOf) {
            this.trialOf = trialOf;
        }

        /** Whether this is the half-open trial. */
        public boolean trial() {
            return trialOf != null;
        }

        @Override
        public String toString() {
            return this == CLOSED ? "closed" : this == NONE ? "none" : "trial";
        }
    }

    /**
     * @param failures consecutive failures counted while CLOSED (0 otherwise)
     * @param deadline OPEN: when the open window ends; HALF_OPEN: when the outstanding trial expires
     * @param ejected opened for bad answers: a successful probe does not close it, only a trial
     */
    private record Snapshot(State state, int failures, long deadline, boolean ejected) {}

    private static final Snapshot CLOSED = new Snapshot(State.CLOSED, 0, 0, false);

    private final int failureThreshold;
    private final long openForNanos;
    private final LongSupplier nanoClock;
    private final AtomicReference<Snapshot> ref = new AtomicReference<>(CLOSED);

    public CircuitBreaker(int failureThreshold, Duration openFor, LongSupplier nanoClock) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be >= 1: " + failureThreshold);
        }
        if (openFor.isNegative()) {
            throw new IllegalArgumentException("openFor must not be negative: " + openFor);
        }
        this.failureThreshold = failureThreshold;
        this.openForNanos = openFor.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** A breaker on {@link System#nanoTime()}. */
    public CircuitBreaker(int failureThreshold, Duration openFor) {
        this(failureThreshold, openFor, System::nanoTime);
    }

    /**
     * A permit for one call now, or null when refused. CLOSED: {@link Permit#CLOSED}. OPEN and due
     * (or a trial expired): a trial permit for exactly one caller. Otherwise null.
     */
    public Permit tryAcquire() {
        for (;;) {
            Snapshot s = ref.get();
            if (s.state == State.CLOSED) {
                return Permit.CLOSED;
            }
            long now = nanoClock.getAsLong();
            if (now - s.deadline < 0) {
                return null;
            }
            // Open window (or the previous trial) expired: exactly one CAS winner gets the trial.
            Snapshot half = new Snapshot(State.HALF_OPEN, 0, now + openForNanos, s.ejected);
            if (ref.compareAndSet(s, half)) {
                return new Permit(half);
            }
        }
    }

    /**
     * Whether {@link #tryAcquire()} would give a permit now, without taking one. For filtering
     * candidates before a balancer picks one; acquire only for the endpoint actually chosen.
     */
    public boolean permitsNow() {
        Snapshot s = ref.get();
        return s.state == State.CLOSED || nanoClock.getAsLong() - s.deadline >= 0;
    }

    /**
     * A call succeeded. The trial's success closes the breaker; a closed permit's success resets the
     * failure count while closed and changes nothing otherwise. Returns true when this call closed
     * the breaker (exactly one caller sees each closing).
     */
    public boolean onSuccess(Permit permit) {
        for (;;) {
            Snapshot s = ref.get();
            if (s == CLOSED) {
                return false; // already closed and clean: no write on the hot path
            }
            boolean mine = permit != null && permit.trialOf == s;
            if (s.state != State.CLOSED && !mine) {
                return false; // only the trial decides while open / half-open
            }
            if (ref.compareAndSet(s, CLOSED)) {
                return s.state != State.CLOSED;
            }
        }
    }

    /**
     * A call failed. Closed permit while CLOSED: counts, and opens at the threshold. The trial:
     * re-opens for {@code openFor}. Anything else: ignored. Returns true when this call opened (or
     * re-opened) the breaker.
     */
    public boolean onFailure(Permit permit) {
        for (;;) {
            Snapshot s = ref.get();
            Snapshot next;
            if (s.state == State.CLOSED) {
                if (permit != null && permit.trial()) {
                    return false; // a stale trial: the breaker was closed since
                }
                int f = s.failures + 1;
                next = f >= failureThreshold ? open(false) : new Snapshot(State.CLOSED, f, 0, false);
            } else if (permit != null && permit.trialOf == s) {
                next = open(s.ejected);
            } else {
                return false;
            }
            if (ref.compareAndSet(s, next)) {
                return next.state == State.OPEN;
            }
        }
    }

    /**
     * A permit that was not used, or a call that ended without a verdict (the client went away):
     * a trial is handed back (OPEN and due, so the next caller takes a new trial at once); a closed
     * permit needs nothing.
     */
    public void release(Permit permit) {
        if (permit == null || !permit.trial()) {
            return;
        }
        Snapshot s = ref.get();
        if (permit.trialOf == s) {
            ref.compareAndSet(s, new Snapshot(State.OPEN, 0, nanoClock.getAsLong(), s.ejected));
        }
    }

    /**
     * A health probe succeeded: closes the breaker at once from any state (a live backend is not
     * kept out for the rest of the open window), unless it was ejected for bad answers. Returns
     * true when this call closed it.
     */
    public boolean probeSucceeded() {
        for (;;) {
            Snapshot s = ref.get();
            if (s == CLOSED || s.ejected) {
                return false;
            }
            if (ref.compareAndSet(s, CLOSED)) {
                return s.state != State.CLOSED;
            }
        }
    }

    /** A health probe failed: counts like a closed permit's failure (nothing while open). */
    public boolean probeFailed() {
        return onFailure(Permit.CLOSED);
    }

    /**
     * Opens the breaker now for bad answers (e.g. consecutive 5xx): only a trial request closes it,
     * not a probe (the health URL may answer while inference fails). Returns true when it was closed.
     */
    public boolean eject() {
        for (;;) {
            Snapshot s = ref.get();
            if (s.state != State.CLOSED) {
                return false;
            }
            if (ref.compareAndSet(s, open(true))) {
                return true;
            }
        }
    }

    private Snapshot open(boolean ejected) {
        return new Snapshot(State.OPEN, 0, nanoClock.getAsLong() + openForNanos, ejected);
    }

    /**
     * The stored state. OPEN stays OPEN after its window elapses until a caller takes the trial
     * ({@link #permitsNow()} tells whether one could).
     */
    public State state() {
        return ref.get().state;
    }

    /** Whether the breaker is open for bad answers (consecutive 5xx). */
    public boolean ejected() {
        return ref.get().ejected;
    }

    /** Consecutive failures counted while closed. */
    public int consecutiveFailures() {
        return ref.get().failures;
    }

    /** Nanoseconds until an open breaker admits a trial (0 when closed or already due). */
    public long remainingOpenNanos() {
        Snapshot s = ref.get();
        if (s.state == State.CLOSED) {
            return 0;
        }
        return Math.max(0, s.deadline - nanoClock.getAsLong());
    }

    public int failureThreshold() {
        return failureThreshold;
    }

    public Duration openFor() {
        return Duration.ofNanos(openForNanos);
    }

    @Override
    public String toString() {
        Snapshot s = ref.get();
        return "CircuitBreaker[" + s.state + ", failures " + s.failures + "/" + failureThreshold
                + (s.ejected ? ", ejected" : "") + "]";
    }
}
