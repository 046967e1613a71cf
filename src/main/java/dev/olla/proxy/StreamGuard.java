package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.server.Exchange;

/**
 * What a streamed request gets until its first content chunk, across all its attempts: whether the
 * response is held ({@code proxy.hold_first_token}, by {@link FirstTokenGate}), the
 * {@code proxy.first_token_timeout} of each attempt, and {@code : keep-alive} SSE comments every
 * {@code proxy.sse_keepalive_interval} (SSE routes only; the first one commits {@code 200
 * text/event-stream} through {@link Exchange#commitEventStream}, as the admission queue does).
 * No timer of its own: the attempt's entry in the loop's {@code Deadlines} sweep asks {@link #due}
 * and calls {@link #reached}. One per request (null when neither applies); event loop only.
 */
final class StreamGuard {
    private final Exchange ex;
    private final ProxyStats stats;
    private final boolean hold;
    private final long firstTokenNanos;
    private final long keepAliveNanos;
    private long nextKeepAlive;

    private StreamGuard(Exchange ex, ProxyStats stats, boolean hold, long firstTokenNanos, long keepAliveNanos,
            long startNanos) {
        this.ex = ex;
        this.stats = stats;
        this.hold = hold;
        this.firstTokenNanos = firstTokenNanos;
        this.keepAliveNanos = keepAliveNanos;
        this.nextKeepAlive = keepAliveNanos > 0 ? startNanos + keepAliveNanos : Long.MAX_VALUE;
    }

    /**
     * The guard of a request, or null when nothing applies.
     *
     * @param rest   the backend path
     * @param stream the body's {@code stream} flag (null: absent)
     * @param sse    whether the client reads server-sent events (not an NDJSON route)
     */
    static StreamGuard of(Exchange ex, ProxyStats stats, OllaConfig.Proxy cfg, String rest, Boolean stream,
            boolean ndjson, long startNanos) {
        // Ollama's native generation streams unless told not to; everything else only when asked.
        boolean streamed = Boolean.TRUE.equals(stream) || (ndjson && stream == null);
        if (!streamed || !generation(rest)) {
            return null;
        }
        boolean hold = cfg.holdFirstToken();
        // proxy.profile: standard sends every answer whole: no event stream to keep alive
        long keepAlive = !ndjson && cfg.profile() != OllaConfig.ProxyProfile.STANDARD && cfg.sseKeepaliveInterval() != null
                ? cfg.sseKeepaliveInterval().toNanos() : 0;
        if (!hold && keepAlive <= 0) {
            return null;
        }
        long firstToken = hold && cfg.firstTokenTimeout() != null ? cfg.firstTokenTimeout().toNanos() : 0;
        return new StreamGuard(ex, stats, hold, firstToken, keepAlive, startNanos);
    }

    /** Chat, completions and generation paths (OpenAI, Ollama, Anthropic Messages). */
    static boolean generation(String rest) {
        return rest.endsWith("/chat/completions") || rest.endsWith("/completions") || rest.endsWith("/api/chat")
                || rest.endsWith("/api/generate") || rest.endsWith("/messages");
    }

    /** Whether the response is held until its first content chunk (and failed over before it). */
    boolean holds() {
        return hold;
    }

    /** The earliest moment this guard needs the sweep, for an attempt started at {@code attemptStart}. */
    long due(long attemptStart) {
        long due = nextKeepAlive;
        if (firstTokenNanos > 0) {
            due = Math.min(due, attemptStart + firstTokenNanos);
        }
        return due;
    }

    /**
     * Sends a keep-alive when one is due; true when the attempt's first token is overdue (the caller
     * fails the attempt over).
     */
    boolean reached(long attemptStart, long now) {
        if (now - nextKeepAlive >= 0) {
            nextKeepAlive = now + keepAliveNanos;
            if (ex.isOpen()) {
                ex.commitEventStream();
                ex.sendComment("keep-alive");
                stats.recordKeepAlive();
            }
        }
        return firstTokenNanos > 0 && now - (attemptStart + firstTokenNanos) >= 0;
    }

    long firstTokenNanos() {
        return firstTokenNanos;
    }
}
