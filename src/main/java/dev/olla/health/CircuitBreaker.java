package dev.olla.health;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * A lock-free consecutive-failure circuit breaker (the shape of Armeria's NonBlockingCircuitBreaker):
 * one immutable {@link Snapshot} swapped by compare-and-set, time from an injected nano clock.
 *
 * <ul>
 *   <li>CLOSED: every {@link #tryAcquire()} succeeds; {@code failureThreshold} consecutive
 *       {@link #onFailure()}s (no {@link #onSuccess()} in between) open it.</li>
 *   <li>OPEN: {@link #tryAcquire()} fails until {@code openFor} has elapsed; then the first caller to
 *       win the CAS moves it to HALF_OPEN and is the one trial.</li>
 *   <li>HALF_OPEN: every other caller is refused while the trial is outstanding. The trial's
 *       {@link #onSuccess()} closes the breaker, its {@link #onFailure()} re-opens it for
 *       {@code openFor}. A trial that never reports back is replaced after {@code openFor}.</li>
 * </ul>
 *
 * Failures reported while OPEN (e.g. requests that started before it opened) change nothing.
 * Thread-safe; no locks; {@link #tryAcquire()} on a closed breaker is one volatile read.
 */
public final class CircuitBreaker {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    /**
     * @param failures consecutive failures counted while CLOSED (0 otherwise)
     * @param deadline OPEN: when the open window ends; HALF_OPEN: when the outstanding trial expires
     */
    private record Snapshot(State state, int failures, long deadline) {}

    private static final Snapshot CLOSED = new Snapshot(State.CLOSED, 0, 0);

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
     * Whether a call may go ahead now. CLOSED: always. OPEN/HALF_OPEN: only the single caller that
     * takes the trial once the open window (or the previous trial) has expired. A caller that gets
     * true must report {@link #onSuccess()} or {@link #onFailure()} (a trial never reported is
     * replaced after {@code openFor}).
     */
    public boolean tryAcquire() {
        for (;;) {
            Snapshot s = ref.get();
            if (s.state == State.CLOSED) {
                return true;
            }
            long now = nanoClock.getAsLong();
            if (now - s.deadline < 0) {
                return false;
            }
            // Open window (or the previous trial) expired: exactly one CAS winner gets the trial.
            if (ref.compareAndSet(s, new Snapshot(State.HALF_OPEN, 0, now + openForNanos))) {
                return true;
            }
        }
    }

    /**
     * Whether {@link #tryAcquire()} would succeed now, without taking the trial. For filtering
     * candidates before a balancer picks one; acquire only for the endpoint actually chosen.
     */
    public boolean permitsNow() {
        Snapshot s = ref.get();
        return s.state == State.CLOSED || nanoClock.getAsLong() - s.deadline >= 0;
    }

    /**
     * A call succeeded: closes the breaker and resets the failure count. Returns true when this call
     * closed an OPEN or HALF_OPEN breaker (exactly one caller sees each closing).
     */
    public boolean onSuccess() {
        for (;;) {
            Snapshot s = ref.get();
            if (s == CLOSED) {
                // Already closed and clean: no write, no cache-line traffic on the hot path.
                return false;
            }
            if (ref.compareAndSet(s, CLOSED)) {
                return s.state != State.CLOSED;
            }
        }
    }

    /**
     * A call failed. CLOSED: counts, and opens at the threshold. HALF_OPEN: re-opens for
     * {@code openFor}. OPEN: ignored. Returns true when this call opened (or re-opened) the breaker.
     */
    public boolean onFailure() {
        for (;;) {
            Snapshot s = ref.get();
            Snapshot next;
            switch (s.state) {
                case OPEN -> {
                    return false;
                }
                case HALF_OPEN -> next = new Snapshot(State.OPEN, 0, nanoClock.getAsLong() + openForNanos);
                default -> {
                    int f = s.failures + 1;
                    next = f >= failureThreshold
                            ? new Snapshot(State.OPEN, 0, nanoClock.getAsLong() + openForNanos)
                            : new Snapshot(State.CLOSED, f, 0);
                }
            }
            if (ref.compareAndSet(s, next)) {
                return next.state == State.OPEN;
            }
        }
    }

    /**
     * The stored state. OPEN stays OPEN after its window elapses until a caller takes the trial
     * ({@link #permitsNow()} tells whether one could).
     */
    public State state() {
        return ref.get().state;
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
        return "CircuitBreaker[" + s.state + ", failures " + s.failures + "/" + failureThreshold + "]";
    }
}
