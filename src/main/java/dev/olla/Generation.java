package dev.olla;

import dev.olla.balance.Balancers;
import dev.olla.balance.StickySessions;
import dev.olla.capacity.CapacityMonitor;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.Scheduler;
import dev.olla.health.HealthMonitor;
import dev.olla.model.ModelDiscovery;
import dev.olla.model.ModelRegistry;
import dev.olla.model.ModelRouter;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.Engine;
import dev.olla.proxy.ProxyService;
import dev.olla.route.AnthropicRoutes;
import dev.olla.route.DashboardRoutes;
import dev.olla.route.MetricsRoutes;
import dev.olla.route.ModelRoutes;
import dev.olla.route.PlacementRoutes;
import dev.olla.route.ProxyRoutes;
import dev.olla.route.StatusRoutes;
import dev.olla.route.SystemRoutes;
import dev.olla.server.ClientAddress;
import dev.olla.server.Cors;
import dev.olla.server.RateLimiter;
import dev.olla.server.Router;
import dev.olla.server.ServerStats;
import dev.olla.state.Observation;
import dev.olla.state.SharedFeedback;
import dev.olla.state.SharedState;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything built from one configuration: endpoints, health, discovery, models, proxy and routes.
 * Start-up builds the first; a reload builds the next one beside it (health and model discovery run
 * their first pass before it serves), the server swaps to it, and the old one retires: its probes
 * stop and its connection pools close each connection as soon as the request using it ends, so
 * in-flight requests and streams (also to removed endpoints) finish. An endpoint whose settings are
 * unchanged keeps its live state (status, counters, in-flight count) across the swap. Every service
 * that works per endpoint (probes, model discovery, capacity polling) belongs here, so that a reload
 * reaches it.
 */
final class Generation {
    private static final Logger LOG = LoggerFactory.getLogger(Generation.class);
    /** Upper bound on the first health pass (each probe is also bounded by its check_timeout). */
    static final Duration FIRST_PASS_BOUND = Duration.ofSeconds(10);
    /** Reason prefix of a status change caused by another instance's observation. */
    static final String PEER = "instance ";

    final OllaConfig config;
    final EndpointRegistry endpoints;
    final HealthMonitor health;
    final ModelDiscovery discovery;
    final ModelRegistry models;
    final ProxyService proxy;
    final CapacityMonitor capacity;
    final StickySessions sticky;
    final RateLimiter rateLimiter;
    final Cors cors;
    final ClientAddress clientAddress;
    final Router router;
    /** The one timer thread of health, discovery and capacity ({@code olla-background}). */
    private final Scheduler background;

    private Generation(OllaConfig config, EndpointRegistry endpoints, HealthMonitor health, ModelDiscovery discovery,
            ModelRegistry models, ProxyService proxy, CapacityMonitor capacity, StickySessions sticky,
            RateLimiter rateLimiter, Cors cors, ClientAddress clientAddress, Router router, Scheduler background) {
        this.background = background;
        this.capacity = capacity;
        this.config = config;
        this.endpoints = endpoints;
        this.health = health;
        this.discovery = discovery;
        this.models = models;
        this.proxy = proxy;
        this.sticky = sticky;
        this.rateLimiter = rateLimiter;
        this.cors = cors;
        this.clientAddress = clientAddress;
        this.router = router;
    }

