package dev.olla.route;

import static dev.olla.route.StatusText.bytes;
import static dev.olla.route.StatusText.latency;
import static dev.olla.route.StatusText.percentage;
import static dev.olla.route.StatusText.putInstant;
import static dev.olla.route.StatusText.timeAgo;
import static dev.olla.route.StatusText.timeUntil;

import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.health.CircuitBreaker;
import dev.olla.health.HealthMonitor;
import dev.olla.stats.TokenStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One endpoint as {@link StatusRoutes} shows it: the item of {@code /internal/status}'s
 * {@code endpoints} list and of {@code /internal/status/endpoints}, with the pieces both share
 * (stable ids, issues, circuit state, scrubbed status reasons) and the listing order.
 */
final class EndpointViews {
    private final StatusRoutes.Sources src;
    private final HealthMonitor health;
    private final Map<EndpointState, String> ids;

    EndpointViews(StatusRoutes.Sources src) {
        this.src = src;
        this.health = src.health();
        this.ids = endpointIds(src.registry().all());
    }

    /** The fields both endpoint listings start with (never credentials: the URL is sanitised). */
    private Map<String, Object> identity(EndpointState s) {
        Endpoint e = s.endpoint();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", ids.get(s));
        m.put("name", s.name());
        m.put("type", e.type());
        m.put("status", s.status().wire());
        m.put("url", e.sanitizedUrl());
        m.put("priority", e.priority());
        return m;
    }

    private void putTokens(Map<String, Object> m, EndpointState s) {
        if (src.tokens() != null) {
            m.put("tokens", TokenStats.view(src.tokens().endpoint(s.name())));
        }
    }

    Map<String, Object> statusItem(EndpointState s, Instant now) {
        Endpoint e = s.endpoint();
        long n = s.requests();
        Map<String, Object> m = identity(s);
        putTokens(m, s);
        m.put("connections", s.inFlight());
        m.put("requests", n);
        m.put("success_rate", n > 0 ? percentage(s.successRate()) : "N/A");
        m.put("avg_latency", latency(Math.round(s.averageLatencyMillis())));
        m.put("traffic", bytes(s.bytes()));
        m.put("last_check", timeAgo(s.lastCheck(), now));
        m.put("next_check", timeUntil(s.nextCheck(), now));
        m.put("issues", String.join(", ", issues(s)));
        m.put("models", Map.of("count", src.modelCount().applyAsInt(s)));
        if (n > 0) {
            m.put("avg_latency_ms", Math.round(s.averageLatencyMillis()));
        }
        putInstant(m, "health_check_at", s.lastCheck());
        putInstant(m, "next_check_at", s.nextCheck());
        m.put("circuit_breaker", circuit(s));
        m.put("status_reason", scrub(s.statusReason(), e));
        m.put("capacity", dev.olla.capacity.CapacityView.of(s, src.queued().applyAsInt(s)));
        return m;
    }

    Map<String, Object> endpointItem(EndpointState s, Instant now) {
        Endpoint e = s.endpoint();
        long n = s.requests();
        Map<String, Object> m = identity(s);
        m.put("model_count", src.modelCount().applyAsInt(s));
        m.put("request_count", n);
        m.put("success_rate", n > 0 ? percentage(s.successRate()) : "N/A");
        m.put("health_check", s.lastCheck() == null ? "" : timeAgo(s.lastCheck(), now));
        if (s.lastCheck() != null && s.lastLatencyMillis() > 0) {
            m.put("response_time", latency(s.lastLatencyMillis()));
        }
        List<String> issues = issues(s);
        if (!issues.isEmpty()) {
            m.put("issues", String.join(", ", issues));
        }
        m.put("active_connections", s.inFlight());
        if (n > 0) {
            m.put("avg_latency_ms", Math.round(s.averageLatencyMillis()));
        }
        putInstant(m, "health_check_at", s.lastCheck());
        putInstant(m, "next_check_at", s.nextCheck());
        m.put("consecutive_failures", s.consecutiveFailures());
        m.put("circuit_breaker", circuit(s));
        if (health != null && health.breaker(s) != null) {
            m.put("circuit_breaker_failures", health.breaker(s).consecutiveFailures());
            if (health.breaker(s).ejected()) {
                m.put("circuit_breaker_reason", "consecutive 5xx");
            }
        }
        putTokens(m, s);
        m.put("status_reason", scrub(s.statusReason(), e));
        m.put("capacity", dev.olla.capacity.CapacityView.of(s, src.queued().applyAsInt(s)));
        return m;
    }

