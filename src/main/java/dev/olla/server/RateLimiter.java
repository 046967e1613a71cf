package dev.olla.server;

import dev.olla.config.OllaConfig;
import dev.olla.state.MemoryState;
import dev.olla.state.RateBuckets;
import io.github.bucket4j.ConsumptionProbe;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * {@code server.rate_limits}: token buckets (Bucket4j) for the whole server and per client IP, with
 * a separate per-IP budget for the health endpoint. Each bucket holds {@code burst_size} tokens and
 * refills at its requests-per-minute rate; a limit of 0 turns that check off. Idle per-IP buckets
 * are dropped after {@code cleanup_interval}. The client is {@link Exchange#clientIp()} (see
 * {@link ClientAddress}: the peer, or what trusted proxies reported). Response headers describe the
 * per-IP limit, or the global one when the per-IP limit is off. The buckets live in the shared
 * state's {@link RateBuckets}, so with {@code state.type: redis} a limit holds across all instances.
 */
public final class RateLimiter {
    /** The outcome of one check; {@code limit} 0 = no per-IP limit applied (no headers). */
    public record Decision(boolean allowed, int limit, long remaining, long resetEpochSeconds, long retryAfterSeconds) {
        public static final Decision UNLIMITED = new Decision(true, 0, 0, 0, 0);
    }

    private static final String GLOBAL = "global";

    private final OllaConfig.RateLimits config;
    private final int globalPerMinute;
    private final int perIpPerMinute;
    private final int healthPerMinute;
    private final int burst;
    private final RateBuckets buckets;

    public RateLimiter(OllaConfig.RateLimits cfg) {
        this(cfg, null);
    }

    /** Buckets in {@code buckets} (null: in this process). */
    public RateLimiter(OllaConfig.RateLimits cfg, RateBuckets buckets) {
        this.config = cfg;
        this.globalPerMinute = Math.max(0, cfg.globalRequestsPerMinute());
        this.perIpPerMinute = Math.max(0, cfg.perIpRequestsPerMinute());
        this.healthPerMinute = Math.max(0, cfg.healthRequestsPerMinute());
        this.burst = cfg.burstSize();
        this.buckets = buckets != null ? buckets : new MemoryState().rateBuckets(cfg.cleanupInterval());
    }

    /** The configuration this was built from (a reload keeps the buckets when it is unchanged). */
    public OllaConfig.RateLimits config() {
        return config;
    }

    /** Whether any limit is on (when none is, requests skip the limiter entirely). */
    public boolean enabled() {
        return globalPerMinute > 0 || perIpPerMinute > 0 || healthPerMinute > 0;
    }

    /** burst_size 0 would make a bucket that never admits anything: fall back to the per-minute rate. */
    private int capacity(int perMinute) {
        return burst > 0 ? burst : perMinute;
    }

    /**
     * Checks and counts one request; {@code health} selects the health budget (the global limit
     * applies to proxy requests only). The client's own bucket is asked first, so a request it
     * refuses spends no global token; a request the global bucket refuses gets its client token back.
     * Completes at once for local buckets, within the Redis command timeout for shared ones; never
     * exceptionally.
     */
    public CompletableFuture<Decision> check(Exchange ex, boolean health) {
        int limit = health ? healthPerMinute : perIpPerMinute;
        boolean global = !health && globalPerMinute > 0;
        if (limit <= 0 && !global) {
            return CompletableFuture.completedFuture(Decision.UNLIMITED);
        }
        String key = health ? "ip:" + ex.clientIp() + ":health" : "ip:" + ex.clientIp();
        if (limit <= 0) {
            return buckets.tryConsume(GLOBAL, capacity(globalPerMinute), globalPerMinute)
                    .thenApply(gp -> gp.isConsumed() ? allowed(globalPerMinute, gp) : refused(globalPerMinute, gp));
        }
        return buckets.tryConsume(key, capacity(limit), limit).thenCompose(p -> {
            if (!p.isConsumed()) {
                return CompletableFuture.completedFuture(refused(limit, p));
            }
            if (!global) {
                return CompletableFuture.completedFuture(allowed(limit, p));
            }
            return buckets.tryConsume(GLOBAL, capacity(globalPerMinute), globalPerMinute).thenApply(gp -> {
                if (!gp.isConsumed()) {
                    buckets.refund(key, capacity(limit), limit);
                    return refused(limit, gp);
                }
                return allowed(limit, p);
            });
        });
    }

    private static Decision refused(int limit, ConsumptionProbe p) {
        long now = System.currentTimeMillis() / 1000;
        long wait = Math.max(1, (p.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        return new Decision(false, limit, 0, now + wait, wait);
    }

    private Decision allowed(int limit, ConsumptionProbe p) {
        long now = System.currentTimeMillis() / 1000;
        long perTokenNanos = Duration.ofMinutes(1).toNanos() / limit;
        int capacity = capacity(limit);
        long toFull = (capacity - p.getRemainingTokens()) * perTokenNanos / 1_000_000_000L;
        return new Decision(true, limit, p.getRemainingTokens(), now + Math.max(1, toFull), 0);
    }

    /** Sets the {@code X-RateLimit-*} headers (and {@code Retry-After} when refused). */
    static void headers(HttpHeaders h, Decision d) {
        if (d.limit() <= 0) {
            return;
        }
        h.set("X-RateLimit-Limit", d.limit());
        h.set("X-RateLimit-Remaining", d.remaining());
        h.set("X-RateLimit-Reset", d.resetEpochSeconds());
        if (!d.allowed()) {
            h.set("Retry-After", d.retryAfterSeconds());
        }
    }
}
