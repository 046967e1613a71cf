package dev.olla.health;

import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends health probes and classifies the answers: {@code GET health_check_url} with the endpoint's
 * {@code requestHeaders()} (custom headers + auth), {@code User-Agent: olla-HealthChecker/<version>},
 * bounded by its {@code check_timeout} (a watchdog also bounds the body), classified by
 * {@link ProbeOutcome}. One shared HTTP/1.1 {@link HttpClient} (keep-alive, redirects not followed)
 * whose work runs on virtual threads. Nothing here schedules: that is the monitor's job.
 */
final class HttpProber implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);
    /** Extra time after check_timeout before a probe still running is cancelled outright. */
    private static final long WATCHDOG_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** The prepared probe of one endpoint ({@code request} null when the URL is unusable). */
    private record Target(HttpRequest request, String problem, Duration timeout, Duration busyThreshold) {}

    private final HealthClock clock;
    private final Duration defaultRetryAfter;
    private final ExecutorService ioExecutor;
    private final HttpClient client;
    private final Map<EndpointState, Target> targets = new IdentityHashMap<>();

    HttpProber(Collection<EndpointState> endpoints, String userAgent, HealthClock clock, double busyLatencyFraction,
            Duration defaultRetryAfter) {
        this.clock = clock;
        this.defaultRetryAfter = defaultRetryAfter;
        this.ioExecutor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("olla-health-io-", 0).factory());
        Duration connectTimeout = HealthMonitor.DEFAULT_CHECK_TIMEOUT;
        for (EndpointState s : endpoints) {
            Duration t = HealthMonitor.checkTimeout(s.endpoint());
            if (t.compareTo(connectTimeout) > 0) {
                connectTimeout = t;
            }
        }
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(ioExecutor)
                .build();
        for (EndpointState s : endpoints) {
            targets.put(s, target(s.endpoint(), userAgent, busyLatencyFraction));
        }
    }

    private static Target target(Endpoint e, String userAgent, double busyLatencyFraction) {
        Duration timeout = HealthMonitor.checkTimeout(e);
        Duration busy = Duration.ofNanos((long) (timeout.toNanos() * busyLatencyFraction));
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(e.healthCheckUrl())
                    .GET()
                    .timeout(timeout)
                    .header("User-Agent", userAgent)
                    .header("Accept", "application/json, text/plain, */*")
                    .header("Cache-Control", "no-cache");
            for (Map.Entry<String, String> h : e.requestHeaders().entrySet()) {
                try {
                    b.setHeader(h.getKey(), h.getValue());
                } catch (IllegalArgumentException restricted) {
                    // Host, Connection, Content-Length... cannot be set on the JDK client.
                    LOG.warn("endpoint {}: header {} is not sent on health probes ({})", e.name(), h.getKey(),
                            restricted.getMessage());
                }
            }
            return new Target(b.build(), null, timeout, busy);
        } catch (RuntimeException bad) {
            return new Target(null, "invalid health check URL: " + bad.getMessage(), timeout, busy);
        }
    }

    /** Probes the endpoint; the future always completes normally, with the outcome. */
    CompletableFuture<ProbeOutcome> probe(EndpointState s) {
        Target t = targets.get(s);
        if (t == null || t.request() == null) {
            return CompletableFuture.completedFuture(new ProbeOutcome(EndpointStatus.UNHEALTHY,
                    t == null ? "not a known endpoint" : t.problem(), 0, null));
        }
        long start = clock.nanoTime();
        CompletableFuture<HttpResponse<Void>> cf;
        try {
            cf = client.sendAsync(t.request(), HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(ProbeOutcome.ofError(e, 0, t.timeout()));
        }
        // The request timeout covers the response head; the watchdog also bounds the body.
        CompletableFuture.delayedExecutor(t.timeout().toNanos() + WATCHDOG_GRACE_NANOS, TimeUnit.NANOSECONDS)
                .execute(() -> cf.cancel(true));
        return cf.handle((resp, err) -> {
            long latency = clock.nanoTime() - start;
            return resp != null
                    ? ProbeOutcome.ofResponse(resp.statusCode(), latency, t.busyThreshold(),
                            resp.headers().firstValue("retry-after").orElse(null), defaultRetryAfter, clock.now())
                    : ProbeOutcome.ofError(err, latency, t.timeout());
        });
    }

    @Override
    public void close() {
        client.shutdownNow();
        ioExecutor.shutdownNow();
    }
}