    /** Builds and readies a generation; {@code previous} (null at start-up) lends unchanged parts. */
    static Generation build(OllaConfig config, ProfileRegistry profiles, SharedState state, EventLoopGroup workers,
            ServerStats serverStats, Generation previous) {
        HealthMonitor health = null;
        ModelDiscovery discovery = null;
        ProxyService proxy = null;
        CapacityMonitor capacity = null;
        Scheduler background = Scheduler.system("olla-background");
        try {
            EndpointRegistry fresh = EndpointRegistry.fromConfig(config.discovery().staticConfig().endpoints(),
                    profiles);
            EndpointRegistry endpoints = previous == null ? fresh : keepUnchanged(fresh, previous.endpoints);
            ModelRegistry models = ModelRegistry.from(config.modelRegistry(), endpoints);
            discovery = new ModelDiscovery(endpoints, models, ModelDiscovery.Settings.from(config), background);
            health = new HealthMonitor(endpoints, config.discovery().healthCheck().initialDelay(), background,
                    HealthMonitor.Options.DEFAULTS.withConsecutive5xx(config.proxy().consecutive5xx()));
            health.addRecoveryListener(discovery::onRecovered);
            health.addStatusListener(discovery::onStatusChanged);
            // Readiness: serve only after the first health pass and the first model discovery.
            health.runInitialPass(FIRST_PASS_BOUND);
            health.start();
            discovery.runInitialPass(config.discovery().modelDiscovery().timeout());
            discovery.start();
            // Residency and occupancy: one pass before serving, then every poll_interval
            capacity = new CapacityMonitor(endpoints, config.proxy().capacity(), background);
            if (config.proxy().capacity().enabled()) {
                capacity.pollOnce(config.proxy().capacity().pollTimeout().plusMillis(200));
                capacity.start();
            }

            Engine engine = Engine.create(config.proxy());
            StickySessions sticky = previous != null && previous.sticky != null
                    && previous.sticky.config().equals(config.proxy().stickySessions())
                    ? previous.sticky : StickySessions.of(config.proxy().stickySessions(), state);
            HealthMonitor monitor = health;
            proxy = new ProxyService(config.proxy(), endpoints, Balancers.create(config.proxy().loadBalancer()),
                    new SharedFeedback(health, monitor::breaker, state), engine, ModelRouter.create(config, models, discovery), sticky);
            ProxyService queueOwner = proxy;
            capacity.afterPass(queueOwner::pumpQueue);
            health.addStatusListener((ep, from, to, reason) -> {
                if (to.routable() && !from.routable()) {
                    engine.warm(ep.endpoint(), workers);
                    queueOwner.pumpQueue();
                }
                // Tell the other instances (what they told us is not echoed back).
                if (to.routable() != from.routable() && (reason == null || !reason.startsWith(PEER))) {
                    state.publish(new Observation(state.instanceId(), ep.name(),
                            to.routable() ? Observation.Kind.UP : Observation.Kind.DOWN,
                            reason == null ? to.toString() : reason));
                }
            });
            endpoints.all().stream().filter(EndpointState::routable).forEach(s -> engine.warm(s.endpoint(), workers));

            OllaConfig.RateLimits limits = config.server().rateLimits();
            RateLimiter rateLimiter = previous != null && previous.rateLimiter.config().equals(limits)
                    ? previous.rateLimiter : new RateLimiter(limits, state.rateBuckets(limits.cleanupInterval()));
            Cors cors = Cors.of(config.server().cors());

            Router router = new Router();
            SystemRoutes.register(router);
            StatusRoutes.register(router, new StatusRoutes.Sources(endpoints, health, serverStats, config,
                    models::modelCount, proxy.stats(), state::status, proxy.modelStats().tokens(),
                    s -> queueOwner.queuedByEndpoint().getOrDefault(s.name(), 0)));
            PlacementRoutes.register(router, endpoints, proxy);
            ModelRoutes.register(router, models, endpoints, profiles, discovery);
            ProxyService proxyService = proxy;
            router.get("/internal/stats/models", ex -> ex.json(HttpResponseStatus.OK,
                    proxyService.modelStats().snapshot(ex.query() != null && ex.query().contains("include_endpoints=true"))));
            router.get("/internal/stats/translators", ex -> ex.json(HttpResponseStatus.OK,
                    dev.olla.stats.TranslatorStats.snapshot(java.util.List.of(proxyService.translatorStats()))));
            router.get("/internal/stats/sticky", ex -> ex.json(HttpResponseStatus.OK,
                    sticky == null ? Map.of("enabled", false) : sticky.stats()));
            AnthropicRoutes.register(router, config.translators().anthropic(), endpoints, profiles, models, proxy);
            MetricsRoutes.register(router, endpoints, serverStats, proxy, config, models::modelCount, health);
            DashboardRoutes.register(router, config.dashboard());
            ProxyRoutes.register(router, profiles, proxy);
            return new Generation(config, endpoints, health, discovery, models, proxy, capacity, sticky, rateLimiter,
                    cors, ClientAddress.of(limits), router, background);
        } catch (RuntimeException e) {
            if (capacity != null) {
                capacity.close();
            }
            if (proxy != null) {
                proxy.close();
            }
            if (health != null) {
                health.close();
            }
            if (discovery != null) {
                discovery.close();
            }
            background.close();
            throw e;
        }
    }

    /** The new registry, with the live state of every endpoint whose settings did not change. */
    private static EndpointRegistry keepUnchanged(EndpointRegistry fresh, EndpointRegistry old) {
        List<EndpointState> states = new ArrayList<>();
        for (EndpointState s : fresh.all()) {
            EndpointState before = old.byName(s.name());
            states.add(before != null && before.endpoint().equals(s.endpoint()) ? before : s);
        }
        return new EndpointRegistry(states, fresh.profiles());
    }

    /**
     * What another instance saw: a failure takes the endpoint out now (and brings its re-check
     * forward), a recovery triggers a probe now, so this instance follows within a probe's time, and
     * a breaker opened there opens this one's too (closed again only by a trial request here).
     */
    void observed(Observation o) {
        EndpointState s = endpoints.byName(o.endpoint());
        if (s == null) {
            return;
        }
        switch (o.kind()) {
            case UP -> {
                if (!s.routable()) {
                    health.checkAllNow();
                }
            }
            case DOWN -> {
                if (s.routable()) {
                    health.connectionFailed(s, dev.olla.health.CircuitBreaker.Permit.CLOSED,
                            PEER + o.instance() + " saw: " + o.reason());
                }
            }
            case OPENED -> {
                dev.olla.health.CircuitBreaker b = health.breaker(s);
                if (b != null && b.eject()) {
                    LOG.warn("endpoint {} circuit breaker opened: instance {} saw {}", s.name(), o.instance(),
                            o.reason());
                }
            }
        }
    }

    /** Stops probes and discovery now; pooled connections close as their requests end. */
    void retire() {
        capacity.close();
        health.close();
        discovery.close();
        background.close();
        proxy.close();
    }

    /** Differences between two endpoint lists, for the reload log line. */
    static String diff(EndpointRegistry before, EndpointRegistry after) {
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (EndpointState s : after.all()) {
            EndpointState b = before.byName(s.name());
            if (b == null) {
                added.add(s.name());
            } else if (b != s) {
                changed.add(s.name());
            }
        }
        for (EndpointState s : before.all()) {
            if (after.byName(s.name()) == null) {
                removed.add(s.name());
            }
        }
        return "added " + added + ", changed " + changed + ", removed " + removed;
    }

    static void logRetired(Generation g) {
        LOG.debug("previous configuration retired ({} endpoint(s))", g.endpoints.all().size());
    }
}
