package dev.olla.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 listener. Owns no event loops: the caller passes the worker group it shares with
 * the proxy's backend connections. {@link #stop} closes the listener, lets in-flight exchanges
 * (streams included) finish within the shutdown timeout, then closes what is left.
 */
public final class OllaServer {
    private static final Logger LOG = LoggerFactory.getLogger(OllaServer.class);
    /** Client-side write buffer marks: above the high mark a streamed response pauses its backend. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private final String host;
    private final int port;
    private final ServerSettings settings;
    private volatile Router router;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ServerStats stats = new ServerStats();
    private final Set<HttpServerHandler> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;
    private Channel listener;
    private volatile RateLimiter rateLimiter;
    private volatile Cors cors;
    private volatile ClientAddress clientAddress = ClientAddress.PEER;

    public OllaServer(String host, int port, ServerSettings settings, Router router, EventLoopGroup boss,
            EventLoopGroup workers) {
        this.host = host;
        this.port = port;
        this.settings = settings;
        this.router = router;
        this.boss = boss;
        this.workers = workers;
    }

    /** Applies server.rate_limits to proxy routes and the health route; call before {@link #start}. */
    public OllaServer rateLimiter(RateLimiter limiter) {
        this.rateLimiter = limiter != null && limiter.enabled() ? limiter : null;
        return this;
    }

    /**
     * Swaps the routes, rate limiter, CORS policy and client-address rules (a configuration reload): a request already
     * dispatched keeps what it started with, the next one sees the new set.
     */
    public void install(Router router, RateLimiter limiter, Cors cors, ClientAddress clientAddress) {
        this.router = java.util.Objects.requireNonNull(router);
        this.rateLimiter = limiter != null && limiter.enabled() ? limiter : null;
        this.cors = cors;
        this.clientAddress = clientAddress == null ? ClientAddress.PEER : clientAddress;
    }

    RateLimiter rateLimiter() {
        return rateLimiter;
    }

    /** How the client address is found (trusted proxy headers); call before {@link #start}. */
    public OllaServer clientAddress(ClientAddress clientAddress) {
        this.clientAddress = clientAddress;
        return this;
    }

    ClientAddress clientAddress() {
        return clientAddress;
    }

    /** Applies server.cors (null = off); call before {@link #start}. */
    public OllaServer cors(Cors cors) {
        this.cors = cors;
        return this;
    }

    Cors cors() {
        return cors;
    }

    /** Binds the port; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(Math.max(4096, Math.min(settings.maxHeaderSize(), 64 * 1024)))
                .setMaxHeaderSize(settings.maxHeaderSize())
                .setMaxChunkSize(64 * 1024);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transport.serverChannel())
                // as deep as the kernel allows (net.core.somaxconn, 4096 on current kernels): a burst of
                // thousands of connects (clients opening streams at once) must queue, not overflow
                .option(ChannelOption.SO_BACKLOG, io.netty.util.NetUtil.SOMAXCONN)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ConnectionTimeouts timeouts = new ConnectionTimeouts(settings);
                        ch.pipeline()
                                .addLast("timeouts", timeouts)
                                .addLast("codec", new ServerCodec(decoder))
                                .addLast("olla", new HttpServerHandler(OllaServer.this, settings, timeouts));
                    }
                });
        String bindHost = host == null || host.isBlank() ? "0.0.0.0" : host;
        listener = b.bind(bindHost, port).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        LOG.info("Olla listening on http://{}:{} ({})", bindHost, bound.getPort(), Transport.name());
        return bound;
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public Router router() {
        return router;
    }

    public ServerStats stats() {
        return stats;
    }

    boolean draining() {
        return draining;
    }

    /**
     * Stops accepting, waits up to {@code grace} for in-flight requests and streams to end, then
     * closes every remaining connection.
     */
    public void stop(Duration grace) {
        draining = true;
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        connections.forEach(HttpServerHandler::closeIfIdle);
        long deadline = System.nanoTime() + grace.toNanos();
        while (stats.activeRequests() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (stats.activeRequests() > 0) {
            LOG.warn("shutdown timeout reached with {} request(s) in flight; closing them", stats.activeRequests());
        }
        connections.forEach(HttpServerHandler::forceClose);
    }

    void connectionOpened(HttpServerHandler h) {
        connections.add(h);
        stats.connectionOpened();
        if (draining) {
            h.closeIfIdle();
        }
    }

    void connectionClosed(HttpServerHandler h) {
        if (connections.remove(h)) {
            stats.connectionClosed();
        }
    }

    void exchangeStarted() {
        stats.requestStarted();
    }

    void exchangeFinished() {
        stats.requestFinished();
    }
}
