package dev.olla.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.endpoint.Scheduler;
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
 * <p>Pieces, one job each: this class schedules (refresh, cleanup and retry timers on the injected
 * {@link Scheduler}) and runs fetches on virtual threads, at most {@code concurrent_workers} at once;
 * {@link ModelFetcher} asks the backend (through the shared {@code BackendGet}) and parses;
 * {@link DiscoveryResults} updates the registry and logs. Nothing here blocks the caller (safe from
 * event loops and health listeners). {@code model_discovery.enabled: false} turns off only the periodic refresh: the first
 * pass, recovery and on-miss refreshes still run, since without any model list strict routing could
 * route nothing.
 */
public final class ModelDiscovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDiscovery.class);
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

    private final EndpointRegistry endpoints;
    private final ModelRegistry registry;
    private final Settings settings;
    private final Scheduler scheduler;
    private final boolean ownScheduler;
    private final ExecutorService executor;
    private final Semaphore workers;
    private final ModelFetcher fetcher;
    private final DiscoveryResults results;
    private final Map<EndpointState, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private volatile Scheduler.Timer refreshTimer = Scheduler.Timer.NONE;
    private volatile Scheduler.Timer cleanupTimer = Scheduler.Timer.NONE;
    private volatile boolean started;
    private volatile boolean closed;

    /** Timers on a thread of its own ({@code olla-discovery-timer}), real time. */
    public ModelDiscovery(EndpointRegistry endpoints, ModelRegistry registry, Settings settings) {
        this(endpoints, registry, settings, Scheduler.system("olla-discovery-timer"), true);
    }

    /** Timers on {@code scheduler} (not closed by this discovery). */
    public ModelDiscovery(EndpointRegistry endpoints, ModelRegistry registry, Settings settings, Scheduler scheduler) {
        this(endpoints, registry, settings, scheduler, false);
    }

    private ModelDiscovery(EndpointRegistry endpoints, ModelRegistry registry, Settings settings, Scheduler scheduler,
            boolean ownScheduler) {
        this.endpoints = endpoints;
        this.registry = registry;
        this.settings = settings;
        this.scheduler = scheduler;
        this.ownScheduler = ownScheduler;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("olla-discovery-", 0).factory());
        this.workers = new Semaphore(settings.concurrentWorkers());
        this.fetcher = new ModelFetcher(registry.profiles(), settings.timeout());
        this.results = new DiscoveryResults(registry);
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
            refreshEvery(settings.interval().toNanos());
        }
        cleanupEvery(settings.cleanupInterval().toNanos());
    }

    private void refreshEvery(long nanos) {
        refreshTimer = scheduler.schedule(() -> {
            if (!closed) {
                discoverAll();
                refreshEvery(nanos);
            }
        }, nanos);
    }

    private void cleanupEvery(long nanos) {
        cleanupTimer = scheduler.schedule(() -> {
            if (!closed) {
                cleanup();
                cleanupEvery(nanos);
            }
        }, nanos);
    }

    /**
     * Runs {@link #discoverAll()} and waits for it at most {@code bound} of real time (the app calls
     * this before opening its port). Returns whether it finished in time; if not, it goes on in the
     * background.
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
        refreshTimer.cancel();
        cleanupTimer.cancel();
        if (ownScheduler) {
            scheduler.close();
        }
        executor.shutdownNow();
        inFlight.values().forEach(f -> f.completeExceptionally(new IllegalStateException("model discovery closed")));
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
     * exceptionally when the fetch or parse failed after its retries (its previous models are then
     * kept).
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
        attempt(endpoint, mine, 1);
        return mine.copy();
    }

    /** How many endpoints are being discovered right now (tests wait for 0). */
    int running() {
        return inFlight.size();
    }

    /** When the endpoint's models were last fetched successfully, or null. */
    public Instant lastSuccess(EndpointState endpoint) {
        return results.lastSuccess(endpoint);
    }

    /** The last failure message while the endpoint's discovery is failing, else null. */
    public String lastError(EndpointState endpoint) {
        return results.lastError(endpoint);
    }

    /**
     * Attempt {@code n} on a virtual thread; a failure worth retrying schedules the next one after
     * {@code retry_backoff x 2^(n-1)} (at most 30 s) on the scheduler, without holding a thread.
     */
    private void attempt(EndpointState endpoint, CompletableFuture<Void> done, int n) {
        try {
            executor.execute(() -> {
                try {
                    List<DiscoveredModel> models;
                    workers.acquire();
                    try {
                        models = fetcher.models(endpoint.endpoint());
                    } finally {
                        workers.release();
                    }
                    results.succeeded(endpoint, models);
                    version(endpoint);
                    finish(endpoint, done, null);
                } catch (Throwable e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    if (!closed && n < settings.retryAttempts() && ModelFetcher.retryable(e)) {
                        long backoff = Math.min(MAX_BACKOFF.toNanos(),
                                settings.retryBackoff().toNanos() << Math.min(n - 1, 16));
                        scheduler.schedule(() -> attempt(endpoint, done, n + 1), backoff);
                        return;
                    }
                    if (!closed) {
                        results.failed(endpoint, e);
                    }
                    finish(endpoint, done, e);
                }
            });
        } catch (RejectedExecutionException e) {
            finish(endpoint, done, e);
        }
    }

    private void finish(EndpointState endpoint, CompletableFuture<Void> done, Throwable error) {
        inFlight.remove(endpoint, done);
        if (error == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(error);
        }
    }

    /** Where the endpoint's profile names a minimum version, asks for it; a failure keeps what was known. */
    private void version(EndpointState endpoint) {
        try {
            String v = fetcher.version(endpoint.endpoint());
            if (v != null) {
                results.version(endpoint, v);
            }
        } catch (Exception e) {
            LOG.debug("endpoint {}: no version: {}", endpoint.name(), ModelFetcher.describe(e));
        }
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
        CompletableFuture<JsonNode> out = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    out.complete(fetcher.json(endpoint.endpoint(), path, timeout));
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
