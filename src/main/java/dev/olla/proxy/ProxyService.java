package dev.olla.proxy;

import dev.olla.balance.Balancer;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.balance.Chooser;
import dev.olla.health.HealthFeedback;
import dev.olla.model.ModelRouting;

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
    private final dev.olla.balance.StickySessions sticky;
    private final Chooser chooser;
    private final ProxyStats stats = new ProxyStats();
    private final dev.olla.stats.ModelStats modelStats;
    private final dev.olla.stats.Metrics metrics = new dev.olla.stats.Metrics();
    private final dev.olla.stats.TranslatorStats translatorStats = new dev.olla.stats.TranslatorStats("anthropic");


    /**
     * @param routing model routing, or null to route by type and health only
     */
    public ProxyService(OllaConfig.Proxy config, EndpointRegistry registry, Balancer balancer, HealthFeedback health,
            Engine engine, ModelRouting routing) {
        this(config, registry, balancer, health, engine, routing, null);
    }

    /** @param sticky session affinity, or null when proxy.sticky_sessions is off */
    public ProxyService(OllaConfig.Proxy config, EndpointRegistry registry, Balancer balancer, HealthFeedback health,
            Engine engine, ModelRouting routing, dev.olla.balance.StickySessions sticky) {
        this.sticky = sticky;
        this.chooser = new Chooser(config.lastResort(), config.panicThreshold());
        this.config = config;
        this.registry = registry;
        this.balancer = balancer;
        this.health = health;
        this.engine = engine;
        this.routing = routing;
        // Rows only for names the registry knows; without model routing every name is "unknown".
        this.modelStats = new dev.olla.stats.ModelStats(routing == null ? m -> false : routing::knows);
        this.queue = new AdmissionQueue(config.queue());
    }

    private final AdmissionQueue queue;

    AdmissionQueue queue() {
        return queue;
    }

    /** Queue figures for status and metrics ({@code depth}, waits, timeouts...). */
    public java.util.Map<String, Object> queueStats() {
        return queue.stats();
    }

    /** Requests waiting in Olla's queue that could use each endpoint. */
    public java.util.Map<String, Integer> queuedByEndpoint() {
        return queue.depthByEndpoint();
    }

    /** Offers free slots to queued requests (after a cap grew or an endpoint recovered). */
    public void pumpQueue() {
        queue.pump(registry.all());
    }

    /**
     * Forwards an exchange that a route has prepared itself (another path, a translated body, a
     * response transform); runs the same choose / retry / relay core as every proxy route.
     */
    public void forward(dev.olla.server.Exchange exchange, RouteTarget target, ForwardPlan plan) {
        new ProxyCall(this, exchange, target, compatible(target), plan).start();
    }

    /** As {@link #forward(dev.olla.server.Exchange, RouteTarget, ForwardPlan)}, over the target's endpoints that {@code keep} accepts. */
    public void forward(dev.olla.server.Exchange exchange, RouteTarget target, ForwardPlan plan,
            java.util.function.Predicate<dev.olla.endpoint.EndpointState> keep) {
        new ProxyCall(this, exchange, target, compatible(target).stream().filter(keep).toList(), plan).start();
    }

    /** The handler for one proxy route; the route's compatible endpoints are computed once, here. */
    public dev.olla.server.Handler route(RouteTarget target) {
        return route(target, exchange -> null);
    }

    /** As {@link #route(RouteTarget)}, with a plan per request (e.g. the route family's error shape); null = none. */
    public dev.olla.server.Handler route(RouteTarget target,
            java.util.function.Function<dev.olla.server.Exchange, ForwardPlan> plans) {
        java.util.List<dev.olla.endpoint.EndpointState> typed = compatible(target);
        return exchange -> new ProxyCall(this, exchange, target, typed, plans.apply(exchange)).start();
    }

    /** The Anthropic translator's counters ({@code /internal/stats/translators}). */
    public dev.olla.stats.TranslatorStats translatorStats() {
        return translatorStats;
    }

    /** The Prometheus series kept with Micrometer (request duration, TTFT, tokens, JVM). */
    public dev.olla.stats.Metrics metrics() {
        return metrics;
    }

    /** A held response was let through after {@code nanos} (statistics and the hold histogram). */
    void recordHold(long nanos) {
        stats.recordHold(nanos);
        metrics.recordHold(nanos);
    }

    public Engine engine() {
        return engine;
    }

    public ProxyStats stats() {
        return stats;
    }

    /** Per-model request statistics ({@code /internal/stats/models}). */
    public dev.olla.stats.ModelStats modelStats() {
        return modelStats;
    }

    /** The endpoints whose type the route reaches (any health status), in configuration order. */
    java.util.List<dev.olla.endpoint.EndpointState> compatible(RouteTarget target) {
        return registry.all().stream()
                .filter(s -> target.types().isEmpty() || target.types().contains(registry.profileOf(s).name()))
                .toList();
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

    Chooser chooser() {
        return chooser;
    }

    HealthFeedback health() {
        return health;
    }

    ModelRouting routing() {
        return routing;
    }

    dev.olla.balance.StickySessions sticky() {
        return sticky;
    }

    public void close() {
        engine.close();
        metrics.close();
    }
}
