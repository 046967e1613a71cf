package dev.olla.capacity;

import dev.olla.BuildInfo;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.BackendGet;
import dev.olla.endpoint.BackendLoad;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.Scheduler;
import dev.olla.profile.Profile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls each endpoint's residency and occupancy where its profile says how ({@link Profile.Capacity}):
 * llama.cpp {@code /slots} + {@code /props} (+ {@code /metrics} for requests waiting inside it),
 * Ollama {@code /api/ps}, LM Studio {@code /api/v0/models}, vLLM and SGLang {@code /metrics}. Each
 * report becomes the endpoint's {@link BackendLoad} (read by the balancers, the caps and status).
 *
 * <p>A timer on the injected {@link Scheduler} starts one pass per {@code poll_interval}; every HTTP call
 * (through the shared {@link BackendGet}) runs
 * on a virtual thread (never on an event loop), bounded by {@code poll_timeout}. An endpoint whose
 * previous poll is still running is skipped. A failed poll makes every figure unknown (not busy).
 */
public final class CapacityMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CapacityMonitor.class);

    private final EndpointRegistry registry;
    private final OllaConfig.Capacity config;
    private final Scheduler scheduler;
    private final boolean ownScheduler;
    private final ExecutorService io;
    private final BackendGet get = new BackendGet("olla-Capacity/" + BuildInfo.current().version(),
            Map.of("Accept", "application/json, text/plain, */*"));
    private final Map<EndpointState, Boolean> running = new ConcurrentHashMap<>();
    /** Endpoints whose {@code /metrics} answered an error once: not asked again (llama.cpp without --metrics). */
    private final Map<EndpointState, Boolean> noMetrics = new ConcurrentHashMap<>();
    private final Map<EndpointState, String> failing = new ConcurrentHashMap<>();
    private volatile Scheduler.Timer timer = Scheduler.Timer.NONE;
    private volatile boolean closed;
    private volatile Runnable afterPass = () -> {};

    /** Polls on a timer thread of its own ({@code olla-capacity}), real time. */
    public CapacityMonitor(EndpointRegistry registry, OllaConfig.Capacity config) {
        this(registry, config, Scheduler.system("olla-capacity"), true);
    }

    /** Polls on {@code scheduler} (time and timer; not closed by this monitor). */
    public CapacityMonitor(EndpointRegistry registry, OllaConfig.Capacity config, Scheduler scheduler) {
        this(registry, config, scheduler, false);
    }

    private CapacityMonitor(EndpointRegistry registry, OllaConfig.Capacity config, Scheduler scheduler,
            boolean ownScheduler) {
        this.registry = registry;
        this.config = config;
        this.scheduler = scheduler;
        this.ownScheduler = ownScheduler;
        this.io = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("olla-capacity-io-", 0).factory());
    }

    /** Runs after every pass (on the poller's thread): e.g. offer slots that appeared to queued requests. */
    public void afterPass(Runnable r) {
        afterPass = r == null ? () -> {} : r;
    }

    /** Whether any endpoint publishes something to poll. */
    public boolean hasSources() {
        return registry.all().stream().anyMatch(s -> source(s) != null);
    }

    /** Starts polling every {@code poll_interval}. */
    public void start() {
        if (!config.enabled() || !hasSources()) {
            return;
        }
        every(config.pollInterval().toNanos());
    }

    private void every(long nanos) {
        timer = scheduler.schedule(() -> {
            if (closed) {
                return;
            }
            List<CompletableFuture<Void>> pass = pollAll();
            CompletableFuture.allOf(pass.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> afterPass.run());
            every(nanos);
        }, nanos);
    }

    /** One pass over every endpoint; waits at most {@code bound} for it (start-up and tests). */
    public void pollOnce(Duration bound) {
        CompletableFuture<?>[] all = pollAll().toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // partial pass: the rest lands when it lands
        }
    }

    private List<CompletableFuture<Void>> pollAll() {
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (EndpointState s : registry.all()) {
            Profile.Capacity src = source(s);
            if (src == null) {
                continue;
            }
            if (!s.routable()) {
                s.load(BackendLoad.UNKNOWN);
                continue;
            }
            if (running.putIfAbsent(s, Boolean.TRUE) != null) {
                continue;
            }
            started.add(CompletableFuture.runAsync(() -> {
                try {
                    poll(s, src);
                } finally {
                    running.remove(s);
                }
            }, io));
        }
        return started;
    }

    private Profile.Capacity source(EndpointState s) {
        Profile p = registry.profileOf(s);
        Profile.Capacity c = p == null ? null : p.capacity();
        return c == null || c.source() == null ? null : c;
    }

    /** Polls one endpoint (blocking; runs on a virtual thread) and publishes its load. */
    void poll(EndpointState s, Profile.Capacity src) {
        BackendLoad previous = s.load();
        try {
            BackendLoad next = switch (src.source()) {
                case LLAMACPP -> llamaCpp(s, src, previous);
                case OLLAMA -> loadedOnly(LoadParsers.ollamaPs(get(s, src.path())));
                case LMSTUDIO -> loadedOnly(LoadParsers.lmStudioModels(get(s, src.path())));
                case VLLM -> busyOnly(LoadParsers.vllmMetrics(get(s, src.path())));
                case SGLANG -> busyOnly(LoadParsers.sglangMetrics(get(s, src.path())));
            };
            s.load(next.withOwn(s.inFlight()));
            if (failing.remove(s) != null) {
                LOG.info("capacity of endpoint {} readable again", s.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (closed || e instanceof BackendGet.Failure f && f.kind() == BackendGet.Kind.CANCELLED) {
                return; // closing: not a finding about the endpoint
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            s.load(previous.failed(scheduler.now(), why));
            if (failing.put(s, why) == null) {
                LOG.info("capacity of endpoint {} unknown: {}", s.name(), why);
            }
        }
    }

    private BackendLoad llamaCpp(EndpointState s, Profile.Capacity src, BackendLoad previous) throws Exception {
        LoadParsers.Slots slots = LoadParsers.llamaCppSlots(get(s, src.path()));
        Map<String, Instant> loaded = previous.loaded();
        int total = slots.total();
        if (loaded == null && src.propsPath() != null) {
            LoadParsers.Props props = LoadParsers.llamaCppProps(get(s, src.propsPath()));
            loaded = props.modelAlias() == null ? null : Map.of(props.modelAlias(), Instant.MAX);
            if (total <= 0) {
                total = props.totalSlots();
            }
        }
        int waiting = -1;
        if (src.metricsPath() != null && !noMetrics.containsKey(s)) {
            try {
                waiting = LoadParsers.llamaCppMetrics(get(s, src.metricsPath())).waiting();
            } catch (HttpStatusException e) {
                noMetrics.put(s, Boolean.TRUE); // started without --metrics
            }
        }
        return new BackendLoad(total, slots.busy(), waiting, loaded == null ? null : withoutExpiry(loaded), 0,
                scheduler.now(), null);
    }

    private static Map<String, Instant> withoutExpiry(Map<String, Instant> m) {
        Map<String, Instant> out = new java.util.LinkedHashMap<>();
        m.keySet().forEach(k -> out.put(k, Instant.MAX));
        return out;
    }

    private BackendLoad loadedOnly(Map<String, Instant> loaded) {
        Map<String, Instant> out = new java.util.LinkedHashMap<>();
        loaded.forEach((k, v) -> out.put(k, v == null ? Instant.MAX : v));
        return new BackendLoad(-1, -1, -1, out, 0, scheduler.now(), null);
    }

    private BackendLoad busyOnly(LoadParsers.Slots slots) {
        return new BackendLoad(-1, slots.busy(), slots.waiting(), null, 0, scheduler.now(), null);
    }

    /** A non-2xx answer. */
    static final class HttpStatusException extends Exception {
        HttpStatusException(String message) {
            super(message, null, false, false);
        }
    }

    /** Largest answer read from a capacity source (a /metrics page of a big vLLM is ~100 KiB). */
    static final int MAX_BODY = 4 * 1024 * 1024;

    /** GETs {@code path} under the endpoint's URL through the shared {@link BackendGet}; the 2xx body. */
    private String get(EndpointState s, String path) throws Exception {
        BackendGet.Response r = get.fetch(s.endpoint(), BackendGet.under(s.endpoint(), path), config.pollTimeout(),
                MAX_BODY);
        if (!r.ok()) {
            throw new HttpStatusException("GET " + path + " answered " + r.status());
        }
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        closed = true;
        timer.cancel();
        if (ownScheduler) {
            scheduler.close();
        }
        io.shutdownNow();
    }
}
