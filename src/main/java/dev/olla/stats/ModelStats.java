package dev.olla.stats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Per-model request statistics for {@code /internal/stats/models}: counts, traffic, latency
 * percentiles (HdrHistogram), unique clients and routing outcomes, overall and per endpoint.
 * Only names Olla knows (the {@code known} test: served by some endpoint, or a configured alias)
 * get their own row; every other name a client sends is counted in the one {@link #UNKNOWN} row, so
 * random names cannot fill the table. Recording is lock-free; at most {@link #MAX_MODELS} rows are
 * kept (later ones are counted in {@code untracked_requests} only) and {@link #MAX_CLIENTS}
 * distinct clients per row.
 */
public final class ModelStats {
    static final int MAX_MODELS = 1000;
    static final int MAX_CLIENTS = 10_000;
    /** The row of every requested name that no endpoint serves. */
    public static final String UNKNOWN = "unknown";

    /** How model routing treated the request. */
    public enum Routing { HIT, MISS, FALLBACK, NONE }

    private final Map<String, Entry> models = new ConcurrentHashMap<>();
    private final LongAdder untracked = new LongAdder();
    private final Predicate<String> known;
    private final TokenStats tokens = new TokenStats();

    /** @param known whether a requested (routing) name is a model Olla knows; others count as {@link #UNKNOWN} */
    public ModelStats(Predicate<String> known) {
        this.known = known;
    }

    private static final class Counters {
        final LongAdder requests = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder latencyMicros = new LongAdder();

        void add(boolean success, long bytesOut, long micros) {
            requests.increment();
            if (!success) {
                failures.increment();
            }
            bytes.add(bytesOut);
            latencyMicros.add(micros);
        }
    }

    private static final class Entry {
        final Counters all = new Counters();
        final Map<String, Counters> byEndpoint = new ConcurrentHashMap<>();
        final ConcurrentHistogram latency = new ConcurrentHistogram(3_600_000_000L, 2);
        final Set<String> clients = ConcurrentHashMap.newKeySet();
        final LongAdder hits = new LongAdder();
        final LongAdder misses = new LongAdder();
        final LongAdder fallbacks = new LongAdder();
        final AtomicLong lastRequestedMillis = new AtomicLong();
    }

    /** Token figures per model (same keys as these rows) and per endpoint. */
    public TokenStats tokens() {
        return tokens;
    }

    /** The row a requested name is counted in: itself when known (or already a row), else {@link #UNKNOWN}. */
    public String key(String requested) {
        if (requested == null) {
            return null;
        }
        return models.containsKey(requested) || known.test(requested) ? requested : UNKNOWN;
    }

    /**
     * Records one finished request for {@code requested} (routing name); {@code endpoint} may be null.
     *
     * @return the row it was counted in (see {@link #key}), or null when none
     */
    public String record(String requested, String endpoint, boolean success, long bytes, long micros, String clientIp,
            Routing routing) {
        if (requested == null) {
            return null;
        }
        Entry e = models.get(requested);
        String model = requested;
        if (e == null && !known.test(requested)) {
            model = UNKNOWN;
            e = models.get(UNKNOWN);
        }
        if (e == null) {
            if (models.size() >= MAX_MODELS) {
                untracked.increment();
                return null;
            }
            e = models.computeIfAbsent(model, k -> new Entry());
        }
        e.all.add(success, bytes, micros);
        if (endpoint != null) {
            Counters c = e.byEndpoint.get(endpoint);
            if (c == null) {
                c = e.byEndpoint.computeIfAbsent(endpoint, k -> new Counters());
            }
            c.add(success, bytes, micros);
        }
        e.latency.recordValue(Math.max(1, Math.min(micros, 3_600_000_000L)));
        if (clientIp != null && !e.clients.contains(clientIp) && e.clients.size() < MAX_CLIENTS) {
            e.clients.add(clientIp);
        }
        switch (routing) {
            case HIT -> e.hits.increment();
            case MISS -> e.misses.increment();
            case FALLBACK -> e.fallbacks.increment();
            default -> { }
        }
        long now = System.currentTimeMillis();
        if (e.lastRequestedMillis.getOpaque() != now) {
            e.lastRequestedMillis.setRelease(now); // a display value: no fence per request, no store when unchanged
        }
        return model;
    }

    /** The {@code /internal/stats/models} body. */
    public Map<String, Object> snapshot(boolean includeEndpoints) {
        List<Map<String, Object>> list = new ArrayList<>();
        long totalRequests = 0;
        long totalFailures = 0;
        long totalBytes = 0;
        String most = null;
        String least = null;
        long mostN = -1;
        long leastN = Long.MAX_VALUE;
        List<String> names = new ArrayList<>(models.keySet());
        names.sort(Comparator.naturalOrder());
        for (String name : names) {
            Entry e = models.get(name);
            long n = e.all.requests.sum();
            long f = e.all.failures.sum();
            long b = e.all.bytes.sum();
            totalRequests += n;
            totalFailures += f;
            totalBytes += b;
            if (n > mostN) {
                mostN = n;
                most = name;
            }
            if (n < leastN) {
                leastN = n;
                least = name;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("success_rate", n == 0 ? 0.0 : round(100.0 * (n - f) / n));
            m.put("total_traffic", b);
            m.put("average_latency", n == 0 ? 0.0 : round(e.all.latencyMicros.sum() / 1000.0 / n));
            m.put("p95_latency", round(e.latency.getValueAtPercentile(95) / 1000.0));
            m.put("p99_latency", round(e.latency.getValueAtPercentile(99) / 1000.0));
            m.put("last_requested", Instant.ofEpochMilli(e.lastRequestedMillis.get()).toString());
            m.put("total_requests", n);
            m.put("successful_requests", n - f);
            m.put("failed_requests", f);
            m.put("unique_clients", e.clients.size());
            m.put("routing_hits", e.hits.sum());
            m.put("routing_misses", e.misses.sum());
            m.put("routing_fallbacks", e.fallbacks.sum());
            m.put("tokens", TokenStats.view(tokens.model(name)));
            if (includeEndpoints) {
                Map<String, Object> breakdown = new LinkedHashMap<>();
                e.byEndpoint.forEach((ep, c) -> {
                    long en = c.requests.sum();
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("requests", en);
                    x.put("success_rate", en == 0 ? 0.0 : round(100.0 * (en - c.failures.sum()) / en));
                    x.put("average_latency", en == 0 ? 0.0 : round(c.latencyMicros.sum() / 1000.0 / en));
                    x.put("traffic", c.bytes.sum());
                    breakdown.put(ep, x);
                });
                m.put("endpoint_breakdown", breakdown);
            }
            list.add(m);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("overall_success_rate",
                totalRequests == 0 ? 0.0 : round(100.0 * (totalRequests - totalFailures) / totalRequests));
        summary.put("total_traffic", totalBytes);
        summary.put("most_popular_model", most == null ? "" : most);
        summary.put("least_popular_model", least == null ? "" : least);
        summary.put("total_models", names.size());
        summary.put("active_models", names.size());
        summary.put("total_requests", totalRequests);
        summary.put("untracked_requests", untracked.sum());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", Instant.now().toString());
        body.put("models", list);
        body.put("summary", summary);
        return body;
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
