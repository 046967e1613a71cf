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
    private volatile BackendLoad load = BackendLoad.UNKNOWN;
    private final java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> modelInFlight =
            new java.util.concurrent.ConcurrentHashMap<>();

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

    /**
     * Starts an attempt if Olla's in-flight count is below {@link #cap()} (atomically: concurrent
     * callers on other loops never overshoot the cap). Pair a success with one {@link #attemptEnded}.
     */
    public boolean tryAttemptStarted() {
        int cap = cap();
        while (true) {
            int n = inFlight.get();
            if (n >= cap) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                requests.increment();
                return true;
            }
        }
    }

    /** Undoes a {@link #tryAttemptStarted} whose attempt never ran (its client left first). */
    public void attemptCancelled() {
        inFlight.decrementAndGet();
        requests.add(-1);
    }

    // ---- capacity (residency and occupancy, written by dev.olla.capacity)

    /** What the backend last reported about its slots and loaded models. */
    public BackendLoad load() {
        return load;
    }

    public void load(BackendLoad next) {
        load = next == null ? BackendLoad.UNKNOWN : next;
    }

    /**
     * Olla's cap on concurrent requests to this endpoint: {@code max_concurrent} when configured, else
     * the slot count the backend publishes, else unlimited.
     */
    public int cap() {
        int configured = endpoint.maxConcurrent();
        if (configured > 0) {
            return configured;
        }
        int slots = load.slotsTotal();
        return slots > 0 ? slots : Integer.MAX_VALUE;
    }

    /** Olla's in-flight requests plus the busy slots the backend reports for other clients' work. */
    public int busy() {
        return inFlight.get() + load.foreignBusy();
    }

    /** Free slots as far as known: published slots minus {@link #busy()}; -1 when the backend publishes none. */
    public int freeSlots() {
        BackendLoad l = load;
        if (!l.slotsKnown()) {
            return -1;
        }
        return Math.max(0, l.slotsTotal() - inFlight.get() - l.foreignBusy());
    }

    /** Every published slot is busy, or Olla's cap is reached. */
    public boolean full() {
        return freeSlots() == 0 || inFlight.get() >= cap();
    }

    /** Requests waiting inside the backend (reported), 0 when unknown. */
    public int backendQueue() {
        return Math.max(0, load.waiting());
    }

    /**
     * Whether {@code model} is loaded here: TRUE/FALSE as the backend reports, null when it publishes
     * no residency. Ollama names match with or without {@code :latest}.
     */
    public Boolean loaded(String model) {
        return loaded(load, model);
    }

    /** {@link #loaded(String)} over a given report. */
    public static Boolean loaded(BackendLoad load, String model) {
        java.util.Map<String, Instant> m = load.loaded();
        if (m == null || model == null) {
            return null;
        }
        if (m.containsKey(model)) {
            return Boolean.TRUE;
        }
        if (!model.contains(":") && m.containsKey(model + ":latest")) {
            return Boolean.TRUE;
        }
        if (model.endsWith(":latest") && m.containsKey(model.substring(0, model.length() - 7))) {
            return Boolean.TRUE;
        }
        return Boolean.FALSE;
    }

    /** Counts a request for {@code model} starting here (per endpoint x model in-flight). */
    public void modelStarted(String model) {
        if (model != null) {
            modelInFlight.computeIfAbsent(model, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    /** Pairs {@link #modelStarted}. */
    public void modelEnded(String model) {
        if (model != null) {
            AtomicInteger n = modelInFlight.get(model);
            if (n != null) {
                n.decrementAndGet();
            }
        }
    }

    /** Olla's in-flight requests here per model (models with none are left out). */
    public java.util.Map<String, Integer> modelInFlight() {
        java.util.Map<String, Integer> out = new java.util.TreeMap<>();
        modelInFlight.forEach((k, v) -> {
            int n = v.get();
            if (n > 0) {
                out.put(k, n);
            }
        });
        return out;
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
