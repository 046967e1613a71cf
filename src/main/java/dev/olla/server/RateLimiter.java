package dev.olla.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.olla.config.OllaConfig;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;

/**
 * {@code server.rate_limits}: token buckets (Bucket4j) for the whole server and per client IP, with
 * a separate per-IP budget for the health endpoint. Each bucket holds {@code burst_size} tokens and
 * refills at its requests-per-minute rate; a limit of 0 turns that check off. Idle per-IP buckets
 * are dropped after {@code cleanup_interval}. The client is {@link Exchange#clientIp()} (see
 * {@link ClientAddress}: the peer, or what trusted proxies reported). Response headers describe the
 * per-IP limit, or the global one when the per-IP limit is off.
 */
public final class RateLimiter {
    /** The outcome of one check; {@code limit} 0 = no per-IP limit applied (no headers). */
    public record Decision(boolean allowed, int limit, long remaining, long resetEpochSeconds, long retryAfterSeconds) {
        static final Decision UNLIMITED = new Decision(true, 0, 0, 0, 0);
    }

    private final int globalPerMinute;
    private final int perIpPerMinute;
    private final int healthPerMinute;
    private final int burst;
    private final Bucket global;
    private final Cache<String, Bucket> perIp;

    public RateLimiter(OllaConfig.RateLimits cfg) {
        this.globalPerMinute = Math.max(0, cfg.globalRequestsPerMinute());
        this.perIpPerMinute = Math.max(0, cfg.perIpRequestsPerMinute());
        this.healthPerMinute = Math.max(0, cfg.healthRequestsPerMinute());
        this.burst = cfg.burstSize();
        this.global = globalPerMinute > 0 ? bucket(globalPerMinute) : null;
        Duration idle = cfg.cleanupInterval() == null || cfg.cleanupInterval().isZero()
                ? Duration.ofMinutes(10) : cfg.cleanupInterval();
        this.perIp = Caffeine.newBuilder().expireAfterAccess(idle).maximumSize(1_000_000).build();
    }

    /** Whether any limit is on (when none is, requests skip the limiter entirely). */
    public boolean enabled() {
        return globalPerMinute > 0 || perIpPerMinute > 0 || healthPerMinute > 0;
    }

    private Bucket bucket(int perMinute) {
        // burst_size 0 would make a bucket that never admits anything: fall back to the per-minute rate.
        int capacity = burst > 0 ? burst : perMinute;
        return Bucket.builder().addLimit(l -> l.capacity(capacity).refillGreedy(perMinute, Duration.ofMinutes(1)))
                .build();
    }

    /**
     * Checks and counts one request; {@code health} selects the health budget (the global limit
     * applies to proxy requests only). The client's own bucket is asked first, so a request it
     * refuses spends no global token; a request the global bucket refuses gets its client token back.
     */
    public Decision check(Exchange ex, boolean health) {
        int limit = health ? healthPerMinute : perIpPerMinute;
        Bucket g = health ? null : global;
        if (limit <= 0 && g == null) {
            return Decision.UNLIMITED;
        }
        long now = System.currentTimeMillis() / 1000;
        Bucket own = null;
        ConsumptionProbe p = null;
        if (limit > 0) {
            own = perIp.get(health ? ex.clientIp() + ":health" : ex.clientIp(), k -> bucket(limit));
            p = own.tryConsumeAndReturnRemaining(1);
            if (!p.isConsumed()) {
                return refused(limit, now, p);
            }
        }
        if (g != null) {
            ConsumptionProbe gp = g.tryConsumeAndReturnRemaining(1);
            if (!gp.isConsumed()) {
                if (own != null) {
                    own.addTokens(1);
                }
                return refused(limit > 0 ? limit : globalPerMinute, now, gp);
            }
            if (p == null) {
                return allowed(globalPerMinute, now, gp);
            }
        }
        return allowed(limit, now, p);
    }

    private static Decision refused(int limit, long now, ConsumptionProbe p) {
        long wait = Math.max(1, (p.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        return new Decision(false, limit, 0, now + wait, wait);
    }

    private Decision allowed(int limit, long now, ConsumptionProbe p) {
        long perTokenNanos = Duration.ofMinutes(1).toNanos() / limit;
        int capacity = burst > 0 ? burst : limit;
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