    private List<String> issues(EndpointState s) {
        List<String> issues = new ArrayList<>(4);
        EndpointStatus st = s.status();
        if (s.consecutiveFailures() > 3) {
            issues.add("consecutive failures");
        }
        long n = s.requests();
        if (n > 10 && s.successRate() < 90.0) {
            issues.add("low success rate");
        }
        if (n > 0 && s.averageLatencyMillis() > 5000) {
            issues.add("high latency");
        }
        if (st == EndpointStatus.OFFLINE || st == EndpointStatus.UNHEALTHY) {
            issues.add("unavailable");
        } else if (st == EndpointStatus.CONFIG_ERROR) {
            issues.add("configuration error");
        } else if (st == EndpointStatus.RATE_LIMITED) {
            issues.add("rate limited");
        }
        if (health != null && health.circuitOpen(s)) {
            issues.add("circuit breaker open");
        }
        return issues;
    }

    private String circuit(EndpointState s) {
        CircuitBreaker.State c = health == null ? CircuitBreaker.State.CLOSED : health.circuitState(s);
        return c.name().toLowerCase(Locale.ROOT);
    }

    /** Keeps secrets out of a status reason: header values (auth) and the URL's query. */
    static String scrub(String reason, Endpoint e) {
        if (reason == null) {
            return "";
        }
        String r = reason;
        for (String v : e.requestHeaders().values()) {
            if (v != null && v.length() >= 4 && r.contains(v)) {
                r = r.replace(v, "[redacted]");
            }
        }
        String q = e.url().getRawQuery();
        if (q != null && !q.isEmpty() && r.contains(q)) {
            r = r.replace(q, "[redacted]");
        }
        String ui = e.url().getRawUserInfo();
        if (ui != null && !ui.isEmpty() && r.contains(ui)) {
            r = r.replace(ui, "[redacted]");
        }
        return r;
    }

    /** Priority descending, healthy first within a priority, then name. */
    static List<EndpointState> sorted(Collection<EndpointState> all) {
        List<EndpointState> list = new ArrayList<>(all);
        list.sort(Comparator.comparingInt((EndpointState s) -> -s.endpoint().priority())
                .thenComparing(s -> s.status() != EndpointStatus.HEALTHY)
                .thenComparing(EndpointState::name));
        return list;
    }

    /** Base-36 FNV-1a (32-bit) of the sanitised URL; {@code -0}, {@code -1}... on collisions. */
    static Map<EndpointState, String> endpointIds(List<EndpointState> all) {
        Map<EndpointState, String> ids = new HashMap<>();
        Map<String, List<EndpointState>> byId = new LinkedHashMap<>();
        for (EndpointState s : all) {
            String id = Long.toString(fnv32a(s.endpoint().sanitizedUrl()), 36);
            byId.computeIfAbsent(id, k -> new ArrayList<>()).add(s);
        }
        byId.forEach((id, list) -> {
            if (list.size() == 1) {
                ids.put(list.get(0), id);
            } else {
                for (int i = 0; i < list.size(); i++) {
                    ids.put(list.get(i), id + "-" + i);
                }
            }
        });
        return ids;
    }

    static long fnv32a(String s) {
        int h = 0x811c9dc5;
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x01000193;
        }
        return h & 0xffffffffL;
    }
}
