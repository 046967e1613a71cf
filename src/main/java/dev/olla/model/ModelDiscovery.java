package dev.olla.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.BuildInfo;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.BackendGet;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileFilter;
import dev.olla.profile.ProfileRegistry;
import dev.olla.server.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model discovery: fetches each routable endpoint's model list ({@link Endpoint#modelUrl()}, with the
 * endpoint's auth and custom headers), parses it with the profile's {@code response_format}, applies
 * the endpoint's {@code model_filter} and stores the result in the {@link ModelRegistry}.
 *
 * <ul>
 * <li>{@link #discoverAll()} at start-up (before the port opens, see {@link #runInitialPass}) and every
 * {@code model_discovery.interval} once {@link #start()}ed; {@link #discover} for one endpoint (on
 * recovery, and the {@code discovery} routing strategy's refresh on a miss). Concurrent calls for the
 * same endpoint share one fetch.</li>
 * <li>At most {@code concurrent_workers} fetches run at once, each bounded by {@code timeout}, retried
 * {@code retry_attempts} times in all on connection errors, timeouts and 5xx/429 with {@code
 * retry_backoff} doubling per retry. Invalid JSON, a wrong shape and other 4xx are not retried.</li>
 * <li>A failing endpoint is logged once per change (failing, recovered) and keeps its previous models
 * until they go stale; other endpoints are unaffected. Models unseen for {@code stale_threshold}
 * are dropped every {@code cleanup_interval}.</li>
 * </ul>
 *
 * <p>Work runs on virtual threads; nothing here blocks the caller (safe from event loops and health
 * listeners). {@code model_discovery.enabled: false} turns off only the periodic refresh: the first
 * pass, recovery and on-miss refreshes still run, since without any model list strict routing could
 * route nothing.
 */
public final class ModelDiscovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDiscovery.class);
    /** Largest model list accepted. */
    static final int MAX_BODY = 10 * 1024 * 1024;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** The knobs, from {@code discovery.model_discovery} and {@code model_registry.unification}. */
    public record Settings(boolean enabled, Duration interval, Duration timeout, int concurrentWorkers,
            int retryAttempts, Duration retryBackoff, Duration staleThreshold, Duration cleanupInterval) {

        public static final Settings DEFAULTS = new Settings(true, Duration.ofMinutes(5), Duration.ofSeconds(30), 5, 3,
                Duration.ofSeconds(1), Duration.ofHours(24), Duration.ofMinutes(10));

        public Settings {
            interval = positive(interval, Duration.ofMinutes(5));
            timeout = positive(timeout, Duration.ofSeconds(30));
            concurrentWorkers = Math.max(1, concurrentWorkers);
            retryAttempts = Math.max(1, retryAttempts);
            retryBackoff = retryBackoff == null || retryBackoff.isNegative() ? Duration.ZERO : retryBackoff;
            staleThreshold = positive(staleThreshold, Duration.ofHours(24));
            cleanupInterval = positive(cleanupInterval, Duration.ofMinutes(10));
        }

        private static Duration positive(Duration d, Duration fallback) {
            return d == null || d.isZero() || d.isNegative() ? fallback : d;
        }

        public static Settings from(OllaConfig config) {
            OllaConfig.ModelDiscovery d = config.discovery() == null ? null : config.discovery().modelDiscovery();
            OllaConfig.Unification u = config.modelRegistry() == null ? null : config.modelRegistry().unification();
            Settings s = DEFAULTS;
            return new Settings(d == null ? s.enabled : d.enabled(), d == null ? s.interval : d.interval(),
                    d == null ? s.timeout : d.timeout(), d == null ? s.concurrentWorkers : d.concurrentWorkers(),
                    d == null ? s.retryAttempts : d.retryAttempts(), d == null ? s.retryBackoff : d.retryBackoff(),
                    u == null ? s.staleThreshold : u.staleThreshold(),
                    u == null ? s.cleanupInterval : u.cleanupInterval());
        }

        public Settings withStale(Duration threshold, Duration cleanup) {
            return new Settings(enabled, interval, timeout, concurrentWorkers, retryAttempts, retryBackoff, threshold,
                    cleanup);
        }

        public Settings withInterval(Duration every) {
            return new Settings(enabled, every, timeout, concurrentWorkers, retryAttempts, retryBackoff, staleThreshold,
                    cleanupInterval);
        }

        public Settings withRetries(int attempts, Duration backoff) {
            return new Settings(enabled, interval, timeout, concurrentWorkers, attempts, backoff, staleThreshold,
                    cleanupInterval);
        }

        public Settings withTimeout(Duration t) {
            return new Settings(enabled, interval, t, concurrentWorkers, retryAttempts, retryBackoff, staleThreshold,
                    cleanupInterval);
        }
    }

    /** A non-200 answer. */
    static final class HttpStatusException extends IOException {
        final int status;

        HttpStatusException(int status) {
            super("HTTP " + status);
            this.status = status;
        }

        boolean retryable() {
            return status >= 500 || status == 429 || status == 408;
        }
    }

    private final EndpointRegistry endpoints;
    private final ModelRegistry registry;
    private final ProfileRegistry profiles;
    private final Settings settings;
    private final String userAgent;
    private final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final Semaphore workers;
    private final BackendGet get;
    private final Map<EndpointState, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private final Map<EndpointState, String> failing = new ConcurrentHashMap<>();
    private final Map<EndpointState, Instant> lastSuccess = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;

    public ModelDiscovery(EndpointRegistry endpoints, ModelRegistry registry, OllaConfig config) {
        this(endpoints, registry, Settings.from(config));
    }

    public ModelDiscovery(EndpointRegistry endpoints, ModelRegistry registry, Settings settings) {
        this.endpoints = endpoints;
        this.registry = registry;
        this.profiles = registry.profiles();
        this.settings = settings;
        this.userAgent = "olla-Discovery/" + BuildInfo.current().version();
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("olla-discovery-", 0).factory());
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "olla-discovery-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.timer = t;
        this.workers = new Semaphore(settings.concurrentWorkers());
        this.get = new BackendGet(userAgent, Map.of("Accept", "application/json"));
    }

    public Settings settings() {
        return settings;
    }

    public ModelRegistry registry() {
        return registry;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Starts the periodic refresh (every {@code interval}, if enabled) and the stale-model cleanup
     * (every {@code cleanup_interval}). Call after {@link #runInitialPass}.
     */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        if (settings.enabled()) {
            long every = settings.interval().toMillis();
            timer.scheduleWithFixedDelay(this::periodic, every, every, TimeUnit.MILLISECONDS);
        }
        long cleanup = settings.cleanupInterval().toMillis();
        timer.scheduleWithFixedDelay(this::cleanup, cleanup, cleanup, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@link #discoverAll()} and waits for it at most {@code bound} (the app calls this before
     * opening its port). Returns whether it finished in time; if not, it goes on in the background.
     */
    public boolean runInitialPass(Duration bound) {
        try {
            discoverAll().get(Math.max(1, bound.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            LOG.warn("first model discovery still running after {}; continuing in the background", bound);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true; // failures are logged per endpoint
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        executor.shutdownNow();
        inFlight.values().forEach(f -> f.completeExceptionally(new IllegalStateException("model discovery closed")));
    }

    private void periodic() {
        if (!closed) {
            discoverAll();
        }
    }

    private void cleanup() {
        try {
            int removed = registry.removeStale(settings.staleThreshold());
            if (removed > 0) {
                LOG.info("dropped {} model(s) not seen for {}", removed, settings.staleThreshold());
            }
        } catch (RuntimeException e) {
            LOG.warn("stale model cleanup failed", e);
        }
    }

    /** Drops models not seen for {@code stale_threshold} now (the scheduled cleanup does this too). */
    public int cleanupNow() {
        return registry.removeStale(settings.staleThreshold());
    }

    // ------------------------------------------------------------------ health hooks (non-blocking)

    /** For {@code HealthMonitor.addRecoveryListener}: re-discovers a recovered endpoint. */
    public void onRecovered(EndpointState endpoint) {
        if (!closed) {
            LOG.debug("endpoint {} recovered; re-discovering its models", endpoint.name());
            discover(endpoint);
        }
    }

    /**
     * For {@code HealthMonitor.addStatusListener}: discovers an endpoint that becomes routable for
     * the first time ({@code unknown} -> routable, which the recovery listener does not report),
     * e.g. one the start-up health pass did not reach in time.
     */
    public void onStatusChanged(EndpointState endpoint, EndpointStatus from, EndpointStatus to, String reason) {
        if (!closed && from == EndpointStatus.UNKNOWN && to.routable()) {
            discover(endpoint);
        }
    }

    // ------------------------------------------------------------------ discovery

    /**
     * Discovers every routable endpoint (non-routable ones keep their previous models until stale).
     * Completes normally when all have finished, whatever their outcome.
     */
    public CompletableFuture<Void> discoverAll() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (EndpointState s : endpoints.all()) {
            if (s.routable()) {
                all.add(discover(s).exceptionally(e -> null));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /**
     * Discovers one endpoint (whatever its status). Completes when the registry holds the result, or
     * exceptionally when the fetch or parse failed (its previous models are then kept).
     */
    public CompletableFuture<Void> discover(EndpointState endpoint) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("model discovery closed"));
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = inFlight.putIfAbsent(endpoint, mine);
        if (running != null) {
            return running.copy();
        }
        try {
            executor.execute(() -> run(endpoint, mine));
        } catch (RejectedExecutionException e) {
            inFlight.remove(endpoint, mine);
            mine.completeExceptionally(e);
        }
        return mine.copy();
    }

    /** When the endpoint's models were last fetched successfully, or null. */
    public Instant lastSuccess(EndpointState endpoint) {
        return lastSuccess.get(endpoint);
    }

    /** The last failure message while the endpoint's discovery is failing, else null. */
    public String lastError(EndpointState endpoint) {
        return failing.get(endpoint);
    }

    private void run(EndpointState endpoint, CompletableFuture<Void> done) {
        try {
            List<DiscoveredModel> models;
            workers.acquire();
            try {
                models = fetchModels(endpoint);
            } finally {
                workers.release();
            }
            List<DiscoveredModel> kept = filter(endpoint.endpoint(), models);
            List<DiscoveredModel> before = registry.modelsOf(endpoint);
            registry.replace(endpoint, kept);
            fetchVersion(endpoint);
            lastSuccess.put(endpoint, registry.clock().instant());
            succeeded(endpoint, before, kept, models.size());
            inFlight.remove(endpoint, done);
            done.complete(null);
        } catch (Throwable e) {
            inFlight.remove(endpoint, done);
            if (!closed) {
                failed(endpoint, e);
            }
            done.completeExceptionally(e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Where the endpoint's profile names a minimum version (Anthropic passthrough), asks the backend
     * which version it runs ({@link BackendVersion}); a failure keeps what was known.
     */
    private void fetchVersion(EndpointState endpoint) throws InterruptedException {
        Endpoint ep = endpoint.endpoint();
        String type = profiles.canonicalType(ep.type());
        Profile p = type == null ? null : profiles.forType(type);
        String path = BackendVersion.pathFor(type);
        if (p == null || path == null || p.anthropic() == null || p.anthropic().minVersion() == null) {
            return;
        }
        URI uri = BackendGet.under(ep, path);
        Duration timeout = settings.timeout().compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : settings.timeout();
        try {
            String version = BackendVersion.parse(type, Json.MAPPER.readTree(fetch(ep, uri, timeout)));
            String was = registry.version(endpoint);
            registry.recordVersion(endpoint, version);
            if (version != null && !version.equals(was)) {
                LOG.info("endpoint {} reports version {}", endpoint.name(), version);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("endpoint {}: no version from {}: {}", endpoint.name(), path, describe(e));
        }
    }

    private static List<DiscoveredModel> filter(Endpoint ep, List<DiscoveredModel> models) {
        OllaConfig.Filter f = ep.modelFilter();
        if (f == null || ((f.include() == null || f.include().isEmpty()) && (f.exclude() == null || f.exclude().isEmpty()))) {
            return models;
        }
        List<DiscoveredModel> out = new ArrayList<>(models.size());
        for (DiscoveredModel m : models) {
            if (ProfileFilter.allowed(m.name(), f.include(), f.exclude())) {
                out.add(m);
            }
        }
        return out;
    }

    private void succeeded(EndpointState endpoint, List<DiscoveredModel> before, List<DiscoveredModel> now, int listed) {
        String was = failing.remove(endpoint);
        int filtered = listed - now.size();
        String extra = filtered > 0 ? " (" + filtered + " excluded by model_filter)" : "";
        if (was != null) {
            LOG.info("model discovery for endpoint {} recovered: {} model(s){}", endpoint.name(), now.size(), extra);
        } else if (!names(before).equals(names(now))) {
            LOG.info("discovered {} model(s) on endpoint {}{}", now.size(), endpoint.name(), extra);
        } else {
            LOG.debug("discovered {} model(s) on endpoint {} (unchanged)", now.size(), endpoint.name());
        }
    }

    private static List<String> names(List<DiscoveredModel> models) {
        return models.stream().map(DiscoveredModel::name).toList();
    }

    private void failed(EndpointState endpoint, Throwable e) {
        String msg = describe(e);
        String was = failing.put(endpoint, msg);
        if (was == null) {
            int kept = registry.modelsOf(endpoint).size();
            LOG.warn("model discovery for endpoint {} ({}) failed: {}{}", endpoint.name(),
                    endpoint.endpoint().sanitizedUrl(), msg,
                    kept > 0 ? "; keeping its " + kept + " previously discovered model(s) until stale" : "");
        } else {
            LOG.debug("model discovery for endpoint {} still failing: {}", endpoint.name(), msg);
        }
    }

    private static String describe(Throwable e) {
        if (e instanceof TimeoutException) {
            return "timed out";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** The response format parser for an endpoint: its profile's, or shape detection for type {@code auto}/unknown. */
    String formatFor(Endpoint ep) {
        String canonical = profiles.canonicalType(ep.type());
        if (canonical == null) {
            return "auto";
        }
        Profile p = profiles.forType(ep.type());
        return p.responseFormat();
    }

    private List<DiscoveredModel> fetchModels(EndpointState endpoint) throws Exception {
        Endpoint ep = endpoint.endpoint();
        String format = formatFor(ep);
        long backoff = settings.retryBackoff().toMillis();
        Exception last = null;
        for (int attempt = 1; attempt <= settings.retryAttempts(); attempt++) {
            if (closed) {
                break;
            }
            try {
                byte[] body = fetch(ep, ep.modelUrl(), settings.timeout());
                return ModelListParser.parse(format, body);
            } catch (ModelListException e) {
                throw e;
            } catch (HttpStatusException e) {
                if (!e.retryable()) {
                    throw e;
                }
                last = e;
            } catch (BackendGet.Failure e) {
                if (!e.kind().noAnswer()) {
                    throw e; // too large, bad URL: the same again
                }
                last = e;
            }
            if (attempt < settings.retryAttempts() && backoff > 0) {
                Thread.sleep(Math.min(MAX_BACKOFF.toMillis(), backoff << Math.min(attempt - 1, 16)));
            }
        }
        throw last != null ? last : new IOException("model discovery closed");
    }

    /** GETs a URL through the shared {@link BackendGet}: the body of a 200, else an {@link HttpStatusException}. Blocking. */
    private byte[] fetch(Endpoint ep, URI uri, Duration timeout) throws IOException {
        BackendGet.Response res = get.fetch(ep, uri, timeout, MAX_BODY);
        if (res.status() != 200) {
            throw new HttpStatusException(res.status());
        }
        return res.body();
    }

    /**
     * GETs {@code path} (relative to the endpoint's base URL, with its headers) and parses the JSON,
     * asynchronously and bounded by {@code timeout}; for listings Olla assembles from its backends
     * (e.g. Ollama's {@code /api/ps}).
     */
    public CompletableFuture<JsonNode> fetchJson(EndpointState endpoint, String path, Duration timeout) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("model discovery closed"));
        }
        Endpoint ep = endpoint.endpoint();
        URI uri = BackendGet.under(ep, path);
        CompletableFuture<JsonNode> out = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    out.complete(Json.MAPPER.readTree(fetch(ep, uri, timeout)));
                } catch (Throwable e) {
                    out.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            out.completeExceptionally(e);
        }
        return out;
    }
}
