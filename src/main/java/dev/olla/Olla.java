package dev.olla;

import dev.olla.balance.Balancers;
import dev.olla.balance.StickySessions;
import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.health.HealthClock;
import dev.olla.health.HealthMonitor;
import dev.olla.model.ModelDiscovery;
import dev.olla.model.ModelRegistry;
import dev.olla.model.ModelRouter;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.Engine;
import dev.olla.proxy.ProxyService;
import dev.olla.route.AnthropicRoutes;
import dev.olla.route.MetricsRoutes;
import dev.olla.route.ModelRoutes;
import dev.olla.route.ProxyRoutes;
import dev.olla.route.StatusRoutes;
import dev.olla.route.SystemRoutes;
import dev.olla.server.OllaServer;
import dev.olla.server.Cors;
import dev.olla.server.RateLimiter;
import dev.olla.server.Router;
import dev.olla.server.ServerSettings;
import dev.olla.server.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running application: builds every component from the configuration, runs the first health
 * pass, and opens the port last, so a request sent as soon as the port answers is routed. Closes
 * everything in reverse order.
 */
public final class Olla implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Olla.class);
    /** Upper bound on the start-up health pass (each probe is also bounded by its check_timeout). */
    private static final Duration FIRST_PASS_BOUND = Duration.ofSeconds(10);

    private final OllaConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final EndpointRegistry endpoints;
    private final HealthMonitor health;
    private final ModelDiscovery discovery;
    private final ModelRegistry models;
    private final ProxyService proxy;
    private final OllaServer server;
    private final InetSocketAddress address;

    private Olla(OllaConfig config, EventLoopGroup boss, EventLoopGroup workers, EndpointRegistry endpoints,
            HealthMonitor health, ModelDiscovery discovery, ModelRegistry models, ProxyService proxy, OllaServer server,
            InetSocketAddress address) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
        this.endpoints = endpoints;
        this.health = health;
        this.discovery = discovery;
        this.models = models;
        this.proxy = proxy;
        this.server = server;
        this.address = address;
    }

    public static Olla start(OllaConfig config, ProfileRegistry profiles) throws InterruptedException {
        EventLoopGroup boss = Transport.newGroup(1, "olla-accept");
        EventLoopGroup workers = Transport.newGroup(Runtime.getRuntime().availableProcessors(), "olla-io");
        HealthMonitor health = null;
        ModelDiscovery discovery = null;
        ProxyService proxy = null;
        try {
            EndpointRegistry endpoints = EndpointRegistry.fromConfig(config.discovery().staticConfig().endpoints(),
                    profiles);
            ModelRegistry models = ModelRegistry.from(config.modelRegistry(), endpoints);
            discovery = new ModelDiscovery(endpoints, models, config);
            health = new HealthMonitor(endpoints, config.discovery().healthCheck().initialDelay(), HealthClock.SYSTEM,
                    HealthMonitor.Options.DEFAULTS.withConsecutive5xx(config.proxy().consecutive5xx()));
            health.addRecoveryListener(discovery::onRecovered);
            health.addStatusListener(discovery::onStatusChanged);
            // Readiness: the port opens only after the first health pass and the first model discovery.
            health.runInitialPass(FIRST_PASS_BOUND);
            health.start();
            discovery.runInitialPass(config.discovery().modelDiscovery().timeout());
            discovery.start();

            Engine engine = Engine.create(config.proxy());
            StickySessions sticky = StickySessions.of(config.proxy().stickySessions());
            proxy = new ProxyService(config.proxy(), endpoints, Balancers.create(config.proxy().loadBalancer()),
                    health, engine, ModelRouter.create(config, models, discovery), sticky);
            health.addStatusListener((ep, from, to, reason) -> {
                if (to.routable() && !from.routable()) {
                    engine.warm(ep.endpoint(), workers);
                }
            });
            endpoints.all().stream().filter(s -> s.routable()).forEach(s -> engine.warm(s.endpoint(), workers));

            Router router = new Router();
            OllaServer server = new OllaServer(config.server().host(), config.server().port(),
                    ServerSettings.from(config.server()), router, boss, workers)
                    .rateLimiter(new RateLimiter(config.server().rateLimits()))
                    .clientAddress(dev.olla.server.ClientAddress.of(config.server().rateLimits()))
                    .cors(Cors.of(config.server().cors()));
            SystemRoutes.register(router);
            StatusRoutes.register(router, endpoints, health, server.stats(), config, models::modelCount, proxy.stats());
            ModelRoutes.register(router, models, endpoints, profiles, discovery);
            ProxyService proxyService = proxy;
            router.get("/internal/stats/models", ex -> ex.json(io.netty.handler.codec.http.HttpResponseStatus.OK,
                    proxyService.modelStats().snapshot(ex.query() != null && ex.query().contains("include_endpoints=true"))));
            router.get("/internal/stats/sticky", ex -> ex.json(io.netty.handler.codec.http.HttpResponseStatus.OK,
                    sticky == null ? java.util.Map.of("enabled", false) : sticky.stats()));
            AnthropicRoutes.register(router, config.translators().anthropic(), endpoints, profiles, models, proxy);
            MetricsRoutes.register(router, endpoints, server.stats(), proxy.stats(), config, models::modelCount, health);
            ProxyRoutes.register(router, profiles, proxy);
            InetSocketAddress bound = server.start();
            LOG.info("proxy engine {}, profile {}, balancer {}, {} endpoint(s)", proxy.engine().name(),
                    ConfigEnums.yamlName(config.proxy().profile()), ConfigEnums.yamlName(config.proxy().loadBalancer()),
                    endpoints.all().size());
            return new Olla(config, boss, workers, endpoints, health, discovery, models, proxy, server, bound);
        } catch (InterruptedException | RuntimeException e) {
            if (proxy != null) {
                proxy.close();
            }
            if (health != null) {
                health.close();
            }
            if (discovery != null) {
                discovery.close();
            }
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    public OllaConfig config() {
        return config;
    }

    public int port() {
        return address.getPort();
    }

    public OllaServer server() {
        return server;
    }

    public EndpointRegistry endpoints() {
        return endpoints;
    }

    public HealthMonitor health() {
        return health;
    }

    public ProxyService proxy() {
        return proxy;
    }

    public ModelRegistry models() {
        return models;
    }

    public ModelDiscovery discovery() {
        return discovery;
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("shutting down (grace {})", dev.olla.config.GoDuration.format(config.server().shutdownTimeout()));
        server.stop(config.server().shutdownTimeout());
        health.close();
        discovery.close();
        proxy.close();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        LOG.info("stopped");
    }
}
