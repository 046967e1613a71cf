package dev.olla.state;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Buckets in this process; idle ones are dropped after {@code idleExpiry}. */
final class MemoryBuckets implements RateBuckets {
    private final Cache<String, Bucket> buckets;

    MemoryBuckets(Duration idleExpiry) {
        Duration idle = idleExpiry == null || idleExpiry.isZero() || idleExpiry.isNegative()
                ? Duration.ofMinutes(10) : idleExpiry;
        this.buckets = Caffeine.newBuilder().expireAfterAccess(idle).maximumSize(1_000_000).build();
    }

    static Bucket bucket(int capacity, int perMinute) {
        return Bucket.builder()
                .addLimit(l -> l.capacity(capacity).refillGreedy(perMinute, Duration.ofMinutes(1)))
                .build();
    }

    private Bucket of(String key, int capacity, int perMinute) {
        return buckets.get(key + "|" + capacity + "/" + perMinute, k -> bucket(capacity, perMinute));
    }

    ConsumptionProbe consume(String key, int capacity, int perMinute) {
        return of(key, capacity, perMinute).tryConsumeAndReturnRemaining(1);
    }

    @Override
    public void refund(String key, int capacity, int perMinute) {
        of(key, capacity, perMinute).addTokens(1);
    }

    @Override
    public CompletableFuture<ConsumptionProbe> tryConsume(String key, int capacity, int perMinute) {
        return CompletableFuture.completedFuture(consume(key, capacity, perMinute));
    }
}
