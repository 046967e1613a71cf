package dev.olla.route;

import static dev.olla.route.StatusText.bytes;
import static dev.olla.route.StatusText.latency;
import static dev.olla.route.StatusText.percentage;
import static dev.olla.route.StatusText.uptime;

import dev.olla.BuildInfo;
import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.health.HealthMonitor;
import dev.olla.proxy.ProxyStats;
import dev.olla.server.Router;
import dev.olla.server.ServerStats;
import dev.olla.stats.TokenStats;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * {@code GET /internal/status} and {@code /internal/status/endpoints} (each endpoint drawn by
 * {@link EndpointViews}; and {@link ProcessRoute}'s
 * {@code /internal/process}); sent by {@link CacheableJson}, worded by {@link StatusText}.
 *
 * <p>Bodies are compact JSON with the original's snake_case keys and its human-readable strings
 * ({@code "98.5%"}, {@code "120ms"}, {@code "1.20 MB"}, {@code "5s ago"}), plus raw numbers and
 * ISO-8601 instants alongside. The two status routes send a weak {@code ETag} (FNV-1a of the body
 * without the per-second fields: timestamp, uptime and the relative "ago"/"in" strings),
 * {@code Cache-Control: private, no-cache}, answer a matching {@code If-None-Match} with a bare 304,
 * and gzip bodies of 256 bytes or more when the client accepts it. URLs are the sanitised form
 * (scheme, host, port, path): never credentials or query strings; status reasons are scrubbed of
 * the endpoint's header values and query.
 *
 * <p>Deviation from the original, on purpose: an endpoint without traffic reports
 * {@code success_rate: "N/A"} in both routes (the original says {@code "0%"} in one of them).
 */
public final class StatusRoutes {
    /**
     * What the status routes read. Only {@code registry} and {@code config} are required; a null
     * source leaves its fields out (or zero).
     *
     * @param modelCount models discovered per endpoint (the model registry plugs in here)
     * @param proxyStats the proxy's counters (availability picks)
     * @param state the {@code state} block (shared state: type, connected, degraded)
     * @param tokens token figures per endpoint (shown as {@code tokens} in each endpoint)
     * @param queued requests waiting in Olla's queue per endpoint
     */
    public record Sources(EndpointRegistry registry, HealthMonitor health, ServerStats serverStats, OllaConfig config,
            ToIntFunction<EndpointState> modelCount, ProxyStats proxyStats, Supplier<Map<String, Object>> state,
            TokenStats tokens, ToIntFunction<EndpointState> queued) {
        public Sources {
            modelCount = modelCount == null ? s -> 0 : modelCount;
            queued = queued == null ? s -> 0 : queued;
        }

        /** The minimum: endpoints, their health and the configuration. */
        public static Sources of(EndpointRegistry registry, HealthMonitor health, ServerStats serverStats,
                OllaConfig config) {
            return new Sources(registry, health, serverStats, config, null, null, null, null, null);
        }

        public Sources withModelCount(ToIntFunction<EndpointState> modelCount) {
            return new Sources(registry, health, serverStats, config, modelCount, proxyStats, state, tokens, queued);
        }
    }

    private final Sources src;
    private final EndpointRegistry registry;
    private final EndpointViews views;
    private final Instant startTime;

    private StatusRoutes(Sources src, Instant startTime) {
        this.src = src;
        this.registry = src.registry();
        this.views = new EndpointViews(src);
        this.startTime = startTime;
    }

    public static void register(Router router, Sources sources) {
        Instant startTime = ProcessRoute.processStart();
        StatusRoutes r = new StatusRoutes(sources, startTime);
        ProcessRoute process = new ProcessRoute(startTime);
        router.get("/internal/status", ex -> CacheableJson.send(ex, r.status()));
        router.get("/internal/status/endpoints", ex -> CacheableJson.send(ex, r.endpoints()));
        router.get("/internal/process", ex -> ex.json(HttpResponseStatus.OK, process.body()));
    }

    // ------------------------------------------------------------------ /internal/status

    Map<String, Object> status() {
        Instant now = Instant.now();
        List<EndpointState> all = EndpointViews.sorted(registry.all());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());

