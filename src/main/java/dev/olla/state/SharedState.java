package dev.olla.state;

import dev.olla.config.OllaConfig;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * State that several Olla instances behind one balancer must agree on: sticky-session pins,
 * rate-limit buckets and endpoint observations (a passive failure or recovery one instance saw).
 * {@link MemoryState} keeps it in this process (the default, one instance); {@link RedisState}
 * shares it through Redis or Valkey and falls back to the local copy while Redis is unreachable.
 * Nothing here ever blocks the caller on the network: reads are local, writes and rate-limit
 * checks complete asynchronously within {@code state.redis.command_timeout}.
 */
public interface SharedState extends AutoCloseable {

    /** A pin store for sticky sessions: at most {@code maxPins} local entries idle for {@code idleTtl}. */
    PinStore pins(int maxPins, Duration idleTtl);

    /** Rate-limit buckets shared by every instance (local while Redis is unreachable). */
    RateBuckets rateBuckets(Duration idleExpiry);

    /** Tells the other instances what this one saw happen to an endpoint (no-op for memory). */
    void publish(Observation observation);

    /** Receives what the other instances saw (never this instance's own observations). */
    void onObservation(Consumer<Observation> listener);

    /** This instance's id in observations and pins (random per process). */
    String instanceId();

    /** The {@code state} block of {@code /internal/status}: type, connected, degraded, counters. */
    Map<String, Object> status();

    @Override
    void close();

    static SharedState create(OllaConfig.State cfg) {
        if (cfg != null && cfg.redisEnabled()) {
            return new RedisState(cfg.redis());
        }
        return new MemoryState();
    }
}
