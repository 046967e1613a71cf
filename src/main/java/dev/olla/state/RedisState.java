package dev.olla.state;

import dev.olla.config.OllaConfig;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code state.type: redis}: pins, rate-limit buckets and observations shared through Redis or
 * Valkey (Lettuce, asynchronous; Bucket4j's Lettuce compare-and-swap buckets).
 *
 * <p>Local first: every instance keeps its pins in memory and reads only memory; a new pin is
 * written to Redis ({@code <prefix>pin:<key>}, expiring after the idle TTL) and announced on the
 * {@code <prefix>events} channel so the other instances have it before their next request. Rate
 * checks go to Redis and wait at most {@code command_timeout}. Any failure or timeout switches to
 * the local copy (one warning, {@code degraded} in the status); a probe every {@code retry_interval}
 * notices when Redis is back, reloads the pins it holds and switches back (one info line).
 */
public final class RedisState implements SharedState {
    private static final Logger LOG = LoggerFactory.getLogger(RedisState.class);
    private static final int RESYNC_MAX = 100_000;

    private final String prefix;
    private final String channel;
    private final String where;
    private final Duration timeout;
    private final Duration retry;
    private final String instanceId = Instances.newId();
    /** The echo the probe waits for: its own message back on the events channel (see {@link #subscribed}). */
    private volatile CompletableFuture<Void> echo;
    private volatile String echoNonce;
    private final ClientResources resources;
    private final RedisClient client;
    private final ScheduledExecutorService scheduler;
    private final List<Consumer<Observation>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean degraded = new AtomicBoolean(true);
    private final AtomicBoolean probing = new AtomicBoolean();
    private final LongAdder outages = new LongAdder();
    private final LongAdder localDecisions = new LongAdder();
    private final LongAdder published = new LongAdder();
    private final LongAdder received = new LongAdder();
    private volatile Instant degradedSince = Instant.now();
    private volatile String lastError = "not connected yet";
    private volatile StatefulRedisConnection<String, byte[]> conn;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile AsyncProxyManager<String> bucketManager;
    private volatile RedisPins pins;
    private volatile boolean closed;

    RedisState(OllaConfig.Redis cfg) {
        this.prefix = cfg.keyPrefix();
        this.channel = prefix + "events";
        this.timeout = cfg.commandTimeout();
        this.retry = cfg.retryInterval();
        RedisURI uri = RedisURI.create(cfg.url());
        if (cfg.password() != null) {
            if (cfg.username() != null && !cfg.username().isBlank()) {
                uri.setAuthentication(cfg.username(), cfg.password());
            } else {
                uri.setAuthentication(cfg.password());
            }
        }
        // The connection handshake may take up to connect_timeout; commands then get command_timeout.
        uri.setTimeout(cfg.connectTimeout());
        this.where = redact(cfg.url());
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1)
                .reconnectDelay(Delay.constant(retry)).build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(cfg.connectTimeout()).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout)).build());
        // A lost connection is an outage even when no command noticed it (an instance without traffic):
        // the subscriber may miss pins until it is back, so go local and let the probe confirm both
        // connections (and the subscription) and resync the pins.
        client.addListener(new io.lettuce.core.RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> connection) {
                failed(new IllegalStateException("connection lost"));
            }
        });
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "olla-state");
            t.setDaemon(true);
            return t;
        });
        // The first connection is tried now, bounded by connect_timeout; start-up goes on without it.
        probe();
        if (degraded.get()) {
            LOG.warn("state: Redis at {} unreachable ({}); using local state until it answers", where, lastError);
        }
        long every = retry.toMillis();
        scheduler.scheduleWithFixedDelay(this::probeIfDegraded, every, every, TimeUnit.MILLISECONDS);
    }

    /** The URL without any user info. */
    static String redact(String url) {
        try {
            URI u = URI.create(url);
            return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "")
                    + (u.getRawPath() == null ? "" : u.getRawPath());
        } catch (RuntimeException e) {
            return "redis";
        }
    }

    // ------------------------------------------------------------------ connection and health

    private void probeIfDegraded() {
        if (degraded.get() && !closed) {
            probe();
        }
    }

    /** Connects if needed and pings; on success resyncs pins and leaves degraded mode. Scheduler thread only. */
    private void probe() {
        if (!probing.compareAndSet(false, true)) {
            return;
        }
        try {
            if (conn == null) {
                StatefulRedisConnection<String, byte[]> c =
                        client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
                bucketManager = Bucket4jLettuce.casBasedBuilder(c)
                        .expirationAfterWrite(ExpirationAfterWriteStrategy
                                .basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                        .build().asAsync();
                conn = c;
            }
            if (pubsub == null) {
                StatefulRedisPubSubConnection<String, String> ps = client.connectPubSub(StringCodec.UTF8);
                ps.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String ch, String message) {
                        onMessage(message);
                    }
                });
                ps.sync().subscribe(channel);
                pubsub = ps;
            }
            conn.sync().ping();
            if (!pubsub.isOpen() || !subscribed()) {
                // the command connection is back but the subscriber is still reconnecting or not yet
                // subscribed again: a pin or an observation published now would be missed, so stay
                // local until both are up
                throw new IllegalStateException("Redis pub/sub subscription not yet re-established");
            }
            int n = resyncPins();
            if (degraded.compareAndSet(true, false)) {
                LOG.info("state: Redis at {} in use (prefix {}); {} pin(s) loaded", where, prefix, n);
            }
        } catch (RuntimeException e) {
            lastError = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } finally {
            probing.set(false);
        }
    }

    /**
     * Whether this instance's subscription to the events channel is live: a message it publishes comes
     * back to it. An open pub/sub connection is not enough: after a reconnect Lettuce subscribes again
     * asynchronously, and a pin announced before that would be missed. Scheduler thread only.
     */
    private boolean subscribed() {
        String nonce = Long.toHexString(System.nanoTime()) + Long.toHexString(Double.doubleToLongBits(Math.random()));
        CompletableFuture<Void> f = new CompletableFuture<>();
        echoNonce = nonce;
        echo = f;
        try {
            conn.sync().publish(channel, ("K\t" + instanceId + "\t" + nonce).getBytes(StandardCharsets.UTF_8));
            f.get(Math.max(timeout.toMillis(), 1000), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        } finally {
            echo = null;
        }
    }

    /** A command failed or timed out: use local state (one warning per outage) until the probe succeeds. */
    void failed(Throwable t) {
        if (closed) {
            return;
        }
        if (t != null) {
            lastError = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }
        if (degraded.compareAndSet(false, true)) {
            degradedSince = Instant.now();
            outages.increment();
            LOG.warn("state: Redis at {} failed ({}); using local state until it answers again", where, lastError);
        }
    }

    boolean degraded() {
        return degraded.get();
    }

    Duration timeout() {
        return timeout;
    }

    /** Reads every pin held in Redis into the local store (after a connect or an outage). */
    private int resyncPins() {
        RedisPins p = pins;
        if (p == null) {
            return 0;
        }
        RedisCommands<String, byte[]> sync = conn.sync();
        String pattern = prefix + "pin:*";
        int loaded = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = sync.scan(cursor, ScanArgs.Builder.matches(pattern).limit(500));
            if (!page.getKeys().isEmpty()) {
                for (KeyValue<String, byte[]> kv : sync.mget(page.getKeys().toArray(new String[0]))) {
                    if (kv.hasValue()) {
                        p.local.putLocal(kv.getKey().substring(prefix.length() + 4),
                                new String(kv.getValue(), StandardCharsets.UTF_8));
                        loaded++;
                    }
                }
            }
            cursor = page;
        } while (!cursor.isFinished() && loaded < RESYNC_MAX);
        return loaded;
    }

    private void onMessage(String message) {
        String[] f = message.split("\t", -1);
        if (f.length >= 3 && f[0].equals("K")) {
            // a probe's echo (see subscribed): only its sender waits for it
            CompletableFuture<Void> e = echo;
            if (e != null && f[1].equals(instanceId) && f[2].equals(echoNonce)) {
                e.complete(null);
            }
            return;
        }
        if (f.length < 2 || f[1].equals(instanceId)) {
            return;
        }
        received.increment();
        if (f[0].equals("P") && f.length >= 4) {
            RedisPins p = pins;
            if (p != null) {
                p.local.putLocal(f[2], f[3]);
            }
        } else if (f[0].equals("O")) {
            Observation o = Observation.decode(f);
            if (o != null) {
                for (Consumer<Observation> l : listeners) {
                    try {
                        l.accept(o);
                    } catch (RuntimeException e) {
                        LOG.warn("state: observation listener failed: {}", e.toString());
                    }
                }
            }
        }
    }

    /** Sends a message on the events channel (fire and forget). */
    void announce(String message) {
        StatefulRedisConnection<String, byte[]> c = conn;
        if (c == null || degraded.get()) {
            return;
        }
        published.increment();
        c.async().publish(channel, message.getBytes(StandardCharsets.UTF_8))
                .whenComplete((n, e) -> {
                    if (e != null) {
                        failed(e);
                    }
                });
    }

    /** Writes a pin with its expiry (fire and forget). */
    void storePin(String key, String endpoint, long ttlSeconds) {
        StatefulRedisConnection<String, byte[]> c = conn;
        if (c == null || degraded.get()) {
            return;
        }
        c.async().set(prefix + "pin:" + key, endpoint.getBytes(StandardCharsets.UTF_8), SetArgs.Builder.ex(ttlSeconds))
                .whenComplete((ok, e) -> {
                    if (e != null) {
                        failed(e);
                    }
                });
        announce("P\t" + instanceId + "\t" + key + "\t" + endpoint);
    }

    /** Extends a pin's expiry after a hit (fire and forget). */
    void touchPin(String key, long ttlSeconds) {
        StatefulRedisConnection<String, byte[]> c = conn;
        if (c != null && !degraded.get()) {
            c.async().expire(prefix + "pin:" + key, ttlSeconds).whenComplete((ok, e) -> {
                if (e != null) {
                    failed(e);
                }
            });
        }
    }

    // ------------------------------------------------------------------ SharedState

    @Override
    public PinStore pins(int maxPins, Duration idleTtl) {
        RedisPins p = new RedisPins(this, new MemoryPins(maxPins, idleTtl), idleTtl);
        pins = p;
        if (!degraded.get()) {
            scheduler.execute(() -> {
                try {
                    resyncPins();
                } catch (RuntimeException e) {
                    failed(e);
                }
            });
        }
        return p;
    }

    @Override
    public RateBuckets rateBuckets(Duration idleExpiry) {
        return new RedisBuckets(this, new MemoryBuckets(idleExpiry));
    }

    /** Bucket4j's proxy manager while Redis is in use; null while degraded (decide locally). */
    AsyncProxyManager<String> bucketManager() {
        AsyncProxyManager<String> manager = bucketManager;
        return manager == null || degraded.get() ? null : manager;
    }

    String keyPrefix() {
        return prefix;
    }

    /** A rate check decided by the local copy (Redis degraded or too slow). */
    void decidedLocally() {
        localDecisions.increment();
    }

    @Override
    public void publish(Observation o) {
        announce(o.encode());
    }

    @Override
    public void onObservation(Consumer<Observation> listener) {
        listeners.add(listener);
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    @Override
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "redis");
        m.put("url", where);
        m.put("key_prefix", prefix);
        m.put("instance", instanceId);
        boolean down = degraded.get();
        m.put("connected", !down);
        m.put("degraded", down);
        if (down) {
            m.put("degraded_since", degradedSince.toString());
            m.put("last_error", lastError);
        }
        m.put("outages", outages.sum());
        m.put("local_rate_decisions", localDecisions.sum());
        m.put("messages_published", published.sum());
        m.put("messages_received", received.sum());
        RedisPins p = pins;
        m.put("pins_local", p == null ? 0 : p.size());
        return m;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        List<AutoCloseable> toClose = new ArrayList<>();
        if (pubsub != null) {
            toClose.add(pubsub);
        }
        if (conn != null) {
            toClose.add(conn);
        }
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }
}
