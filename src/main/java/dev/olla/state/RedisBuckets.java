package dev.olla.state;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Rate-limit buckets shared through Redis (Bucket4j's Lettuce compare-and-swap buckets, keyed
 * {@code <prefix>rl:<key>|<capacity>/<per minute>}). While Redis is degraded, or when a check takes
 * longer than {@code command_timeout}, the decision is the local copy's ({@link MemoryBuckets}).
 */
final class RedisBuckets implements RateBuckets {
    private final RedisState redis;
    private final MemoryBuckets local;

    RedisBuckets(RedisState redis, MemoryBuckets local) {
        this.redis = redis;
        this.local = local;
    }

    /** The shared bucket, or null while Redis is not in use. */
    private AsyncBucketProxy shared(String key, int capacity, int perMinute) {
        AsyncProxyManager<String> manager = redis.bucketManager();
        if (manager == null) {
            return null;
        }
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(l -> l.capacity(capacity).refillGreedy(perMinute, Duration.ofMinutes(1))).build();
        return manager.builder().build(redis.keyPrefix() + "rl:" + key + "|" + capacity + "/" + perMinute,
                () -> CompletableFuture.completedFuture(config));
    }

    @Override
    public CompletableFuture<ConsumptionProbe> tryConsume(String key, int capacity, int perMinute) {
        CompletableFuture<ConsumptionProbe> f;
        try {
            AsyncBucketProxy b = shared(key, capacity, perMinute);
            if (b == null) {
                redis.decidedLocally();
                return local.tryConsume(key, capacity, perMinute);
            }
            f = b.tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(redis.timeout().toNanos(), TimeUnit.NANOSECONDS).handle((probe, e) -> {
            if (e == null && probe != null) {
                return probe;
            }
            redis.failed(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            redis.decidedLocally();
            return local.consume(key, capacity, perMinute);
        });
    }

    @Override
    public void refund(String key, int capacity, int perMinute) {
        try {
            AsyncBucketProxy b = shared(key, capacity, perMinute);
            if (b == null) {
                local.refund(key, capacity, perMinute);
            } else {
                b.addTokens(1).whenComplete((v, e) -> {
                    if (e != null) {
                        redis.failed(e);
                    }
                });
            }
        } catch (RuntimeException e) {
            redis.failed(e);
        }
    }
}
