package dev.olla.route;

import dev.olla.capacity.CapacityView;
import dev.olla.endpoint.BackendLoad;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.proxy.ProxyService;
import dev.olla.server.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /internal/status/placement}: every endpoint's slots, cap, loaded models and Olla's queue
 * (depth, waits, timeouts), plus the same figures as Prometheus text for {@code /internal/metrics}.
 */
public final class PlacementRoutes {
    private PlacementRoutes() {}

    public static void register(Router router, EndpointRegistry endpoints, ProxyService proxy) {
        router.get("/internal/status/placement", ex -> ex.json(HttpResponseStatus.OK, status(endpoints, proxy)));
    }

    static Map<String, Object> status(EndpointRegistry endpoints, ProxyService proxy) {
        Map<String, Integer> queued = proxy.queuedByEndpoint();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("queue", proxy.queueStats());
        Map<String, Object> eps = new LinkedHashMap<>();
        for (EndpointState s : endpoints.all()) {
            eps.put(s.name(), CapacityView.of(s, queued.getOrDefault(s.name(), 0)));
        }
        body.put("endpoints", eps);
        return body;
    }

    /** Prometheus text of the placement figures (appended to {@code /internal/metrics}). */
    public static String metrics(EndpointRegistry endpoints, ProxyService proxy) {
        StringBuilder sb = new StringBuilder(1024);
        List<EndpointState> all = endpoints.all();
        Map<String, Integer> queued = proxy.queuedByEndpoint();
        family(sb, "olla_endpoint_slots_total", "gauge", "Parallel slots the backend publishes (absent = unknown).");
        for (EndpointState s : all) {
            BackendLoad l = s.load();
            if (l.slotsTotal() >= 0) {
                line(sb, "olla_endpoint_slots_total", s, l.slotsTotal());
            }
        }
        family(sb, "olla_endpoint_slots_busy", "gauge", "Slots the backend reports busy (absent = unknown).");
        for (EndpointState s : all) {
            if (s.load().slotsBusy() >= 0) {
                line(sb, "olla_endpoint_slots_busy", s, s.load().slotsBusy());
            }
        }
        family(sb, "olla_endpoint_backend_waiting", "gauge", "Requests waiting inside the backend (absent = unknown).");
        for (EndpointState s : all) {
            if (s.load().waiting() >= 0) {
                line(sb, "olla_endpoint_backend_waiting", s, s.load().waiting());
            }
        }
        family(sb, "olla_endpoint_in_flight", "gauge", "Olla's requests in flight to the endpoint.");
        for (EndpointState s : all) {
            line(sb, "olla_endpoint_in_flight", s, s.inFlight());
        }
        family(sb, "olla_endpoint_max_concurrent", "gauge", "Olla's cap on the endpoint (absent = unlimited).");
        for (EndpointState s : all) {
            if (s.cap() != Integer.MAX_VALUE) {
                line(sb, "olla_endpoint_max_concurrent", s, s.cap());
            }
        }
        family(sb, "olla_endpoint_queued", "gauge", "Requests in Olla's queue that could use the endpoint.");
        for (EndpointState s : all) {
            line(sb, "olla_endpoint_queued", s, queued.getOrDefault(s.name(), 0));
        }
        family(sb, "olla_endpoint_model_loaded", "gauge", "1 for each model the backend reports loaded.");
        for (EndpointState s : all) {
            Map<String, java.time.Instant> loaded = s.load().loaded();
            if (loaded != null) {
                for (String m : new java.util.TreeSet<>(loaded.keySet())) {
                    sb.append("olla_endpoint_model_loaded{endpoint=\"").append(esc(s.name())).append("\",model=\"")
                            .append(esc(m)).append("\"} 1\n");
                }
            }
        }
        Map<String, Object> q = proxy.queueStats();
        family(sb, "olla_queue_depth", "gauge", "Requests waiting in Olla's queue.");
        sb.append("olla_queue_depth ").append(q.get("depth")).append('\n');
        counterLine(sb, "olla_queue_enqueued_total", "Requests that had to wait for a slot.", q.get("enqueued_total"));
        counterLine(sb, "olla_queue_admitted_total", "Queued requests that got a slot.", q.get("admitted_total"));
        counterLine(sb, "olla_queue_timeouts_total", "Queued requests answered 503 after proxy.queue.timeout.",
                q.get("timed_out_total"));
        counterLine(sb, "olla_queue_rejected_total", "Requests answered 503 because the queue was full.",
                q.get("rejected_total"));
        family(sb, "olla_queue_wait_seconds", "summary", "Time requests waited in Olla's queue, by quantile.");
        sb.append("olla_queue_wait_seconds{quantile=\"0.5\"} ").append(fmt(((Double) q.get("wait_ms_p50")) / 1000.0)).append('\n');
        sb.append("olla_queue_wait_seconds{quantile=\"0.99\"} ").append(fmt(((Double) q.get("wait_ms_p99")) / 1000.0)).append('\n');
        counterLine(sb, "olla_queue_wait_seconds_total", "Seconds requests spent waiting in Olla's queue.",
                fmt((Double) q.get("wait_seconds_sum")));
        return sb.toString();
    }

    private static void family(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counterLine(StringBuilder sb, String name, String help, Object value) {
        family(sb, name, "counter", help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static void line(StringBuilder sb, String name, EndpointState s, long v) {
        sb.append(name).append("{endpoint=\"").append(esc(s.name())).append("\"} ").append(v).append('\n');
    }

    private static String fmt(double d) {
        return String.format(java.util.Locale.ROOT, "%.6f", d);
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
