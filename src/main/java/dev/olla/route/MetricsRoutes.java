package dev.olla.route;

import dev.olla.BuildInfo;
import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.proxy.ProxyStats;
import dev.olla.server.Router;
import dev.olla.server.ServerStats;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * {@code GET /internal/metrics}: Prometheus text exposition (format 0.0.4) of the counters Olla
 * already keeps, with the original's metric names. Written by hand: a few dozen lines of text
 * from existing counters do not justify a metrics library and its registry on the request path.
 */
public final class MetricsRoutes {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsRoutes() {}

    public static void register(Router router, EndpointRegistry endpoints, ServerStats server, ProxyStats proxy,
            OllaConfig config, ToIntFunction<EndpointState> modelCount) {
        register(router, endpoints, server, proxy, config, modelCount, null);
    }

    /** @param health the breakers to show per endpoint, or null */
    public static void register(Router router, EndpointRegistry endpoints, ServerStats server, ProxyStats proxy,
            OllaConfig config, ToIntFunction<EndpointState> modelCount, dev.olla.health.HealthMonitor health) {
        router.get("/internal/metrics", ex -> ex.respond(HttpResponseStatus.OK, CONTENT_TYPE,
                render(endpoints, server, proxy, config, modelCount, health).getBytes(StandardCharsets.UTF_8)));
    }

    static String render(EndpointRegistry endpoints, ServerStats server, ProxyStats proxy, OllaConfig config,
            ToIntFunction<EndpointState> modelCount) {
        return render(endpoints, server, proxy, config, modelCount, null);
    }

    static String render(EndpointRegistry endpoints, ServerStats server, ProxyStats proxy, OllaConfig config,
            ToIntFunction<EndpointState> modelCount, dev.olla.health.HealthMonitor health) {
        StringBuilder sb = new StringBuilder(4096);
        BuildInfo b = BuildInfo.current();
        metric(sb, "olla_info", "gauge", "Build and proxy settings.");
        sb.append("olla_info{version=\"").append(esc(b.version())).append("\",commit=\"").append(esc(b.commit()))
                .append("\",engine=\"").append(ConfigEnums.yamlName(config.proxy().engine()))
                .append("\",profile=\"").append(ConfigEnums.yamlName(config.proxy().profile()))
                .append("\",balancer=\"").append(ConfigEnums.yamlName(config.proxy().loadBalancer())).append("\"} 1\n");
        int healthy = 0;
        long traffic = 0;
        for (EndpointState s : endpoints.all()) {
            if (s.status() == EndpointStatus.HEALTHY) {
                healthy++;
            }
            traffic += s.bytes();
        }
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
        counter(sb, "olla_total_traffic_bytes", "Response bytes relayed from backends.", traffic);
        counter(sb, "olla_security_rate_limit_violations_total", "Requests refused by rate limits.",
                server.rateLimitViolations());
        counter(sb, "olla_security_size_limit_violations_total", "Requests refused by size limits.",
                server.sizeViolations());

        metric(sb, "olla_endpoint_up", "gauge", "1 when the endpoint is routable.");
        for (EndpointState s : endpoints.all()) {
            sb.append("olla_endpoint_up{endpoint=\"").append(esc(s.name())).append("\",status=\"")
                    .append(s.status().wire()).append("\"} ").append(s.routable() ? 1 : 0).append('\n');
        }
        if (health != null) {
            metric(sb, "olla_endpoint_circuit_breaker_open", "gauge",
                    "1 while the endpoint's circuit breaker refuses requests (state: closed, open, half_open).");
            for (EndpointState s : endpoints.all()) {
                sb.append("olla_endpoint_circuit_breaker_open{endpoint=\"").append(esc(s.name())).append("\",state=\"")
                        .append(health.circuitState(s).name().toLowerCase(Locale.ROOT)).append("\"} ")
                        .append(health.circuitOpen(s) ? 1 : 0).append('\n');
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
        return sb.toString();
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
