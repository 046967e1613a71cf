package dev.olla.health;

import dev.olla.endpoint.BackendGet;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Sends health probes and classifies the answers: {@code GET health_check_url} through the shared
 * {@link BackendGet} (the endpoint's custom headers and auth, {@code User-Agent:
 * olla-HealthChecker/<version>}, same-origin redirects only), bounded by its {@code check_timeout},
 * on virtual threads, classified by {@link ProbeOutcome}. The body is not read. Nothing here
 * schedules: that is {@link ProbeScheduler}'s job.
 */
final class HttpProber implements Prober, AutoCloseable {
    private final BackendGet get;
    private final double busyLatencyFraction;
    private final Duration defaultRetryAfter;
    private final Supplier<Instant> now;
    private final ExecutorService io = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("olla-health-io-", 0).factory());

    HttpProber(String userAgent, double busyLatencyFraction, Duration defaultRetryAfter, Supplier<Instant> now) {
        this.get = new BackendGet(userAgent, Map.of("Accept", "application/json, text/plain, */*",
                "Cache-Control", "no-cache"));
        this.busyLatencyFraction = busyLatencyFraction;
        this.defaultRetryAfter = defaultRetryAfter;
        this.now = now;
    }

    /** Probes the endpoint; the future always completes normally, with the outcome. */
    @Override
    public CompletableFuture<ProbeOutcome> probe(EndpointState s) {
        Endpoint e = s.endpoint();
        Duration timeout = ProbeScheduler.checkTimeout(e);
        Duration busy = Duration.ofNanos((long) (timeout.toNanos() * busyLatencyFraction));
        if (e.healthCheckUrl() == null) {
            return CompletableFuture.completedFuture(ProbeOutcome.ofError(
                    new BackendGet.Failure(BackendGet.Kind.BAD_URL, "no health check URL"), 0, timeout));
        }
        long start = System.nanoTime();
        return get.fetchAsync(io, e, e.healthCheckUrl(), timeout, 0).handle((r, err) -> r != null
                ? ProbeOutcome.ofResponse(r.status(), r.nanos(), busy, r.header("retry-after"), defaultRetryAfter,
                        now.get())
                : ProbeOutcome.ofError(err, System.nanoTime() - start, timeout));
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
