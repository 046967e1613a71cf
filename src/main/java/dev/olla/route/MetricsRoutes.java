package dev.olla.route;

import dev.olla.BuildInfo;
import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.proxy.ProxyService;
import dev.olla.proxy.ProxyStats;
import dev.olla.stats.Metrics;
import dev.olla.stats.ModelStats;
import java.util.List;
import java.util.Map;
import dev.olla.server.Router;
import dev.olla.server.ServerStats;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * {@code GET /internal/metrics}: Prometheus text exposition (format 0.0.4) in two parts.
 * <ol>
 *   <li>Series that follow the Prometheus conventions, kept by Micrometer ({@link Metrics}): request
 *       duration and time-to-first-token histograms, token counters, in-flight gauges, endpoint
 *       state, JVM and process metrics. These pass {@code promtool check metrics}.</li>
 *   <li>The original's series, by their original names, so that existing Grafana boards keep
 *       working (documented as legacy in docs/operations.md). Some of these names break today's
 *       conventions ({@code _ms}, gauges named {@code _total}); they are kept as they are.</li>
 * </ol>
 * A scrape is not proxy traffic and is not logged per request.
 */
public final class MetricsRoutes {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsRoutes() {}

    public static void register(Router router, EndpointRegistry endpoints, ServerStats server, ProxyService proxy,
            OllaConfig config, ToIntFunction<EndpointState> modelCount) {
        register(router, endpoints, server, proxy, config, modelCount, null);
    }

    /** @param health the breakers to show per endpoint, or null */
    public static void register(Router router, EndpointRegistry endpoints, ServerStats server, ProxyService proxy,
            OllaConfig config, ToIntFunction<EndpointState> modelCount, dev.olla.health.HealthMonitor health) {
        Metrics metrics = proxy.metrics();
        metrics.gauge("olla.in.flight.requests", "Requests being answered (all routes).", server,
                ServerStats::activeRequests);
        for (EndpointState s : endpoints.all()) {
            metrics.gauge("olla.endpoint.in.flight.requests", "Proxied requests in flight to the endpoint.", s,
                    EndpointState::inFlight, "endpoint", s.name());
            for (EndpointStatus st : EndpointStatus.values()) {
                metrics.gauge("olla.endpoint.state", "1 for the endpoint's current health state, else 0.", s,
                        x -> x.status() == st ? 1 : 0, "endpoint", s.name(), "state", st.wire());
            }
        }
        router.get("/internal/metrics", ex -> ex.respond(HttpResponseStatus.OK, CONTENT_TYPE,
                (metrics.scrape() + legacy(endpoints, server, proxy.stats(), proxy.modelStats(), config, modelCount, health)
                        + PlacementRoutes.metrics(endpoints, proxy))
                        .getBytes(StandardCharsets.UTF_8)));
    }

