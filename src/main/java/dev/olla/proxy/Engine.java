package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;
import java.util.Locale;

/**
 * The two proxy engines. Both run the same attempt loop ({@link ProxyCall}, {@link Attempt}); they
 * differ only in how backend connections are pooled and how response bytes are buffered:
 * <ul>
 *   <li>{@code sherpa}: simple and frugal — one pool shared by all endpoints (keyed by host:port)
 *       with few idle connections, unpooled heap read buffers of 8 KiB by default, no breaker.</li>
 *   <li>{@code olla}: built for load — a pool per endpoint with many idle connections kept warm,
 *       pooled direct read buffers (64 KiB) relayed to the client without copying.</li>
 * </ul>
 * Neither has a breaker of its own: each endpoint has ONE circuit breaker, on the health side
 * ({@link dev.olla.health.HealthFeedback}), fed by probes and by the attempts of both engines.
 */
public final class Engine {
    private final String name;
    private final ChannelPool pool;
    private final boolean keepWarm;

    private Engine(String name, ChannelPool pool, boolean keepWarm) {
        this.name = name;
        this.pool = pool;
        this.keepWarm = keepWarm;
    }

    public static Engine create(OllaConfig.Proxy proxy) {
        boolean olla = proxy.engine() == OllaConfig.Engine.OLLA;
        int buffer = proxy.streamBufferSize() > 0 ? proxy.streamBufferSize() : (olla ? 64 * 1024 : 8 * 1024);
        // olla: the process-wide pooled allocator the server side uses too (direct, recycled across
        // both sides); sherpa: plain heap buffers, nothing kept around between requests.
        ByteBufAllocator alloc = olla ? ByteBufAllocator.DEFAULT : new UnpooledByteBufAllocator(false);
        Duration keepAlive = proxy.connectionKeepAlive().isZero() ? Duration.ofSeconds(30) : proxy.connectionKeepAlive();
        int cap = proxy.maxConnectionsPerEndpoint();
        ChannelPool.Settings settings = olla
                ? new ChannelPool.Settings(true, 256, keepAlive, alloc, buffer, proxy.connectionTimeout(), true,
                        proxy.tlsHandshakeTimeout(), cap)
                : new ChannelPool.Settings(false, 64, keepAlive, alloc, buffer, proxy.connectionTimeout(), false,
                        proxy.tlsHandshakeTimeout(), cap);
        return new Engine(proxy.engine().name().toLowerCase(Locale.ROOT), new ChannelPool(settings), olla);
    }

    public String name() {
        return name;
    }

    ChannelPool pool() {
        return pool;
    }

    /**
     * Keeps the olla engine's pool warm: when an endpoint becomes routable, open one idle
     * connection to it on every event loop, so the first requests after start-up or recovery do
     * not pay for a connect. Sherpa opens connections on demand only.
     */
    public void warm(Endpoint endpoint, io.netty.channel.EventLoopGroup loops) {
        if (!keepWarm) {
            return;
        }
        for (io.netty.util.concurrent.EventExecutor e : loops) {
            if (e instanceof io.netty.channel.EventLoop loop && !loop.isShuttingDown()) {
                loop.execute(() -> pool.warm(loop, endpoint));
            }
        }
    }

    /** Closes every pooled connection. */
    public void close() {
        pool.close();
    }
}
