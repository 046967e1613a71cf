package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import java.util.Locale;

/**
 * The clocks of one {@link Attempt}: which deadline applies in its current phase (asked by the loop's
 * {@code Deadlines} sweep) and, once one has passed, how the attempt ends and why, in words.
 * {@code proxy.response_header_timeout} bounds the wait for a head (and for a connection slot),
 * {@code proxy.read_timeout} the silence between reads (suspended while backpressure pauses them),
 * {@code server.write_timeout} a client that stays unwritable, {@code proxy.response_timeout} the whole
 * response, and the {@link StreamGuard} its first token (and sends its keep-alives). Event loop only.
 */
final class AttemptTimeouts {
    /** How an attempt ends on a deadline, and why. */
    record Expiry(Outcome outcome, String reason) {
    }

    private final String endpoint;
    private final int maxConnections;
    private final StreamGuard guard;
    private final long startNanos;
    private final long headTimeout;
    private final long readTimeout;
    private final long responseTimeout;
    private final long writeStall;
    private final long totalDeadline;
    private long headDeadline = Long.MAX_VALUE;
    private long lastReadNanos;
    private long pausedNanos;

    AttemptTimeouts(OllaConfig.Proxy cfg, long writeStallNanos, StreamGuard guard, String endpoint, int maxConnections,
            long startNanos) {
        this.endpoint = endpoint;
        this.maxConnections = maxConnections;
        this.guard = guard;
        this.startNanos = startNanos;
        this.headTimeout = cfg.responseHeaderTimeout().toNanos();
        this.readTimeout = cfg.readTimeout().toNanos();
        this.responseTimeout = cfg.responseTimeout().toNanos();
        this.writeStall = writeStallNanos;
        this.totalDeadline = responseTimeout > 0 ? startNanos + responseTimeout : Long.MAX_VALUE;
    }

    long startNanos() {
        return startNanos;
    }

    /** The wait for a head (or a connection slot) starts now. */
    void armHead() {
        headDeadline = headTimeout > 0 ? System.nanoTime() + headTimeout : Long.MAX_VALUE;
    }

    /** The backend was heard from (or the pause that kept it silent was ours) at {@code now}. */
    void read(long now) {
        lastReadNanos = now;
    }

    /** Backpressure paused the backend's reads at {@code now}. */
    void paused(long now) {
        pausedNanos = now;
    }

    /**
     * The earliest deadline that applies: {@code beforeHead} while connecting or waiting for the head,
     * {@code paused} while backpressure holds reads, {@code beforeFirstToken} while nothing reached the client.
     */
    long due(boolean beforeHead, boolean paused, boolean beforeFirstToken) {
        long due = totalDeadline;
        if (beforeHead) {
            due = Math.min(due, headDeadline);
        } else if (paused) {
            if (writeStall > 0) {
                due = Math.min(due, pausedNanos + writeStall);
            }
        } else if (readTimeout > 0) {
            due = Math.min(due, lastReadNanos + readTimeout);
        }
        if (guard != null && beforeFirstToken) {
            due = Math.min(due, guard.due(startNanos));
        }
        return due;
    }

    /**
     * What ends the attempt at {@code now}, or null for nothing yet (a keep-alive may have been sent).
     * {@code waitingForSlot}: no connection yet, the endpoint is at proxy.max_connections_per_endpoint.
     */
    Expiry expired(boolean beforeHead, boolean waitingForSlot, boolean paused, boolean beforeFirstToken, long now) {
        if (guard != null && beforeFirstToken && guard.reached(startNanos, now)) {
            return new Expiry(Outcome.NO_FIRST_TOKEN, "backend timeout: endpoint " + endpoint + " sent no content within "
                    + seconds(guard.firstTokenNanos()) + " (proxy.first_token_timeout)");
        }
        if (now >= totalDeadline) {
            return new Expiry(beforeHead ? Outcome.HEAD_TIMEOUT : Outcome.BODY_TIMEOUT,
                    "backend timeout: endpoint " + endpoint + " did not complete the response within "
                            + seconds(responseTimeout) + " (proxy.response_timeout)");
        }
        if (beforeHead && now >= headDeadline) {
            return new Expiry(Outcome.HEAD_TIMEOUT, waitingForSlot
                    ? "backend timeout: all " + maxConnections + " connections to endpoint " + endpoint
                            + " stayed busy for " + seconds(headTimeout)
                            + " (proxy.max_connections_per_endpoint, proxy.response_header_timeout)"
                    : "backend timeout: no response from endpoint " + endpoint + " within " + seconds(headTimeout)
                            + " (proxy.response_header_timeout)");
        }
        if (beforeHead) {
            return null;
        }
        if (paused && writeStall > 0 && now - pausedNanos >= writeStall) {
            return new Expiry(Outcome.CLIENT_STALLED, "client stopped reading: nothing could be written to it for "
                    + seconds(writeStall) + " (server.write_timeout)");
        }
        if (!paused && readTimeout > 0 && now - lastReadNanos >= readTimeout) {
            return new Expiry(Outcome.BODY_TIMEOUT, "backend timeout: endpoint " + endpoint
                    + " stopped responding - no data for " + seconds(readTimeout) + " (proxy.read_timeout)");
        }
        return null;
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
    }
}
