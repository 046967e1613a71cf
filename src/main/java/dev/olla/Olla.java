package dev.olla;

import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.health.HealthMonitor;
import dev.olla.model.ModelDiscovery;
import dev.olla.model.ModelRegistry;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.ProxyService;
import dev.olla.server.OllaServer;
import dev.olla.server.Router;
import dev.olla.server.ServerSettings;
import dev.olla.server.Transport;
import dev.olla.state.SharedState;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running application: builds every component from the configuration (a {@link Generation}),
 * runs the first health pass, and opens the port last, so a request sent as soon as the port
 * answers is routed. {@link #reload} swaps in a generation built from a new configuration without
 * dropping requests in flight. Closes everything in reverse order.
 */
public final class Olla implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Olla.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final SharedState state;
    private final OllaServer server;
    private final InetSocketAddress address;
    private final Object reloadLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Generation current;

    private Olla(EventLoopGroup boss, EventLoopGroup workers, SharedState state, OllaServer server,
            InetSocketAddress address, Generation first) {
        this.boss = boss;
        this.workers = workers;
        this.state = state;
        this.server = server;
        this.address = address;
        this.current = first;
    }

    public static Olla start(OllaConfig config, ProfileRegistry profiles) throws InterruptedException {
        EventLoopGroup boss = Transport.newGroup(1, "olla-accept");
        EventLoopGroup workers = Transport.newGroup(Runtime.getRuntime().availableProcessors(), "olla-io");
        SharedState state = null;
        Generation first = null;
        try {
            state = SharedState.create(config.state());
            OllaServer server = new OllaServer(config.server().host(), config.server().port(),
                    ServerSettings.from(config.server()), new Router(), boss, workers);
            first = Generation.build(config, profiles, state, workers, server.stats(), null);
            server.install(first.router, first.rateLimiter, first.cors, first.clientAddress);
            InetSocketAddress bound = server.start();
            Olla olla = new Olla(boss, workers, state, server, bound, first);
            state.onObservation(o -> olla.current.observed(o));
            LOG.info("proxy engine {}, profile {}, balancer {}, {} endpoint(s), state {}", first.proxy.engine().name(),
                    ConfigEnums.yamlName(config.proxy().profile()), ConfigEnums.yamlName(config.proxy().loadBalancer()),
                    first.endpoints.all().size(), state.status().get("type"));
            return olla;
        } catch (InterruptedException | RuntimeException e) {
            if (first != null) {
                first.retire();
            }
            if (state != null) {
                state.close();
            }
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * Applies a new, already validated configuration: endpoints (added, removed, changed), aliases,
     * model routing, balancer, proxy settings, sticky sessions, rate limits, CORS, translators.
     * Keys that need a restart ({@link Reloads#RESTART_ONLY}) keep their running value (warned).
     * The new generation is readied (health and model discovery first pass) before it serves; the
     * old one retires while its requests finish. Returns the restart-only keys that were ignored.
     */
    public List<String> reload(OllaConfig next, ProfileRegistry profiles) {
        synchronized (reloadLock) {
            if (closed.get()) {
                throw new IllegalStateException("closed");
            }
            Generation old = current;
            List<String> ignored = Reloads.restartOnlyChanges(old.config, next);
            OllaConfig effective = Reloads.keepRestartOnly(old.config, next);
            long t0 = System.nanoTime();
            Generation fresh = Generation.build(effective, profiles, state, workers, server.stats(), old);
            server.install(fresh.router, fresh.rateLimiter, fresh.cors, fresh.clientAddress);
            current = fresh;
            old.retire();
            for (String key : ignored) {
                LOG.warn("reload: {} changed but needs a restart; keeping the running value", key);
            }
            LOG.info("configuration reloaded in {} ms: endpoints {}; balancer {}",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Generation.diff(old.endpoints, fresh.endpoints),
                    ConfigEnums.yamlName(effective.proxy().loadBalancer()));
            return ignored;
        }
    }

    public OllaConfig config() {
        return current.config;
    }

    public int port() {
        return address.getPort();
    }

    public OllaServer server() {
        return server;
    }

    public EndpointRegistry endpoints() {
        return current.endpoints;
    }

    public HealthMonitor health() {
        return current.health;
    }

    public ProxyService proxy() {
        return current.proxy;
    }

    public ModelRegistry models() {
        return current.models;
    }

    public ModelDiscovery discovery() {
        return current.discovery;
    }

    public SharedState state() {
        return state;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (reloadLock) {
            OllaConfig config = current.config;
            LOG.info("shutting down (grace {})", dev.olla.config.GoDuration.format(config.server().shutdownTimeout()));
            server.stop(config.server().shutdownTimeout());
            current.retire();
            state.close();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            LOG.info("stopped");
        }
    }
}
