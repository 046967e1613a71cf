package dev.olla.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.olla.config.Cidr;
import dev.olla.config.OllaConfig;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code server.rate_limits}: token buckets (Bucket4j) for the whole server and per client IP, with
 * a separate per-IP budget for the health endpoint. Each bucket holds {@code burst_size} tokens and
 * refills at its requests-per-minute rate; a limit of 0 turns that check off. Idle per-IP buckets
 * are dropped after {@code cleanup_interval}. The client IP is the socket peer, or the first
 * {@code X-Forwarded-For} entry / {@code X-Real-IP} when {@code trust_proxy_headers} is on and the
 * peer is in {@code trusted_proxy_cidrs}.
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
    private final boolean trustProxyHeaders;
    private final List<Cidr> trusted;
    private final Bucket global;
    private final Cache<String, Bucket> perIp;

    public RateLimiter(OllaConfig.RateLimits cfg) {
        this.globalPerMinute = Math.max(0, cfg.globalRequestsPerMinute());
        this.perIpPerMinute = Math.max(0, cfg.perIpRequestsPerMinute());
        this.healthPerMinute = Math.max(0, cfg.healthRequestsPerMinute());
        this.burst = cfg.burstSize();
        this.trustProxyHeaders = cfg.trustProxyHeaders();
        List<Cidr> cidrs = new ArrayList<>();
        if (cfg.trustedProxyCidrs() != null) {
            for (String c : cfg.trustedProxyCidrs()) {
                cidrs.add(Cidr.parse(c));
            }
        }
        this.trusted = List.copyOf(cidrs);
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

    /** Checks and counts one request; {@code health} selects the health budget. */
    public Decision check(Exchange ex, boolean health) {
        int limit = health ? healthPerMinute : perIpPerMinute;
        if (limit <= 0) {
            return Decision.UNLIMITED;
        }
        long now = System.currentTimeMillis() / 1000;
        if (!health && global != null) {
            ConsumptionProbe g = global.tryConsumeAndReturnRemaining(1);
            if (!g.isConsumed()) {
                long wait = Math.max(1, (g.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
                return new Decision(false, limit, 0, now + wait, wait);
            }
        }
        String ip = clientIp(ex);
        String key = health ? ip + ":health" : ip;
        Bucket b = perIp.get(key, k -> bucket(limit));
        ConsumptionProbe p = b.tryConsumeAndReturnRemaining(1);
        long perTokenNanos = Duration.ofMinutes(1).toNanos() / limit;
        if (!p.isConsumed()) {
            long wait = Math.max(1, (p.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
            return new Decision(false, limit, 0, now + wait, wait);
        }
        int capacity = burst > 0 ? burst : limit;
        long toFull = (capacity - p.getRemainingTokens()) * perTokenNanos / 1_000_000_000L;
        return new Decision(true, limit, p.getRemainingTokens(), now + Math.max(1, toFull), 0);
    }

    /** The client's IP for rate limiting (proxy headers only from trusted peers). */
    String clientIp(Exchange ex) {
        String peer = ex.clientIp();
        if (!trustProxyHeaders || !trustedPeer(ex)) {
            return peer;
        }
        HttpHeaders h = ex.requestHeaders();
        String xff = h.get("X-Forwarded-For");
        if (xff != null && !xff.isBlank()) {
            int comma = xff.indexOf(',');
            String first = (comma < 0 ? xff : xff.substring(0, comma)).trim();
            if (!first.isEmpty()) {
                return first;
            }
        }
        String real = h.get("X-Real-IP");
        return real != null && !real.isBlank() ? real.trim() : peer;
    }

    private boolean trustedPeer(Exchange ex) {
        InetAddress addr = ex.remoteAddress().getAddress();
        for (Cidr c : trusted) {
            if (c.contains(addr)) {
                return true;
            }
        }
        return false;
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
