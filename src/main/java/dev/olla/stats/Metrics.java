package dev.olla.stats;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The Prometheus series that follow the conventions (Micrometer's Prometheus registry): request
 * duration and time-to-first-token histograms, token counters, generation time, labelled
 * {@code endpoint}, {@code model} (bounded: registry models, {@code unknown}, or {@code none} for
 * requests that name no model) and {@code status_class}; in-flight gauges; JVM and process metrics
 * (bound at the first scrape).
 *
 * <p>Recording looks up a cached row of meters per endpoint and model (two map reads of existing
 * keys) and allocates nothing; meters are built once, the first time a pair is seen.
 */
public final class Metrics implements AutoCloseable {
    /** The model label of a request that named none. */
    public static final String NO_MODEL = "none";
    /** The endpoint label of a request that reached none. */
    public static final String NO_ENDPOINT = "none";

    private static final Duration[] DURATION_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
            10, 30, 60, 120, 300);
    private static final Duration[] TTFT_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60);
    private static final Duration[] HOLD_BUCKETS = seconds(0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 30);
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    /**
     * Created on first use (the first finished request, held response or scrape), not at start-up:
     * the Prometheus registry and its first timer were ~9% of the main thread's work before the
     * first answer, and a request is recorded after its response was written.
     */
    private volatile PrometheusMeterRegistry registry;
    private Timer hold;
    /** Gauges registered before the registry exists, added to it when it is created. */
    private final List<Consumer<MeterRegistry>> pendingGauges = new ArrayList<>();
    private JvmGcMetrics gc;
    private final Map<String, Map<String, Row>> rows = new ConcurrentHashMap<>();

    private PrometheusMeterRegistry created() {
        PrometheusMeterRegistry r = registry;
        if (r != null) {
            return r;
        }
        synchronized (this) {
            if (registry == null) {
                r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                // Two of Micrometer's names break the Prometheus conventions (promtool): replaced in bindJvm.
                r.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                        || id.getName().equals("system.cpu.count")));
                hold = Timer.builder("olla.first.token.hold")
                        .description("Time a streamed response was held, from the backend's head to its first"
                                + " content chunk (proxy.hold_first_token).")
                        .serviceLevelObjectives(HOLD_BUCKETS)
                        .register(r);
                for (Consumer<MeterRegistry> g : pendingGauges) {
                    g.accept(r);
                }
                pendingGauges.clear();
                registry = r;
            }
            return registry;
        }
    }

    /** A held response let through at its first content chunk after {@code nanos}. */
    public void recordHold(long nanos) {
        created();
        hold.record(nanos, TimeUnit.NANOSECONDS);
    }

    private volatile boolean jvmBound;

    /**
     * JVM and process metrics, bound on the first scrape rather than at start-up: nothing before a
     * scrape reads them, and binding them loads ~180 classes (Micrometer's binders and the JDK's
     * management beans) and hooks a listener into every garbage collection. Their counters therefore
     * start with the first scrape (a scraper's first sample is its baseline anyway).
     */
    private void bindJvm() {
        if (jvmBound) {
            return;
        }
        synchronized (this) {
            if (jvmBound) {
                return;
            }
            PrometheusMeterRegistry r = created();
            java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                FunctionCounter.builder("process.cpu", sun, b -> b.getProcessCpuTime() / 1e9).baseUnit("seconds")
                        .description("CPU time used by the process.").register(r);
            }
            Gauge.builder("system.cpus", os, b -> b.getAvailableProcessors())
                    .description("Processors available to the JVM.").register(r);
            new JvmMemoryMetrics().bindTo(r);
            gc = new JvmGcMetrics();
            gc.bindTo(r);
            new JvmThreadMetrics().bindTo(r);
            new ClassLoaderMetrics().bindTo(r);
            new ProcessorMetrics().bindTo(r);
            new UptimeMetrics().bindTo(r);
            new FileDescriptorMetrics().bindTo(r);
            jvmBound = true;
        }
    }

    /** The meters of one endpoint x model pair. */
    private final class Row {
        final String endpoint;
        final String model;
        final Timer[] duration = new Timer[STATUS_CLASSES.length];
        final Timer ttft;
        final Counter prompt;
        final Counter completion;
        final Counter generation;

        Row(String endpoint, String model) {
            this.endpoint = endpoint;
            this.model = model;
            PrometheusMeterRegistry r = created();
            ttft = Timer.builder("olla.time.to.first.token")
                    .description("Time from the request's arrival to the first body bytes of a streamed response.")
                    .tags("endpoint", endpoint, "model", model)
                    .serviceLevelObjectives(TTFT_BUCKETS)
                    .register(r);
            prompt = Counter.builder("olla.prompt.tokens").description("Prompt (input) tokens reported by backends.")
                    .tags("endpoint", endpoint, "model", model).register(r);
            completion = Counter.builder("olla.completion.tokens")
                    .description("Completion (output) tokens reported by backends.")
                    .tags("endpoint", endpoint, "model", model).register(r);
            generation = Counter.builder("olla.generation").baseUnit("seconds")
                    .description("Time spent generating completion tokens (backend figure, else measured).")
                    .tags("endpoint", endpoint, "model", model).register(r);
        }

        Timer duration(int statusClass) {
            Timer t = duration[statusClass];
            if (t == null) {
                PrometheusMeterRegistry r = created();
                t = Timer.builder("olla.request.duration")
                        .description("Proxied requests, from arrival to the end of the response.")
                        .tags("endpoint", endpoint, "model", model, "status_class", STATUS_CLASSES[statusClass])
                        .serviceLevelObjectives(DURATION_BUCKETS)
                        .register(r);
                duration[statusClass] = t;
            }
            return t;
        }
    }

    /**
     * Records a finished proxied request.
     *
     * @param endpoint the endpoint that answered, or null
     * @param model the bounded model key, or null when the request named none
     * @param status the HTTP status the client got (0 when unknown: counted as 5xx)
     * @param meter the response's token meter, or null
     */
    public void record(String endpoint, String model, int status, long nanos, TokenMeter meter, long endNanos) {
        Row row = row(endpoint == null ? NO_ENDPOINT : endpoint, model == null ? NO_MODEL : model);
        int cls = status >= 100 && status < 600 ? status / 100 - 1 : 4;
        row.duration(cls).record(nanos, TimeUnit.NANOSECONDS);
        if (meter == null) {
            return;
        }
        long ttft = meter.ttftNanos();
        if (ttft >= 0) {
            row.ttft.record(ttft, TimeUnit.NANOSECONDS);
        }
        long p = meter.promptTokens();
        if (p > 0) {
            row.prompt.increment(p);
        }
        long c = meter.completionTokens();
        if (c > 0) {
            row.completion.increment(c);
            long gen = meter.generationNanos(endNanos);
            if (gen > 0) {
                row.generation.increment(gen / 1e9);
            }
        }
    }

    private Row row(String endpoint, String model) {
        Map<String, Row> byModel = rows.get(endpoint);
        if (byModel == null) {
            byModel = rows.computeIfAbsent(endpoint, k -> new ConcurrentHashMap<>());
        }
        Row r = byModel.get(model);
        return r != null ? r : byModel.computeIfAbsent(model, k -> new Row(endpoint, model));
    }

    /** Registers a gauge read at scrape time. */
    public <T> void gauge(String name, String description, T obj, ToDoubleFunction<T> value, String... tags) {
        Consumer<MeterRegistry> g = r -> Gauge.builder(name, obj, value).description(description).tags(tags)
                .strongReference(true).register(r);
        synchronized (this) {
            if (registry == null) {
                pendingGauges.add(g);
                return;
            }
        }
        g.accept(registry);
    }

    public MeterRegistry registry() {
        return created();
    }

    /** Prometheus text format 0.0.4 of every series here. */
    public String scrape() {
        bindJvm();
        return created().scrape();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (gc != null) {
                gc.close();
            }
            jvmBound = true; // a scrape after close binds nothing
        }
        PrometheusMeterRegistry r = registry;
        if (r != null) {
            r.close();
        }
    }

    private static Duration[] seconds(double... s) {
        Duration[] d = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            d[i] = Duration.ofNanos((long) (s[i] * 1e9));
        }
        return d;
    }
}
