package dev.olla.route;

import dev.olla.BuildInfo;
import dev.olla.config.ConfigEnums;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.health.CircuitBreaker;
import dev.olla.health.HealthMonitor;
import dev.olla.server.Exchange;
import dev.olla.server.Json;
import dev.olla.server.Router;
import dev.olla.server.ServerStats;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.zip.GZIPOutputStream;

/**
 * {@code GET /internal/status}, {@code /internal/status/endpoints} and {@code /internal/process}.
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
    static final Set<String> VOLATILE_KEYS = Set.of("timestamp", "uptime", "last_check", "next_check",
            "health_check", "last_model_sync");
    private static final int GZIP_MIN = 256;

    private final EndpointRegistry registry;
    private final HealthMonitor health;
    private final ServerStats serverStats;
    private final OllaConfig config;
    private final ToIntFunction<EndpointState> modelCount;
    private final Map<EndpointState, String> ids;
    private final Instant startTime;
    private final dev.olla.proxy.ProxyStats proxyStats;
    private java.util.function.Supplier<Map<String, Object>> state;
    private ToIntFunction<EndpointState> queued = s -> 0;

    private StatusRoutes(EndpointRegistry registry, HealthMonitor health, ServerStats serverStats, OllaConfig config,
            ToIntFunction<EndpointState> modelCount, dev.olla.proxy.ProxyStats proxyStats) {
        this.proxyStats = proxyStats;
        this.registry = registry;
        this.health = health;
        this.serverStats = serverStats;
        this.config = config;
        this.modelCount = modelCount;
        this.ids = endpointIds(registry.all());
        this.startTime = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
    }

    public static void register(Router router, EndpointRegistry registry, HealthMonitor health,
            ServerStats serverStats, OllaConfig config) {
        register(router, registry, health, serverStats, config, s -> 0);
    }

    /** @param modelCount models discovered per endpoint (the model registry plugs in here) */
    public static void register(Router router, EndpointRegistry registry, HealthMonitor health,
            ServerStats serverStats, OllaConfig config, ToIntFunction<EndpointState> modelCount) {
        register(router, registry, health, serverStats, config, modelCount, null);
    }

    /** @param proxyStats the proxy's counters (availability picks), or null */
    public static void register(Router router, EndpointRegistry registry, HealthMonitor health,
            ServerStats serverStats, OllaConfig config, ToIntFunction<EndpointState> modelCount,
            dev.olla.proxy.ProxyStats proxyStats) {
        register(router, registry, health, serverStats, config, modelCount, proxyStats, null);
    }

    /** @param state the {@code state} block (shared state: type, connected, degraded), or null */
    public static void register(Router router, EndpointRegistry registry, HealthMonitor health,
            ServerStats serverStats, OllaConfig config, ToIntFunction<EndpointState> modelCount,
            dev.olla.proxy.ProxyStats proxyStats, java.util.function.Supplier<Map<String, Object>> state) {
        register(router, registry, health, serverStats, config, modelCount, proxyStats, state, null);
    }

    /** @param tokens token figures per endpoint (shown as {@code tokens} in each endpoint), or null */
    public static void register(Router router, EndpointRegistry registry, HealthMonitor health,
            ServerStats serverStats, OllaConfig config, ToIntFunction<EndpointState> modelCount,
            dev.olla.proxy.ProxyStats proxyStats, java.util.function.Supplier<Map<String, Object>> state,
            dev.olla.stats.TokenStats tokens) {
        register(router, registry, health, serverStats, config, modelCount, proxyStats, state, tokens, null);
    }

    /** @param queued requests waiting in Olla's queue per endpoint (the proxy plugs in here), or null */
    public static void register(Router router, EndpointRegistry registry, HealthMonitor health,
            ServerStats serverStats, OllaConfig config, ToIntFunction<EndpointState> modelCount,
            dev.olla.proxy.ProxyStats proxyStats, java.util.function.Supplier<Map<String, Object>> state,
            dev.olla.stats.TokenStats tokens, ToIntFunction<EndpointState> queued) {
        StatusRoutes r = new StatusRoutes(registry, health, serverStats, config,
                modelCount == null ? s -> 0 : modelCount, proxyStats);
        r.state = state;
        r.tokens = tokens;
        r.queued = queued == null ? s -> 0 : queued;
        router.get("/internal/status", ex -> sendCacheable(ex, r.status()));
        router.get("/internal/status/endpoints", ex -> sendCacheable(ex, r.endpoints()));
        router.get("/internal/process", ex -> ex.json(HttpResponseStatus.OK, r.process()));
    }

    // ------------------------------------------------------------------ /internal/status

    Map<String, Object> status() {
        Instant now = Instant.now();
        List<EndpointState> all = sorted(registry.all());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());

        OllaConfig.Proxy p = config.proxy();
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
            endpoints.add(statusItem(s, now));
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
        if (state != null) {
            body.put("state", state.get());
        }
        return body;
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

    private dev.olla.stats.TokenStats tokens;

    private void putTokens(Map<String, Object> m, EndpointState s) {
        if (tokens != null) {
            m.put("tokens", dev.olla.stats.TokenStats.view(tokens.endpoint(s.name())));
        }
    }

    private Map<String, Object> statusItem(EndpointState s, Instant now) {
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
        m.put("models", Map.of("count", modelCount.applyAsInt(s)));
        if (n > 0) {
            m.put("avg_latency_ms", Math.round(s.averageLatencyMillis()));
        }
        putInstant(m, "health_check_at", s.lastCheck());
        putInstant(m, "next_check_at", s.nextCheck());
        m.put("circuit_breaker", circuit(s));
        m.put("status_reason", scrub(s.statusReason(), e));
        m.put("capacity", dev.olla.capacity.CapacityView.of(s, queued.applyAsInt(s)));
        return m;
    }

    // ------------------------------------------------------------------ /internal/status/endpoints

    Map<String, Object> endpoints() {
        Instant now = Instant.now();
        List<EndpointState> all = sorted(registry.all());
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
            items.add(endpointItem(s, now));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());
        body.put("endpoints", items);
        body.put("total_count", all.size());
        body.put("healthy_count", healthy);
        body.put("routable_count", routable);
        return body;
    }

    private Map<String, Object> endpointItem(EndpointState s, Instant now) {
        Endpoint e = s.endpoint();
        long n = s.requests();
        Map<String, Object> m = identity(s);
        m.put("model_count", modelCount.applyAsInt(s));
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
        m.put("capacity", dev.olla.capacity.CapacityView.of(s, queued.applyAsInt(s)));
        return m;
    }

    // ------------------------------------------------------------------ /internal/process

    Map<String, Object> process() {
        Instant now = Instant.now();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());

        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        long heapLimit = heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("heap_used", bytes(heap.getUsed()));
        memory.put("heap_committed", bytes(heap.getCommitted()));
        memory.put("heap_max", heap.getMax() > 0 ? bytes(heap.getMax()) : "unlimited");
        memory.put("non_heap_used", bytes(nonHeap.getUsed()));
        memory.put("non_heap_committed", bytes(nonHeap.getCommitted()));
        memory.put("heap_used_bytes", heap.getUsed());
        memory.put("heap_committed_bytes", heap.getCommitted());
        memory.put("heap_max_bytes", heap.getMax());
        memory.put("non_heap_used_bytes", nonHeap.getUsed());
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            String key = pool.getName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_") + "_buffers";
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("count", pool.getCount());
            b.put("used", bytes(Math.max(0, pool.getMemoryUsed())));
            b.put("used_bytes", pool.getMemoryUsed());
            b.put("capacity_bytes", pool.getTotalCapacity());
            memory.put(key, b);
        }
        memory.put("netty", nettyMemory());
        memory.put("memory_pressure", memoryPressure(heap.getUsed(), heapLimit));
        body.put("memory", memory);

        Map<String, Object> gc = new LinkedHashMap<>();
        List<Map<String, Object>> collectors = new ArrayList<>();
        long cycles = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            long c = Math.max(0, g.getCollectionCount());
            long t = Math.max(0, g.getCollectionTime());
            cycles += c;
            gcMillis += t;
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("name", g.getName());
            one.put("count", c);
            one.put("time_ms", t);
            collectors.add(one);
        }
        gc.put("num_gc_cycles", cycles);
        gc.put("total_gc_time", duration(Duration.ofMillis(gcMillis)));
        gc.put("total_gc_time_ms", gcMillis);
        if (cycles > 0) {
            gc.put("avg_gc_pause", duration(Duration.ofNanos(gcMillis * 1_000_000 / cycles)));
        }
        gc.put("collectors", collectors);
        body.put("garbage_collection", gc);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Object> t = new LinkedHashMap<>();
        int count = threads.getThreadCount();
        t.put("count", count);
        t.put("peak", threads.getPeakThreadCount());
        t.put("daemon", threads.getDaemonThreadCount());
        t.put("total_started", threads.getTotalStartedThreadCount());
        t.put("health_status", count > 1000 ? "critical" : count > 300 ? "warning" : "healthy");
        body.put("threads", t);

        Map<String, Object> runtime = new LinkedHashMap<>();
        runtime.put("uptime", duration(Duration.between(startTime, now)));
        runtime.put("start_time", startTime.toString());
        runtime.put("java_version", Runtime.version().toString());
        runtime.put("vm", System.getProperty("java.vm.name"));
        runtime.put("os", System.getProperty("os.name").toLowerCase(Locale.ROOT));
        runtime.put("arch", System.getProperty("os.arch"));
        runtime.put("num_cpu", Runtime.getRuntime().availableProcessors());
        runtime.put("pid", ProcessHandle.current().pid());
        body.put("runtime", runtime);
        return body;
    }

    /** Netty's pooled allocator (the olla engine's buffers), and the default one when different. */
    private static Map<String, Object> nettyMemory() {
        Map<String, Object> m = new LinkedHashMap<>();
        PooledByteBufAllocatorMetric pooled = PooledByteBufAllocator.DEFAULT.metric();
        m.put("pooled", allocatorMetric(pooled));
        Map<String, Object> arenas = new LinkedHashMap<>();
        arenas.put("heap", pooled.numHeapArenas());
        arenas.put("direct", pooled.numDirectArenas());
        m.put("pooled_arenas", arenas);
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        if (alloc != PooledByteBufAllocator.DEFAULT && alloc instanceof ByteBufAllocatorMetricProvider provider) {
            Map<String, Object> d = allocatorMetric(provider.metric());
            d.put("allocator", alloc.getClass().getSimpleName());
            m.put("default", d);
        }
        return m;
    }

    private static Map<String, Object> allocatorMetric(ByteBufAllocatorMetric metric) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("used_heap", bytes(Math.max(0, metric.usedHeapMemory())));
        m.put("used_direct", bytes(Math.max(0, metric.usedDirectMemory())));
        m.put("used_heap_bytes", metric.usedHeapMemory());
        m.put("used_direct_bytes", metric.usedDirectMemory());
        return m;
    }

    static String memoryPressure(long used, long limit) {
        if (limit <= 0) {
            return "LOW";
        }
        double ratio = (double) used / limit;
        return ratio < 0.70 ? "LOW" : ratio < 0.85 ? "MEDIUM" : "HIGH";
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
    private static List<EndpointState> sorted(Collection<EndpointState> all) {
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

    private static long fnv64a(byte[] data) {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static void putInstant(Map<String, Object> m, String key, Instant t) {
        if (t != null) {
            m.put(key, t.toString());
        }
    }

    // ------------------------------------------------------------------ formatting (as the original)

    static String percentage(double v) {
        if (v == 0) {
            return "0%";
        }
        if (v == 100.0) {
            return "100%";
        }
        return String.format(Locale.ROOT, "%.1f%%", v);
    }

    static String latency(long ms) {
        if (ms <= 0) {
            return "0ms";
        }
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return ms + "ms";
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB", "PB", "EB"};
        double v = b;
        int exp = -1;
        while (v >= 1024 && exp < units.length - 1) {
            v /= 1024;
            exp++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[exp]);
    }

    /** System uptime: {@code 45s}, {@code 12m}, {@code 3h 4m}, {@code 2d 5h}. */
    static String uptime(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return Math.round(s / 60.0) + "m";
        }
        long h = s / 3600;
        if (h < 24) {
            return h + "h " + (s / 60) % 60 + "m";
        }
        return h / 24 + "d " + h % 24 + "h";
    }

    /** Process durations: {@code 250ms}, {@code 12s}, {@code 3m4s}, {@code 1h2m3s}. */
    static String duration(Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            return d.toMillis() + "ms";
        }
        long s = d.toSeconds();
        long h = s / 3600;
        long m = (s / 60) % 60;
        long sec = s % 60;
        if (h > 0) {
            return h + "h" + m + "m" + sec + "s";
        }
        return m > 0 ? m + "m" + sec + "s" : sec + "s";
    }

    static String timeAgo(Instant t, Instant now) {
        if (t == null) {
            return "never";
        }
        return shortDuration(Duration.between(t, now)) + " ago";
    }

    static String timeUntil(Instant t, Instant now) {
        if (t == null) {
            return "unknown";
        }
        Duration d = Duration.between(now, t);
        if (d.isNegative() || d.isZero()) {
            return "now";
        }
        return "in " + shortDuration(d);
    }

    private static String shortDuration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return Math.round(s / 60.0) + "m";
        }
        if (s < 86400) {
            return Math.round(s / 3600.0) + "h";
        }
        return Math.round(s / 86400.0) + "d";
    }

    // ------------------------------------------------------------------ ETag, 304, gzip

    static void sendCacheable(Exchange ex, Map<String, Object> body) {
        byte[] json = Json.bytes(body);
        String etag = "W/\"" + Long.toString(fnv64a(Json.bytes(stable(body))) >>> 1, 36) + "\"";
        String inm = ex.requestHeaders().get(HttpHeaderNames.IF_NONE_MATCH);
        if (etagMatches(inm, etag)) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER);
            res.headers().set(HttpHeaderNames.ETAG, etag);
            res.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, no-cache");
            ex.respond(res);
            return;
        }
        byte[] content = json;
        boolean gzip = json.length >= GZIP_MIN && acceptsGzip(ex.requestHeaders().get(HttpHeaderNames.ACCEPT_ENCODING));
        if (gzip) {
            content = gzip(json);
        }
        boolean head = ex.method() == HttpMethod.HEAD;
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
        res.headers().set(HttpHeaderNames.ETAG, etag);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, no-cache");
        res.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
        if (gzip) {
            res.headers().set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP);
        }
        ex.respond(res);
    }

    /** A copy without the fields that change every second (they would defeat the ETag). */
    static Object stable(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (!VOLATILE_KEYS.contains((String) k)) {
                    out.put((String) k, stable(v));
                }
            });
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(stable(v)));
            return out;
        }
        return value;
    }

    static boolean etagMatches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null || ifNoneMatch.isEmpty() || ifNoneMatch.length() > 1024) {
            return false;
        }
        if (ifNoneMatch.strip().equals("*")) {
            return true;
        }
        String current = stripWeak(etag);
        for (String t : ifNoneMatch.split(",")) {
            if (stripWeak(t.strip()).equals(current)) {
                return true;
            }
        }
        return false;
    }

    private static String stripWeak(String v) {
        return v.startsWith("W/") ? v.substring(2) : v;
    }

    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String part : acceptEncoding.split(",")) {
            String[] kv = part.strip().split(";");
            if (!kv[0].strip().equalsIgnoreCase("gzip")) {
                continue;
            }
            for (int i = 1; i < kv.length; i++) {
                String q = kv[i].strip();
                if (q.startsWith("q=")) {
                    try {
                        return Double.parseDouble(q.substring(2)) > 0;
                    } catch (NumberFormatException e) {
                        return false;
                    }
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
