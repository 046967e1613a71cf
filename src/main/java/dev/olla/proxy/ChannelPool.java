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
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keep-alive connections to backends. Connections live on the event loop of the client request
 * that opened them and are only handed to requests on that same loop, so a client connection and
 * its backend connection share one thread and the pool needs no locks (each loop has its own idle
 * deques, touched only from that loop). Idle connections are reused most-recent-first and dropped
 * after the keep-alive time or when the backend closes them.
 */
final class ChannelPool {
    /**
     * @param perEndpoint   one pool per endpoint (olla) or one per host:port shared by all (sherpa)
     * @param maxIdlePerKey idle connections kept per key and event loop
     * @param keepAlive     how long an idle connection is kept
     * @param readBuffer    the largest single read from a backend (proxy.stream_buffer_size)
     */
    record Settings(boolean perEndpoint, int maxIdlePerKey, Duration keepAlive, ByteBufAllocator allocator,
            int readBuffer, Duration connectTimeout, boolean tcpKeepAlive, Duration tlsHandshakeTimeout) {}

    private final Settings settings;
    private final Map<EventLoop, Map<String, ArrayDeque<BackendHandler>>> idle = new ConcurrentHashMap<>();
    private final Map<EventLoop, Bootstrap> bootstraps = new ConcurrentHashMap<>();
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

    /** Opens a new connection on {@code loop} (TLS for https endpoints). */
    ChannelFuture connect(EventLoop loop, Endpoint ep) {
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
                .addLast("codec", new HttpClientCodec(decoder, false, false))
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
        if (closed || !ch.isActive()) {
            ch.close();
            return;
        }
        ArrayDeque<BackendHandler> q = idle.computeIfAbsent(ch.eventLoop(), l -> new HashMap<>())
                .computeIfAbsent(key(ep), k -> new ArrayDeque<>());
        if (q.size() >= settings.maxIdlePerKey()) {
            ch.close();
            return;
        }
        h.markIdle(ep);
        q.addLast(h);
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
