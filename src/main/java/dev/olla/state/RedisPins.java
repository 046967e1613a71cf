package dev.olla.state;

import java.time.Duration;

/**
 * Pins read from the local store only; written through to Redis (with the idle TTL as expiry,
 * 24 h when the TTL is 0) and announced to the other instances. A hit refreshes the expiry in
 * Redis at most once per quarter TTL.
 */
final class RedisPins implements PinStore {
    final MemoryPins local;
    private final RedisState redis;
    private final long ttlSeconds;
    private final long touchEveryNanos;

    RedisPins(RedisState redis, MemoryPins local, Duration idleTtl) {
        this.redis = redis;
        this.local = local;
        this.ttlSeconds = idleTtl == null || idleTtl.toSeconds() <= 0 ? 86_400 : idleTtl.toSeconds();
        this.touchEveryNanos = Duration.ofSeconds(ttlSeconds).toNanos() / 4;
    }

    @Override
    public String get(String key) {
        String k = key.replace('\t', ' ');
        MemoryPins.Pin p = local.cache.getIfPresent(k);
        if (p == null) {
            return null;
        }
        long now = System.nanoTime();
        if (now - p.syncedNanos() > touchEveryNanos && !redis.degraded()) {
            local.cache.put(k, new MemoryPins.Pin(p.endpoint(), now));
            redis.touchPin(k, ttlSeconds);
        }
        return p.endpoint();
    }

    @Override
    public void put(String key, String endpoint) {
        String k = key.replace('\t', ' ');
        local.put(k, endpoint);
        redis.storePin(k, endpoint, ttlSeconds);
    }

    @Override
    public long size() {
        return local.size();
    }

    @Override
    public long evictions() {
        return local.evictions();
    }
}
