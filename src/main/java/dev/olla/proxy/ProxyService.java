package dev.olla.proxy;

import dev.olla.balance.Balancer;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.HealthFeedback;
import dev.olla.model.ModelRouting;
import dev.olla.server.Exchange;

/**
 * Entry point of the proxy: takes an exchange on a proxy route and runs it through
 * inspect -> choose -> engine -> record ({@link ProxyCall}). Shared by every proxy route.
 */
public final class ProxyService {
    private final OllaConfig.Proxy config;
    private final EndpointRegistry registry;
    private final Balancer balancer;
    private final HealthFeedback health;
    private final Engine engine;
    private final ModelRouting routing;
    private final ProxyStats stats = new ProxyStats();

    /**
     * @param routing model routing, or null to route by type and health only
     */
    public ProxyService(OllaConfig.Proxy config, EndpointRegistry registry, Balancer balancer, HealthFeedback health,
            Engine engine, ModelRouting routing) {
        this.config = config;
        this.registry = registry;
        this.balancer = balancer;
        this.health = health;
        this.engine = engine;
        this.routing = routing;
    }

    public void handle(Exchange exchange, RouteTarget target) {
        new ProxyCall(this, exchange, target).start();
    }

    public Engine engine() {
        return engine;
    }

    public ProxyStats stats() {
        return stats;
    }

    OllaConfig.Proxy config() {
        return config;
    }

    EndpointRegistry registry() {
        return registry;
    }

    Balancer balancer() {
        return balancer;
    }

    HealthFeedback health() {
        return health;
    }

    ModelRouting routing() {
        return routing;
    }

    public void close() {
        engine.close();
    }
}
