package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;
import dev.olla.server.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keep-alive connections to backends. Connections live on the event loop of the client request
 * that opened them and are only handed to requests on that same loop, so a client connection and
 * its backend connection share one thread and the pool needs no locks (each loop has its own idle
 * deques, touched only from that loop). Idle connections are reused most-recent-first and dropped
 * after the keep-alive time (by a sweep on each loop, not only when reused) or when the backend
 * closes them.
 *
 * <p>Open connections per key (endpoint, or host:port for sherpa) are capped
 * ({@code proxy.max_connections_per_endpoint}): an attempt that finds no free slot waits in a
 * first-come queue ({@link #awaitSlot}); a slot frees when any connection of the key closes, and an
 * idle connection on another loop is closed to make room for a waiter.
 */
final class ChannelPool {
    /**
     * @param perEndpoint   one pool per endpoint (olla) or one per host:port shared by all (sherpa)
     * @param maxIdlePerKey idle connections kept per key and event loop
     * @param keepAlive     how long an idle connection is kept
     * @param readBuffer    the largest single read from a backend (proxy.stream_buffer_size)
     */
    record Settings(boolean perEndpoint, int maxIdlePerKey, Duration keepAlive, ByteBufAllocator allocator,
            int readBuffer, Duration connectTimeout, boolean tcpKeepAlive, Duration tlsHandshakeTimeout,
            int maxConnections) {}

    /** Something waiting for a connection slot; {@link #slotFree} runs on {@link #loop}. */
    interface SlotWaiter {
        EventLoop loop();

        /** A slot may be free: try again. Returns false when the waiter no longer waits. */
        boolean slotFree();
    }

    /** Open connections of one key, and who waits for one to close. */
    private static final class Slots {
        final AtomicInteger open = new AtomicInteger();
        final ConcurrentLinkedQueue<SlotWaiter> waiters = new ConcurrentLinkedQueue<>();
    }

    private final Settings settings;
    private final Map<EventLoop, Map<String, ArrayDeque<BackendHandler>>> idle = new ConcurrentHashMap<>();
    private final Map<EventLoop, Bootstrap> bootstraps = new ConcurrentHashMap<>();
    private final Map<EventLoop, ScheduledFuture<?>> sweeps = new ConcurrentHashMap<>();
    private final Map<String, Slots> slots = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ChannelPool(Settings settings) {
        this.settings = settings;
    }

    Settings settings() {
        return settings;
    }

    private String key(Endpoint ep) {
        return settings.perEndpoint() ? ep.name() : ep.url().getRawAuthority();
    }

    /**
     * An idle connection to the endpoint on this loop, or null. Must run on {@code loop}.
     */
    BackendHandler pollIdle(EventLoop loop, Endpoint ep) {
        Map<String, ArrayDeque<BackendHandler>> byKey = idle.get(loop);
        if (byKey == null) {
            return null;
        }
        ArrayDeque<BackendHandler> q = byKey.get(key(ep));
        if (q == null) {
            return null;
        }
        long now = System.nanoTime();
        BackendHandler h;
        while ((h = q.pollLast()) != null) {
            if (h.channel().isActive() && now - h.idleSince() < settings.keepAlive().toNanos()) {
                return h;
            }
            h.channel().close();
        }
        return null;
    }

    /**
     * Opens a new connection on {@code loop} (TLS for https endpoints), or returns null when the
     * key already has {@code maxConnections} open (then {@link #awaitSlot}).
     */
    ChannelFuture connect(EventLoop loop, Endpoint ep) {
        Slots slot = slots(ep);
        if (!reserve(slot)) {
            return null;
        }
        ChannelFuture f = open(loop, ep);
        f.channel().closeFuture().addListener(closed -> {
            slot.open.decrementAndGet();
            wake(slot);
        });
        return f;
    }

    private Slots slots(Endpoint ep) {
        String k = key(ep);
        Slots s = slots.get(k);
        return s != null ? s : slots.computeIfAbsent(k, x -> new Slots());
    }

    private boolean reserve(Slots s) {
        int cap = settings.maxConnections();
        if (cap <= 0) {
            s.open.incrementAndGet();
            return true;
        }
        while (true) {
            int n = s.open.get();
            if (n >= cap) {
                return false;
            }
            if (s.open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Queues {@code w} until a connection of the endpoint's key closes; closes an idle connection of
     * the key on another loop (its slot is better used here). Call on the waiter's loop after
     * {@link #connect} returned null.
     */
    void awaitSlot(Endpoint ep, SlotWaiter w) {
        Slots s = slots(ep);
        s.waiters.add(w);
        String k = key(ep);
        idle.forEach((loop, byKey) -> {
            if (loop != w.loop() && !loop.isShuttingDown()) {
                loop.execute(() -> {
                    ArrayDeque<BackendHandler> q = byKey.get(k);
                    BackendHandler h = q == null ? null : q.pollFirst();
                    if (h != null) {
                        h.channel().close();
                    }
                });
            }
        });
        if (s.open.get() < settings.maxConnections()) {
            wake(s); // a slot freed while we queued
        }
    }

    /** Hands a possibly free slot to the first waiter that still waits. */
    private void wake(Slots s) {
        SlotWaiter w = s.waiters.poll();
        if (w != null) {
            w.loop().execute(() -> {
                if (!w.slotFree()) {
                    wake(s); // it gave up meanwhile: the next one
                }
            });
        }
    }

    /** Whether an attempt waits for a slot of this endpoint's key (then a released connection is closed). */
    private boolean waited(Endpoint ep) {
        Slots s = slots.get(key(ep));
        return s != null && !s.waiters.isEmpty();
    }

    /** Connections open to the endpoint's key, idle or busy, on all loops. */
    int openCount(Endpoint ep) {
        Slots s = slots.get(key(ep));
        return s == null ? 0 : s.open.get();
    }

    private ChannelFuture open(EventLoop loop, Endpoint ep) {
        Bootstrap b = bootstraps.computeIfAbsent(loop, this::bootstrap);
        if (ep.tls()) {
            b = b.clone().handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    SslHandler tls = tls().newHandler(ch.alloc(), ep.host(), ep.port());
                    long hs = settings.tlsHandshakeTimeout().toMillis();
                    tls.setHandshakeTimeoutMillis(hs > 0 ? hs : 10_000);
                    ch.pipeline().addLast("tls", tls);
                    addHttp(ch);
                }
            });
        }
        return b.connect(ep.host(), ep.port());
    }

    private volatile SslContext tls;

    /** The TLS client context for https endpoints: the JDK's trust store, hostname verification on. */
    private SslContext tls() {
        SslContext c = tls;
        if (c == null) {
            synchronized (this) {
                if (tls == null) {
                    try {
                        tls = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
                    } catch (javax.net.ssl.SSLException e) {
                        throw new IllegalStateException("cannot set up TLS for backends: " + e.getMessage(), e);
                    }
                }
                c = tls;
            }
        }
        return c;
    }

    private void addHttp(Channel ch) {
        int read = Math.max(256, settings.readBuffer());
        // Backends are configured by the operator; their response headers are not re-validated.
        HttpDecoderConfig decoder = new HttpDecoderConfig().setMaxInitialLineLength(8192)
                .setMaxHeaderSize(64 * 1024).setMaxChunkSize(read).setValidateHeaders(false);
        ch.pipeline()
                .addLast("codec", new BackendCodec(decoder))
                .addLast("backend", new BackendHandler(this));
    }

    private Bootstrap bootstrap(EventLoop loop) {
        int read = Math.max(256, settings.readBuffer());
        return new Bootstrap()
                .group(loop)
                .channel(Transport.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, settings.tcpKeepAlive())
                .option(ChannelOption.ALLOCATOR, settings.allocator())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, Math.min(2048, read), read))
                // 0 = no connect timeout (Netty's meaning too)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, Math.max(0, settings.connectTimeout().toMillis())))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        addHttp(ch);
                    }
                });
    }

    /** Opens one connection and parks it idle, unless the loop already has one idle for it. */
    void warm(EventLoop loop, Endpoint ep) {
        if (closed) {
            return;
        }
        Map<String, ArrayDeque<BackendHandler>> byKey = idle.get(loop);
        ArrayDeque<BackendHandler> q = byKey == null ? null : byKey.get(key(ep));
        if (q != null && !q.isEmpty()) {
            return;
        }
        ChannelFuture f = connect(loop, ep);
        if (f == null) {
            return;
        }
        f.addListener(done -> {
            if (done.isSuccess()) {
                BackendHandler h = f.channel().pipeline().get(BackendHandler.class);
                release(h, ep);
            }
        });
    }

    /** Returns a connection after a clean exchange. Must run on the connection's loop. */
    void release(BackendHandler h, Endpoint ep) {
        Channel ch = h.channel();
        if (closed || !ch.isActive() || waited(ep)) {
            ch.close(); // when an attempt waits for a slot, this one's slot serves it better
            return;
        }
        ArrayDeque<BackendHandler> q = idle.computeIfAbsent(ch.eventLoop(), this::startSweeping)
                .computeIfAbsent(key(ep), k -> new ArrayDeque<>());
        if (q.size() >= settings.maxIdlePerKey()) {
            ch.close();
            return;
        }
        h.markIdle(ep);
        q.addLast(h);
    }

    /**
     * A loop's idle connections are swept on that loop, so that a connection unused for
     * {@code connection_keep_alive} is closed even when no request comes to reuse it.
     */
    private Map<String, ArrayDeque<BackendHandler>> startSweeping(EventLoop loop) {
        Map<String, ArrayDeque<BackendHandler>> byKey = new HashMap<>();
        long period = Math.clamp(settings.keepAlive().toMillis() / 4, 100, 5_000);
        sweeps.put(loop, loop.scheduleAtFixedRate(() -> sweep(byKey), period, period, TimeUnit.MILLISECONDS));
        return byKey;
    }

    /** Closes the connections idle longer than the keep-alive time (oldest first in each deque). */
    private void sweep(Map<String, ArrayDeque<BackendHandler>> byKey) {
        long now = System.nanoTime();
        long keep = settings.keepAlive().toNanos();
        for (ArrayDeque<BackendHandler> q : byKey.values()) {
            BackendHandler h;
            while ((h = q.peekFirst()) != null && (now - h.idleSince() >= keep || !h.channel().isActive())) {
                q.pollFirst();
                h.channel().close();
            }
        }
    }

    /** An idle connection was closed by its backend: forget it. Runs on its loop. */
    void idleClosed(BackendHandler h, Endpoint ep) {
        Map<String, ArrayDeque<BackendHandler>> byKey = idle.get(h.channel().eventLoop());
        if (byKey != null && ep != null) {
            ArrayDeque<BackendHandler> q = byKey.get(key(ep));
            if (q != null) {
                q.remove(h);
            }
        }
    }

    /** Idle connections on one loop; call on that loop (tests). */
    int idleCount(EventLoop loop) {
        Map<String, ArrayDeque<BackendHandler>> m = idle.get(loop);
        int n = 0;
        if (m != null) {
            for (ArrayDeque<BackendHandler> q : m.values()) {
                n += q.size();
            }
        }
        return n;
    }

    /** Idle connections on all loops; approximate (tests). */
    int idleCount() {
        int n = 0;
        for (Map<String, ArrayDeque<BackendHandler>> m : idle.values()) {
            for (ArrayDeque<BackendHandler> q : m.values()) {
                n += q.size();
            }
        }
        return n;
    }

    void close() {
        closed = true;
        sweeps.values().forEach(f -> f.cancel(false));
        idle.forEach((loop, m) -> {
            if (!loop.isShuttingDown()) {
                loop.execute(() -> {
                    m.values().forEach(q -> q.forEach(h -> h.channel().close()));
                    m.clear();
                });
            }
        });
    }
}
