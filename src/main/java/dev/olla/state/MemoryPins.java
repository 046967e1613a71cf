package dev.olla.state;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** Pins in this process: a Caffeine LRU with a sliding idle expiry (0 = none). */
class MemoryPins implements PinStore {
    /** A pin and when it was last written to (or refreshed in) the shared store, in nanos. */
    record Pin(String endpoint, long syncedNanos) {}

    final Cache<String, Pin> cache;
    private final LongAdder evictions = new LongAdder();

    MemoryPins(int maxPins, Duration idleTtl) {
        Caffeine<Object, Object> b = Caffeine.newBuilder().maximumSize(Math.max(1, maxPins))
                .removalListener((Object k, Object v, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                });
        if (idleTtl != null && !idleTtl.isZero() && !idleTtl.isNegative()) {
            b.expireAfterAccess(idleTtl);
        }
        this.cache = b.build();
    }

    @Override
    public String get(String key) {
        Pin p = cache.getIfPresent(key);
        return p == null ? null : p.endpoint();
    }

    @Override
    public void put(String key, String endpoint) {
        cache.put(key, new Pin(endpoint, System.nanoTime()));
    }

    /** Stores a pin learned from another instance or from a resync. */
    void putLocal(String key, String endpoint) {
        cache.put(key, new Pin(endpoint, System.nanoTime()));
    }

    @Override
    public long size() {
        return cache.estimatedSize();
    }

    @Override
    public long evictions() {
        return evictions.sum();
    }
}
