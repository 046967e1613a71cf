package dev.olla.state;

import io.github.bucket4j.ConsumptionProbe;
import java.util.concurrent.CompletableFuture;

/** Token buckets by key; {@code capacity} tokens refilled at {@code perMinute} (Bucket4j). */
public interface RateBuckets {
    /**
     * Takes one token from the bucket {@code key}. Completes at once for local buckets; for shared
     * ones within the Redis command timeout (falling back to a local bucket), never exceptionally.
     */
    CompletableFuture<ConsumptionProbe> tryConsume(String key, int capacity, int perMinute);

    /** Gives one token back (a request another bucket refused after this one counted it). */
    void refund(String key, int capacity, int perMinute);
}
