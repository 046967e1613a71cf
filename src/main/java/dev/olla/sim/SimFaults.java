package dev.olla.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A thread-safe switchboard of faults for one {@link SimulatedBackend}; every switch takes effect for the next
 * request (or immediately, for {@link #refuseConnections(boolean)}) while the backend runs. Setters return
 * {@code this} for chaining; the no-argument overloads read the current value.
 */
public final class SimFaults {
    private volatile int httpError;
    private volatile int healthStatus;
    private volatile Duration firstByteDelay = Duration.ZERO;
    private volatile int dropAfterTokens = -1;
    private volatile boolean refuseConnections;
    private volatile boolean garbageModels;
    private final Consumer<Boolean> refuseHook;

    SimFaults(Consumer<Boolean> refuseHook) {
        this.refuseHook = refuseHook;
    }

    /**
     * Every API request (any route that is not a {@linkplain SimFlavor#isHealthRoute(String) health route})
     * answers this HTTP status with an error body in the flavour's style; 0 turns it off.
     */
    public SimFaults httpError(int status) {
        checkStatus(status);
        this.httpError = status;
        return this;
    }

    /** The current {@link #httpError(int)} status, 0 if off. */
    public int httpError() {
        return httpError;
    }

    /** Health routes answer this HTTP status (with the flavour's error body); 0 = normal. */
    public SimFaults healthStatus(int status) {
        checkStatus(status);
        this.healthStatus = status;
        return this;
    }

    /** The current {@link #healthStatus(int)}, 0 if normal. */
    public int healthStatus() {
        return healthStatus;
    }

    /** Delay before the response headers of every request (health included); zero = off. */
    public SimFaults firstByteDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay");
        }
        this.firstByteDelay = delay;
        return this;
    }

    /** The current {@link #firstByteDelay(Duration)}. */
    public Duration firstByteDelay() {
        return firstByteDelay;
    }

    /**
     * Streaming responses close the connection abruptly (no terminating chunk) right after {@code n} tokens
     * (0 = right after the headers); -1 = off.
     */
    public SimFaults dropAfterTokens(int n) {
        if (n < -1) {
            throw new IllegalArgumentException("dropAfterTokens must be >= -1");
        }
        this.dropAfterTokens = n;
        return this;
    }

    /** The current {@link #dropAfterTokens(int)}, -1 if off. */
    public int dropAfterTokens() {
        return dropAfterTokens;
    }

    /**
     * {@code true} unbinds the listening socket, so new connections are refused, and closes the connections
     * already open (like a stopped process); {@code false} binds the same port again. Returns once done.
     *
     * @throws IllegalStateException if the port cannot be bound again
     */
    public SimFaults refuseConnections(boolean refuse) {
        synchronized (this) {
            this.refuseConnections = refuse;
            refuseHook.accept(refuse);
        }
        return this;
    }

    /** Whether connections are currently refused. */
    public boolean refuseConnections() {
        return refuseConnections;
    }

    /** Model-list routes answer 200 with a body that is not valid JSON. */
    public SimFaults garbageModels(boolean garbage) {
        this.garbageModels = garbage;
        return this;
    }

    /** Whether {@link #garbageModels(boolean)} is on. */
    public boolean garbageModels() {
        return garbageModels;
    }

    /** Turns every fault off (and binds the port again if connections were refused). */
    public SimFaults reset() {
        httpError = 0;
        healthStatus = 0;
        firstByteDelay = Duration.ZERO;
        dropAfterTokens = -1;
        garbageModels = false;
        if (refuseConnections) {
            refuseConnections(false);
        }
        return this;
    }

    private static void checkStatus(int status) {
        if (status != 0 && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
    }

    @Override
    public String toString() {
        return "SimFaults[httpError=" + httpError + ", healthStatus=" + healthStatus + ", firstByteDelay=" + firstByteDelay
                + ", dropAfterTokens=" + dropAfterTokens + ", refuseConnections=" + refuseConnections
                + ", garbageModels=" + garbageModels + "]";
    }
}