    /** The original's series, by the original's names. */
    static String legacy(EndpointRegistry endpoints, ServerStats server, ProxyStats proxy, ModelStats models,
            OllaConfig config, ToIntFunction<EndpointState> modelCount, dev.olla.health.HealthMonitor health) {
        StringBuilder sb = new StringBuilder(4096);
        BuildInfo b = BuildInfo.current();
        metric(sb, "olla_info", "gauge", "Build and proxy settings.");
        sb.append("olla_info{version=\"").append(esc(b.version())).append("\",commit=\"").append(esc(b.commit()))
                .append("\",engine=\"").append(ConfigEnums.yamlName(config.proxy().engine()))
                .append("\",profile=\"").append(ConfigEnums.yamlName(config.proxy().profile()))
                .append("\",balancer=\"").append(ConfigEnums.yamlName(config.proxy().loadBalancer())).append("\"} 1\n");
        int healthy = 0;
        long traffic = 0;
        long requests = 0;
        long failures = 0;
        double latencySum = 0;
        for (EndpointState s : endpoints.all()) {
            if (s.status() == EndpointStatus.HEALTHY) {
                healthy++;
            }
            traffic += s.bytes();
            requests += s.requests();
            failures += s.failures();
            latencySum += s.averageLatencyMillis() * s.requests();
        }
        boolean hasTraffic = requests > 0;
        double successRate = hasTraffic ? 100.0 * (requests - failures) / requests : 100.0;
        String status = StatusRoutes.systemStatus(endpoints.all().size(), healthy, hasTraffic, successRate);
        gauge(sb, "olla_system_status", "System status: 2 healthy, 1 degraded, 0 critical.",
                switch (status) {
                    case "healthy" -> 2;
                    case "degraded" -> 1;
                    default -> 0;
                });
        gauge(sb, "olla_success_rate_percent", "Successful proxied attempts, percent.", successRate);
        gauge(sb, "olla_avg_latency_ms", "Average attempt duration.", hasTraffic ? latencySum / requests : 0);
        gauge(sb, "olla_endpoints_total", "Configured endpoints.", endpoints.all().size());
        gauge(sb, "olla_endpoints_healthy", "Endpoints currently healthy.", healthy);
        gauge(sb, "olla_uptime_seconds", "Seconds since start.",
                ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
        gauge(sb, "olla_active_connections", "Client connections open.", server.openConnections());
        counter(sb, "olla_requests_total", "Requests received by the server.", server.totalRequests());
        counter(sb, "olla_proxy_requests_total", "Requests handled by the proxy.", proxy.requests());
        counter(sb, "olla_failures_total", "Proxied requests that ended in an error.", proxy.failures());
        counter(sb, "olla_proxy_retries_total", "Attempts retried on another endpoint.", proxy.retries());
        counter(sb, "olla_proxy_cancelled_total", "Proxied requests the client abandoned.", proxy.cancelled());
        counter(sb, "olla_proxy_last_resort_total",
                "Attempts sent to a non-routable endpoint because none was routable (proxy.last_resort).",
                proxy.lastResortPicks());
        counter(sb, "olla_proxy_panic_total",
                "Picks made with health ignored (fewer routable candidates than proxy.panic_threshold).",
                proxy.panicPicks());
        counter(sb, "olla_proxy_first_token_failovers_total",
                "Streamed attempts that failed before their first token and were retried on another endpoint, unseen"
                        + " by the client (proxy.hold_first_token).", proxy.firstTokenFailovers());
        counter(sb, "olla_proxy_stream_error_ends_total",
                "Streams whose backend failed after the first token, ended with an error in the client's protocol.",
                proxy.streamErrorEnds());
        counter(sb, "olla_proxy_sse_keepalives_total",
                "SSE keep-alive comments sent before a first token (queued, or waiting for the backend).",
                proxy.keepAlives());
        counter(sb, "olla_total_traffic_bytes", "Response bytes relayed from backends.", traffic);
        counter(sb, "olla_security_rate_limit_violations_total", "Requests refused by rate limits.",
                server.rateLimitViolations());
        counter(sb, "olla_security_size_limit_violations_total", "Requests refused by size limits.",
                server.sizeViolations());
        long violations = server.rateLimitViolations() + server.sizeViolations();
        counter(sb, "olla_security_violations_total", "Requests refused by rate or size limits.", violations);
        gauge(sb, "olla_security_status", "Security status: 1 normal, 0 elevated (over 100 violations).",
                violations > 100 ? 0 : 1);

        // One series per endpoint whatever its state (the state is olla_endpoint_state{state=...}).
        perEndpoint(sb, endpoints, "olla_endpoint_up", "gauge", "1 when the endpoint is routable.",
                s -> s.routable() ? 1 : 0);
        if (health != null) {
            // Labels never change with the state: open is 1/0, the state is a fixed set of series.
            perEndpoint(sb, endpoints, "olla_endpoint_circuit_breaker_open", "gauge",
                    "1 while the endpoint's circuit breaker refuses requests.", s -> health.circuitOpen(s) ? 1 : 0);
            metric(sb, "olla_endpoint_circuit_breaker_state", "gauge",
                    "1 for the breaker's current state (closed, open, half_open), else 0.");
            for (EndpointState s : endpoints.all()) {
                String current = health.circuitState(s).name();
                for (dev.olla.health.CircuitBreaker.State st : dev.olla.health.CircuitBreaker.State.values()) {
                    sb.append("olla_endpoint_circuit_breaker_state{endpoint=\"").append(esc(s.name()))
                            .append("\",state=\"").append(st.name().toLowerCase(Locale.ROOT)).append("\"} ")
                            .append(st.name().equals(current) ? 1 : 0).append('\n');
                }
            }
        }
        perEndpoint(sb, endpoints, "olla_endpoint_requests_total", "counter", "Attempts sent to the endpoint.",
                s -> (double) s.requests());
        perEndpoint(sb, endpoints, "olla_endpoint_failures_total", "counter", "Attempts that failed.",
                s -> (double) s.failures());
        perEndpoint(sb, endpoints, "olla_endpoint_connections", "gauge", "Requests in flight.",
                s -> (double) s.inFlight());
        perEndpoint(sb, endpoints, "olla_endpoint_success_rate_percent", "gauge", "Successful attempts, percent.",
                EndpointState::successRate);
        perEndpoint(sb, endpoints, "olla_endpoint_avg_latency_ms", "gauge", "Average attempt duration.",
                EndpointState::averageLatencyMillis);
        perEndpoint(sb, endpoints, "olla_endpoint_traffic_bytes", "counter", "Response bytes relayed.",
                s -> (double) s.bytes());
        perEndpoint(sb, endpoints, "olla_endpoint_priority", "gauge", "Configured priority.",
                s -> (double) s.endpoint().priority());
        perEndpoint(sb, endpoints, "olla_endpoint_models_count", "gauge", "Models discovered.",
                s -> (double) modelCount.applyAsInt(s));
        models(sb, models);
        return sb.toString();
    }

    /** olla_models_*, olla_model_*{model}, olla_model_endpoint_*{model,endpoint}. */
    @SuppressWarnings("unchecked")
    private static void models(StringBuilder sb, ModelStats stats) {
        Map<String, Object> snap = stats.snapshot(true);
        List<Map<String, Object>> rows = (List<Map<String, Object>>) snap.get("models");
        Map<String, Object> summary = (Map<String, Object>) snap.get("summary");
        gauge(sb, "olla_models_total", "Models with statistics.", ((Number) summary.get("total_models")).doubleValue());
        gauge(sb, "olla_models_active", "Models requested.", ((Number) summary.get("active_models")).doubleValue());
        counter(sb, "olla_models_requests_total", "Requests that named a model.",
                ((Number) summary.get("total_requests")).longValue());
        gauge(sb, "olla_models_success_rate_percent", "Successful model requests, percent.",
                ((Number) summary.get("overall_success_rate")).doubleValue());
        counter(sb, "olla_models_traffic_bytes", "Response bytes of model requests.",
                ((Number) summary.get("total_traffic")).longValue());
        String[][] perModel = {
            {"olla_model_requests_total", "counter", "total_requests", "Requests for the model."},
            {"olla_model_successful_requests_total", "counter", "successful_requests", "Successful requests."},
            {"olla_model_failed_requests_total", "counter", "failed_requests", "Failed requests."},
            {"olla_model_success_rate_percent", "gauge", "success_rate", "Successful requests, percent."},
            {"olla_model_traffic_bytes", "counter", "total_traffic", "Response bytes."},
            {"olla_model_avg_latency_ms", "gauge", "average_latency", "Average request duration."},
            {"olla_model_p95_latency_ms", "gauge", "p95_latency", "95th percentile request duration."},
            {"olla_model_p99_latency_ms", "gauge", "p99_latency", "99th percentile request duration."},
            {"olla_model_unique_clients", "gauge", "unique_clients", "Distinct client addresses."},
            {"olla_model_routing_hits_total", "counter", "routing_hits", "Requests routed to an endpoint with the model."},
            {"olla_model_routing_misses_total", "counter", "routing_misses", "Requests rejected by model routing."},
            {"olla_model_routing_fallbacks_total", "counter", "routing_fallbacks", "Requests routed by fallback."},
        };
        for (String[] m : perModel) {
            metric(sb, m[0], m[1], m[3]);
            for (Map<String, Object> row : rows) {
                sb.append(m[0]).append("{model=\"").append(esc((String) row.get("name"))).append("\"} ")
                        .append(num(((Number) row.get(m[2])).doubleValue())).append('\n');
            }
        }
        String[][] perPair = {
            {"olla_model_endpoint_requests_total", "counter", "requests", "Requests for the model on the endpoint."},
            {"olla_model_endpoint_success_rate_percent", "gauge", "success_rate", "Successful requests, percent."},
            {"olla_model_endpoint_avg_latency_ms", "gauge", "average_latency", "Average request duration."},
        };
        for (String[] m : perPair) {
            metric(sb, m[0], m[1], m[3]);
            for (Map<String, Object> row : rows) {
                Map<String, Map<String, Object>> eps = (Map<String, Map<String, Object>>) row.get("endpoint_breakdown");
                String model = esc((String) row.get("name"));
                eps.forEach((ep, x) -> sb.append(m[0]).append("{model=\"").append(model).append("\",endpoint=\"")
                        .append(esc(ep)).append("\"} ").append(num(((Number) x.get(m[2])).doubleValue())).append('\n'));
            }
        }
    }

    private interface Value {
        double of(EndpointState s);
    }

    private static void perEndpoint(StringBuilder sb, EndpointRegistry endpoints, String name, String type,
            String help, Value v) {
        metric(sb, name, type, help);
        for (EndpointState s : endpoints.all()) {
            sb.append(name).append("{endpoint=\"").append(esc(s.name())).append("\"} ").append(num(v.of(s)))
                    .append('\n');
        }
    }

    private static void metric(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, double value) {
        metric(sb, name, "gauge", help);
        sb.append(name).append(' ').append(num(value)).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        metric(sb, name, "counter", help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3f", v);
    }

    /** Label values: backslash, quote and newline escaped. */
    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
