package dev.olla.endpoint;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live, thread-safe state of one endpoint: its health status (written by the health checker
 * and by passive failures from the proxy) and its in-flight request count (exact: incremented when
 * an attempt starts, decremented once when it ends, whatever the outcome).
 */
public final class EndpointState {
    private final Endpoint endpoint;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder latencyMicrosTotal = new LongAdder();
    private volatile EndpointStatus status = EndpointStatus.UNKNOWN;
    private volatile String statusReason = "not checked yet";
    private volatile Instant lastCheck;
    private volatile Instant nextCheck;
    private volatile long lastLatencyMillis = -1;
    private volatile int consecutiveFailures;
    private volatile Instant statusSince;
    private volatile long lastHealthyNanos = Long.MIN_VALUE;
    private volatile long lastFailedNanos = Long.MIN_VALUE;

    private static final VarHandle STATUS;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(EndpointState.class, "status", EndpointStatus.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public EndpointState(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public String name() {
        return endpoint.name();
    }

    public EndpointStatus status() {
        return status;
    }

    public String statusReason() {
        return statusReason;
    }

    public boolean routable() {
        return status.routable();
    }

    /** Sets the status; returns the previous one. */
    public EndpointStatus status(EndpointStatus next, String reason) {
        EndpointStatus prev = status;
        status = next;
        statusReason = reason;
        return prev;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** An attempt to this endpoint starts. Pair with exactly one {@link #attemptEnded}. */
    public void attemptStarted() {
        inFlight.incrementAndGet();
        requests.increment();
    }

    /**
     * An attempt ends; {@code failed} = it did not end in a complete answer, or the backend answered
     * with a 5xx status.
     */
    public void attemptEnded(boolean failed, long bytesRelayed, long micros) {
        inFlight.decrementAndGet();
        if (failed) {
            failures.increment();
        }
        bytes.add(bytesRelayed);
        latencyMicrosTotal.add(micros);
    }

    public long requests() {
        return requests.sum();
    }

    public long failures() {
        return failures.sum();
    }

    public long bytes() {
        return bytes.sum();
    }

    public double averageLatencyMillis() {
        long n = requests.sum();
        return n == 0 ? 0 : latencyMicrosTotal.sum() / 1000.0 / n;
    }

    public double successRate() {
        long n = requests.sum();
        return n == 0 ? 100.0 : 100.0 * (n - failures.sum()) / n;
    }

    // ---- health-check bookkeeping (written by the health package)

    /** The endpoint was just seen healthy (a healthy probe or a good answer to a request). */
    public void markHealthy() {
        lastHealthyNanos = System.nanoTime();
    }

    /** A proxied attempt to the endpoint just failed to connect (or broke before answering). */
    public void markFailed() {
        lastFailedNanos = System.nanoTime();
    }

    /** {@link System#nanoTime()} of the last failed attempt; {@link Long#MIN_VALUE} when none. */
    public long lastFailedNanos() {
        return lastFailedNanos;
    }

    /** {@link System#nanoTime()} when last seen healthy; {@link Long#MIN_VALUE} when never. */
    public long lastHealthyNanos() {
        return lastHealthyNanos;
    }

    public Instant lastCheck() {
        return lastCheck;
    }

    public Instant nextCheck() {
        return nextCheck;
    }

    public long lastLatencyMillis() {
        return lastLatencyMillis;
    }

    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    public void checked(Instant at, long latencyMillis, Instant next, int consecutiveFailures) {
        this.lastCheck = at;
        this.lastLatencyMillis = latencyMillis;
        this.nextCheck = next;
        this.consecutiveFailures = consecutiveFailures;
    }

    /**
     * Atomically replaces the status if it is still {@code expected} (health bookkeeping: exactly one
     * writer wins a transition, so each change is logged and announced once). Returns whether it did.
     */
    public boolean compareAndSetStatus(EndpointStatus expected, EndpointStatus next, String reason) {
        if (!STATUS.compareAndSet(this, expected, next)) {
            return false;
        }
        statusReason = reason;
        statusSince = Instant.now();
        return true;
    }

    /** Updates the reason text of the current status without changing the status. */
    public void statusReason(String reason) {
        statusReason = reason;
    }

    /** When the status last changed through {@link #compareAndSetStatus}; null before the first change. */
    public Instant statusSince() {
        return statusSince;
    }

    @Override
    public String toString() {
        return endpoint.name() + "(" + status.wire() + ", in-flight " + inFlight.get() + ")";
    }
}