        OllaConfig.Proxy p = src.config().proxy();
        ProxyStats proxyStats = src.proxyStats();
        ServerStats serverStats = src.serverStats();
        Map<String, Object> proxy = new LinkedHashMap<>();
        proxy.put("engine", ConfigEnums.yamlName(p.engine()));
        proxy.put("profile", ConfigEnums.yamlName(p.profile()));
        proxy.put("balancer", ConfigEnums.yamlName(p.loadBalancer()));
        proxy.put("last_resort", p.lastResort());
        proxy.put("panic_threshold", p.panicThreshold());
        proxy.put("consecutive_5xx", p.consecutive5xx());
        if (proxyStats != null) {
            proxy.put("last_resort_picks", proxyStats.lastResortPicks());
            proxy.put("panic_picks", proxyStats.panicPicks());
            proxy.put("hold_first_token", p.holdFirstToken());
            proxy.put("first_token_failovers", proxyStats.firstTokenFailovers());
            proxy.put("stream_error_ends", proxyStats.streamErrorEnds());
            proxy.put("sse_keepalives", proxyStats.keepAlives());
            proxy.put("held_responses", proxyStats.holds());
            proxy.put("held_ms_total", Math.round(proxyStats.heldNanos() / 1e3) / 1e3);
        }
        body.put("proxy", proxy);

        long requests = 0;
        long failures = 0;
        long traffic = 0;
        long active = 0;
        double latencySum = 0;
        int healthy = 0;
        for (EndpointState s : all) {
            long n = s.requests();
            requests += n;
            failures += s.failures();
            traffic += s.bytes();
            active += s.inFlight();
            latencySum += s.averageLatencyMillis() * n;
            if (s.status() == EndpointStatus.HEALTHY) {
                healthy++;
            }
        }
        boolean hasTraffic = requests > 0;
        double successRate = hasTraffic ? 100.0 * (requests - failures) / requests : 0;
        long rateLimits = serverStats == null ? 0 : serverStats.rateLimitViolations();
        long sizeLimits = serverStats == null ? 0 : serverStats.sizeViolations();

        Map<String, Object> system = new LinkedHashMap<>();
        system.put("start_time", startTime.toString());
        system.put("status", systemStatus(all.size(), healthy, hasTraffic, successRate));
        system.put("endpoints_up", healthy + "/" + all.size());
        system.put("success_rate", hasTraffic ? percentage(successRate) : "N/A");
        system.put("avg_latency", latency(hasTraffic ? Math.round(latencySum / requests) : 0));
        system.put("total_traffic", bytes(traffic));
        system.put("uptime", uptime(Duration.between(startTime, now)));
        system.put("version", BuildInfo.current().version());
        system.put("commit", BuildInfo.current().commit());
        system.put("active_connections", active);
        system.put("security_violations", rateLimits + sizeLimits);
        system.put("total_requests", requests);
        system.put("total_failures", failures);
        system.put("has_traffic", hasTraffic);
        body.put("system", system);

        List<Map<String, Object>> endpoints = new ArrayList<>(all.size());
        for (EndpointState s : all) {
            endpoints.add(views.statusItem(s, now));
        }
        body.put("endpoints", endpoints);

        Map<String, Object> security = new LinkedHashMap<>();
        security.put("status", rateLimits + sizeLimits > 100 ? "elevated" : "normal");
        security.put("blocked_ips", 0);
        Map<String, Object> violations = new LinkedHashMap<>();
        violations.put("rate_limits", rateLimits);
        violations.put("size_limits", sizeLimits);
        security.put("violations", violations);
        body.put("security", security);
        if (src.state() != null) {
            body.put("state", src.state().get());
        }
        return body;
    }

    // ------------------------------------------------------------------ /internal/status/endpoints

    Map<String, Object> endpoints() {
        Instant now = Instant.now();
        List<EndpointState> all = EndpointViews.sorted(registry.all());
        List<Map<String, Object>> items = new ArrayList<>(all.size());
        int healthy = 0;
        int routable = 0;
        for (EndpointState s : all) {
            EndpointStatus st = s.status();
            if (st == EndpointStatus.HEALTHY) {
                healthy++;
            }
            if (st.routable()) {
                routable++;
            }
            items.add(views.endpointItem(s, now));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());
        body.put("endpoints", items);
        body.put("total_count", all.size());
        body.put("healthy_count", healthy);
        body.put("routable_count", routable);
        return body;
    }

    // ------------------------------------------------------------------ shared pieces

    /**
     * healthy / degraded / critical from the share of healthy endpoints and, with traffic, the
     * success rate: no endpoints = critical; ratio < 0.5 or success < 90% = critical; ratio < 0.8
     * or success < 95% = degraded.
     */
    static String systemStatus(int total, int healthy, boolean hasTraffic, double successRate) {
        if (total == 0) {
            return "critical";
        }
        double ratio = (double) healthy / total;
        if (ratio < 0.5 || (hasTraffic && successRate < 90.0)) {
            return "critical";
        }
        if (ratio < 0.8 || (hasTraffic && successRate < 95.0)) {
            return "degraded";
        }
        return "healthy";
    }
}
