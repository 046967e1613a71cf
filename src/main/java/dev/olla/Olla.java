package dev.olla;

import dev.olla.balance.Balancers;
import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.health.HealthClock;
import dev.olla.health.HealthMonitor;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.Engine;
import dev.olla.proxy.ProxyService;
import dev.olla.route.ProxyRoutes;
import dev.olla.route.StatusRoutes;
import dev.olla.route.SystemRoutes;
import dev.olla.server.OllaServer;
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
    private final ProxyService proxy;
    private final OllaServer server;
    private final InetSocketAddress address;

    private Olla(OllaConfig config, EventLoopGroup boss, EventLoopGroup workers, EndpointRegistry endpoints,
            HealthMonitor health, ProxyService proxy, OllaServer server, InetSocketAddress address) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
        this.endpoints = endpoints;
        this.health = health;
        this.proxy = proxy;
        this.server = server;
        this.address = address;
    }

    public static Olla start(OllaConfig config, ProfileRegistry profiles) throws InterruptedException {
        EventLoopGroup boss = Transport.newGroup(1, "olla-accept");
        EventLoopGroup workers = Transport.newGroup(Runtime.getRuntime().availableProcessors(), "olla-io");
        HealthMonitor health = null;
        ProxyService proxy = null;
        try {
            EndpointRegistry endpoints = EndpointRegistry.fromConfig(config.discovery().staticConfig().endpoints(),
                    profiles);
            health = new HealthMonitor(endpoints, config.discovery().healthCheck().initialDelay(), HealthClock.SYSTEM);
            health.runInitialPass(FIRST_PASS_BOUND);
            health.start();

            proxy = new ProxyService(config.proxy(), endpoints, Balancers.create(config.proxy().loadBalancer()),
                    health, Engine.create(config.proxy()), null);

            Router router = new Router();
            OllaServer server = new OllaServer(config.server().host(), config.server().port(),
                    ServerSettings.from(config.server()), router, boss, workers);
            SystemRoutes.register(router);
            StatusRoutes.register(router, endpoints, health, server.stats(), config);
            ProxyRoutes.register(router, profiles, proxy);
            InetSocketAddress bound = server.start();
            LOG.info("proxy engine {}, profile {}, balancer {}, {} endpoint(s)", proxy.engine().name(),
                    ConfigEnums.yamlName(config.proxy().profile()), ConfigEnums.yamlName(config.proxy().loadBalancer()),
                    endpoints.all().size());
            return new Olla(config, boss, workers, endpoints, health, proxy, server, bound);
        } catch (InterruptedException | RuntimeException e) {
            if (proxy != null) {
                proxy.close();
            }
            if (health != null) {
                health.close();
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

    @Override
    public void close() {
        LOG.info("shutting down (grace {})", config.server().shutdownTimeout());
        server.stop(config.server().shutdownTimeout());
        health.close();
        proxy.close();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        LOG.info("stopped");
    }
}
