package dev.olla.health;

import dev.olla.BuildInfo;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checking of every endpoint, plus the passive feedback the proxy reports from live
 * traffic ({@link HealthFeedback}).
 *
 * <h2>Probing</h2>
 * Each endpoint is probed with {@code GET health_check_url}, its {@code requestHeaders()} (custom
 * headers + auth) and {@code User-Agent: olla-HealthChecker/<version>}, bounded by its
 * {@code check_timeout}; the answer is classified by {@link ProbeOutcome}. One shared HTTP/1.1
 * {@link HttpClient} (keep-alive) whose work runs on virtual threads; timers live on one small
 * scheduler thread ({@code olla-health}), which also owns every per-endpoint scheduling field, so
 * there are no locks and no busy loops: an idle endpoint costs one timer per interval. Nothing here
 * ever runs on a Netty event loop, except the cheap feedback calls the proxy makes.
 *
 * <h2>Scheduling and back-off</h2>
 * First probe after {@code initialDelay} ({@link #start()}), or at once via {@link #checkAllNow()}.
 * A probe that ends {@code healthy}/{@code busy} schedules the next after {@code check_interval}.
 * After a failed probe ({@code offline}, {@code unhealthy}, {@code config_error}) the next one
 * comes sooner, not later: after k consecutive failures it waits
 * {@code min(recheckDelay x 2^(k-1), check_interval)} (1 s, 2 s, 4 s ... by default), so a blip is
 * confirmed or cleared at once, and a backend that answers again is never kept out longer than
 * {@code check_interval}. One success resets it. {@code rate_limited} pauses probes for the
 * {@code Retry-After} time instead.
 *
 * <h2>Circuit breaker</h2>
 * Per endpoint ONE {@link CircuitBreaker} (default: 3 consecutive failures, open 30 s) for both
 * engines, fed by failed probes ({@code offline}/{@code unhealthy}) and failed proxied attempts;
 * {@code config_error}/{@code rate_limited} count neither way. Probes go on while it is open, and a
 * successful probe closes it at once (the open window is the longest a dead backend is left alone,
 * not the shortest time a live one is refused); otherwise the first request after the window is the
 * single half-open trial. An endpoint ejected for {@code proxy.consecutive_5xx} is closed only by a
 * trial.
 *
 * <h2>Passive failures</h2>
 * {@link #connectionFailed} marks the endpoint {@code offline} at once (a connection that cannot
 * be made is a network failure, the same class a probe reports as offline), counts toward the
 * breaker and brings the next probe forward to {@code recheckDelay} (default 1 s, never later than
 * already scheduled). A probe that was already in flight when a proxied failure arrived cannot
 * mark the endpoint healthy again; it triggers a fresh re-check instead.
 *
 * <h2>Statuses and listeners</h2>
 * {@code unknown} (never checked) is not routable. Every status change is made by one atomic
 * compare-and-set, so each transition is logged exactly once ({@code endpoint gpu1 healthy ->
 * offline: connection refused}; WARN when the new status is not routable, INFO otherwise) and
 * announced once to {@link StatusListener}s. Recovery listeners run when an endpoint goes from a
 * non-routable status other than {@code unknown} to a routable one. Listeners run on the thread
 * that made the change (the health scheduler, or a proxy event loop for passive failures): they
 * must not block; hand long work (model re-discovery) to another executor.
 */
public final class HealthMonitor implements HealthFeedback, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    /** Tunables; {@link #DEFAULTS} follow the documented behaviour, tests shorten the times. */
    public record Options(
            int breakerFailureThreshold,
            Duration breakerOpenFor,
            Duration recheckDelay,
            int maxBackoffMultiplier,
            Duration maxBackoffDelay,
            double busyLatencyFraction,
            Duration defaultRetryAfter,
            int consecutive5xx) {

        public static final Options DEFAULTS = new Options(3, Duration.ofSeconds(30), Duration.ofSeconds(1), 8,
                Duration.ofSeconds(60), 0.75, Duration.ofSeconds(30), 0);

        public Options {
            if (breakerFailureThreshold < 1 || maxBackoffMultiplier < 1 || busyLatencyFraction <= 0) {
                throw new IllegalArgumentException("invalid health options");
            }
            Objects.requireNonNull(breakerOpenFor);
            Objects.requireNonNull(recheckDelay);
            Objects.requireNonNull(maxBackoffDelay);
            Objects.requireNonNull(defaultRetryAfter);
        }

        public Options withBreaker(int threshold, Duration openFor) {
            return new Options(threshold, openFor, recheckDelay, maxBackoffMultiplier, maxBackoffDelay,
                    busyLatencyFraction, defaultRetryAfter, consecutive5xx);
        }

        public Options withRecheckDelay(Duration d) {
            return new Options(breakerFailureThreshold, breakerOpenFor, d, maxBackoffMultiplier, maxBackoffDelay,
                    busyLatencyFraction, defaultRetryAfter, consecutive5xx);
        }

        /** {@code proxy.consecutive_5xx}: eject (open the breaker) after n consecutive 5xx; 0 = off. */
        public Options withConsecutive5xx(int n) {
            return new Options(breakerFailureThreshold, breakerOpenFor, recheckDelay, maxBackoffMultiplier,
                    maxBackoffDelay, busyLatencyFraction, defaultRetryAfter, Math.max(0, n));
        }

        public Options withDefaultRetryAfter(Duration d) {
            return new Options(breakerFailureThreshold, breakerOpenFor, recheckDelay, maxBackoffMultiplier,
                    maxBackoffDelay, busyLatencyFraction, d, consecutive5xx);
        }
    }

    /** A status change, announced once per change. Must not block. */
    @FunctionalInterface
    public interface StatusListener {
        void statusChanged(EndpointState endpoint, EndpointStatus from, EndpointStatus to, String reason);
    }

    static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(5);
    static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(2);
    /** Extra time after check_timeout before a probe still running is cancelled outright. */
    private static final long WATCHDOG_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final EndpointRegistry registry;
    private final Duration initialDelay;
    private final HealthClock clock;
    private final Options options;
    private final String userAgent;
    private final Map<EndpointState, Checker> checkers;
    private final List<Checker> checkerList;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Executor onScheduler;
    private final ExecutorService ioExecutor;
    private final HttpClient client;
    private final List<StatusListener> statusListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<EndpointState>> recoveryListeners = new CopyOnWriteArrayList<>();
    private volatile boolean started;
    private volatile boolean closed;

    public HealthMonitor(EndpointRegistry registry, Duration initialDelay, HealthClock clock) {
        this(registry, initialDelay, clock, Options.DEFAULTS);
    }

    public HealthMonitor(EndpointRegistry registry, Duration initialDelay, HealthClock clock, Options options) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.initialDelay = initialDelay == null || initialDelay.isNegative() ? Duration.ZERO : initialDelay;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.options = Objects.requireNonNull(options, "options");
        this.userAgent = "olla-HealthChecker/" + BuildInfo.current().version();

        scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "olla-health");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        onScheduler = r -> {
            try {
                scheduler.execute(r);
            } catch (RejectedExecutionException afterClose) {
                // closing: nothing left to do
            }
        };
        ioExecutor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("olla-health-io-", 0).factory());
        Duration connectTimeout = DEFAULT_CHECK_TIMEOUT;
        for (EndpointState s : registry.all()) {
            Duration t = checkTimeout(s.endpoint());
            if (t.compareTo(connectTimeout) > 0) {
                connectTimeout = t;
            }
        }
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(ioExecutor)
                .build();

        Map<EndpointState, Checker> m = new IdentityHashMap<>();
        List<Checker> list = new ArrayList<>();
        for (EndpointState s : registry.all()) {
            Checker c = new Checker(s);
            m.put(s, c);
            list.add(c);
        }
        checkers = m;
        checkerList = List.copyOf(list);
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Starts periodic probing: endpoints never checked get their first probe after
     * {@code initialDelay}; endpoints already checked by {@link #checkAllNow()} continue on their
     * computed schedule. Idempotent.
     */
    public void start() {
        if (closed || started) {
            return;
        }
        started = true;
        onScheduler.execute(() -> checkerList.forEach(Checker::startSchedule));
    }

    /**
     * Probes every endpoint now, concurrently (a probe already running is joined, not repeated).
     * Completes when all have an outcome; never completes exceptionally.
     */
    public CompletableFuture<Void> checkAllNow() {
        CompletableFuture<Void> all = new CompletableFuture<>();
        if (closed) {
            all.complete(null);
            return all;
        }
        onScheduler.execute(() -> {
            CompletableFuture<?>[] each = new CompletableFuture<?>[checkerList.size()];
            for (int i = 0; i < each.length; i++) {
                each[i] = checkerList.get(i).probe(true);
            }
            CompletableFuture.allOf(each).whenComplete((v, e) -> all.complete(null));
        });
        return all;
    }

    /**
     * One full pass over all endpoints, waiting at most {@code bound}. The app calls this before
     * opening its port so a request sent right after start-up is routed. Endpoints whose probe has
     * not finished stay {@code unknown} (not routable) until it does.
     */
    public void runInitialPass(Duration bound) {
        long t0 = System.nanoTime();
        try {
            checkAllNow().get(bound.toNanos(), TimeUnit.NANOSECONDS);
            if (LOG.isInfoEnabled()) {
                long up = registry.all().stream().filter(EndpointState::routable).count();
                LOG.info("initial health check: {}/{} endpoint(s) routable ({} ms)", up, registry.all().size(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
        } catch (TimeoutException e) {
            LOG.warn("initial health check not finished within {} ms; endpoints not yet checked stay unknown",
                    bound.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("initial health check failed: {}", e.getCause().toString());
        }
    }

    /** Stops every timer and probe at once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        client.shutdownNow();
        ioExecutor.shutdownNow();
    }

    // ------------------------------------------------------------------ listeners

    public void addStatusListener(StatusListener listener) {
        statusListeners.add(Objects.requireNonNull(listener));
    }

    /** Called when an endpoint goes from non-routable (not {@code unknown}) to routable. */
    public void addRecoveryListener(Consumer<EndpointState> listener) {
        recoveryListeners.add(Objects.requireNonNull(listener));
    }

    // ------------------------------------------------------------------ HealthFeedback (proxy side)

    @Override
    public boolean admits(EndpointState endpoint) {
        Checker c = checkers.get(endpoint);
        return c == null || c.breaker.permitsNow();
    }

    @Override
    public CircuitBreaker.Permit acquire(EndpointState endpoint) {
        Checker c = checkers.get(endpoint);
        return c == null ? CircuitBreaker.Permit.CLOSED : c.breaker.tryAcquire();
    }

    @Override
    public void succeeded(EndpointState endpoint, CircuitBreaker.Permit permit, int status) {
        Checker c = checkers.get(endpoint);
        if (c == null) {
            return;
        }
        int limit = options.consecutive5xx();
        if (limit > 0 && status >= 500) {
            int n = c.consecutive5xx.incrementAndGet();
            if (permit != null && permit.trial()) {
                breakerFailure(c, permit); // the trial answered 5xx again: stays out
            } else if (n >= limit && c.breaker.eject()) {
                c.consecutive5xx.set(0);
                LOG.warn("endpoint {} ejected: {} consecutive 5xx answers (circuit breaker open for {}s)",
                        endpoint.name(), n, options.breakerOpenFor().toSeconds());
            }
            return;
        }
        c.consecutive5xx.set(0);
        if (c.breaker.onSuccess(permit)) {
            LOG.info("endpoint {} circuit breaker closed: trial request succeeded", endpoint.name());
        }
        if (status < 500) {
            endpoint.markHealthy();
        }
        if (!endpoint.routable() && !closed) {
            // It answered although marked down (last resort, panic): look at it now.
            onScheduler.execute(c::recheckSoon);
        }
    }

    /**
     * A proxied request could not connect: the endpoint goes {@code offline} now, the failure counts
     * toward its breaker, and a re-check is brought forward. Cheap and non-blocking (event loops).
     */
    @Override
    public void connectionFailed(EndpointState endpoint, CircuitBreaker.Permit permit, String reason) {
        Checker c = checkers.get(endpoint);
        if (c == null || closed) {
            return;
        }
        c.passiveFailures.incrementAndGet();
        endpoint.markFailed();
        String why = reason == null || reason.isBlank() ? "connection failed" : reason;
        // Requests already in flight when an endpoint dies all fail together: count the outage once
        // (when it takes the endpoint out of rotation), not once per request, or a short blip under
        // load would open the breaker. The trial's verdict always counts.
        if (endpoint.routable() || (permit != null && permit.trial())) {
            breakerFailure(c, permit);
        } else {
            c.breaker.release(permit);
        }
        transition(endpoint, EndpointStatus.OFFLINE, why);
        onScheduler.execute(c::recheckSoon);
    }

    @Override
    public void attemptFailed(EndpointState endpoint, CircuitBreaker.Permit permit, String reason) {
        Checker c = checkers.get(endpoint);
        if (c == null || closed) {
            return;
        }
        if (endpoint.routable() || (permit != null && permit.trial())) {
            breakerFailure(c, permit);
        } else {
            c.breaker.release(permit);
        }
        onScheduler.execute(c::recheckSoon);
    }

    @Override
    public void ignored(EndpointState endpoint, CircuitBreaker.Permit permit) {
        Checker c = checkers.get(endpoint);
        if (c != null) {
            c.breaker.release(permit);
        }
    }

    /** Whether the endpoint's breaker refuses requests right now (takes no permit). */
    public boolean circuitOpen(EndpointState endpoint) {
        return !admits(endpoint);
    }

    public CircuitBreaker.State circuitState(EndpointState endpoint) {
        Checker c = checkers.get(endpoint);
        return c == null ? CircuitBreaker.State.CLOSED : c.breaker.state();
    }

    /** The endpoint's breaker (for inspection and tests). */
    public CircuitBreaker breaker(EndpointState endpoint) {
        Checker c = checkers.get(endpoint);
        return c == null ? null : c.breaker;
    }

    /** The current back-off multiplier of the endpoint's probe interval (1 when healthy). */
    public int backoffMultiplier(EndpointState endpoint) {
        Checker c = checkers.get(endpoint);
        return c == null ? 1 : c.multiplier;
    }

    public EndpointRegistry registry() {
        return registry;
    }

    public Options options() {
        return options;
    }

    // ------------------------------------------------------------------ transitions

    /**
     * Sets the status; exactly one caller wins each change (CAS), and only it logs and notifies.
     * Returns whether the status changed.
     */
    boolean transition(EndpointState s, EndpointStatus next, String reason) {
        for (;;) {
            EndpointStatus prev = s.status();
            if (prev == next) {
                if (!Objects.equals(reason, s.statusReason())) {
                    s.statusReason(reason);
                }
                return false;
            }
            if (s.compareAndSetStatus(prev, next, reason)) {
                announce(s, prev, next, reason);
                return true;
            }
        }
    }

    private void announce(EndpointState s, EndpointStatus prev, EndpointStatus next, String reason) {
        if (next.routable()) {
            LOG.info("endpoint {} {} -> {}: {}", s.name(), prev.wire(), next.wire(), reason);
        } else {
            LOG.warn("endpoint {} {} -> {}: {}", s.name(), prev.wire(), next.wire(), reason);
        }
        for (StatusListener l : statusListeners) {
            try {
                l.statusChanged(s, prev, next, reason);
            } catch (RuntimeException e) {
                LOG.warn("status listener failed for endpoint {}", s.name(), e);
            }
        }
        if (next.routable() && !prev.routable() && prev != EndpointStatus.UNKNOWN) {
            for (Consumer<EndpointState> l : recoveryListeners) {
                try {
                    l.accept(s);
                } catch (RuntimeException e) {
                    LOG.warn("recovery listener failed for endpoint {}", s.name(), e);
                }
            }
        }
    }

    /** Counts a failure on the endpoint's breaker; logs when that opens it (once per opening). */
    private void breakerFailure(Checker c, CircuitBreaker.Permit permit) {
        CircuitBreaker.State before = c.breaker.state();
        if (c.breaker.onFailure(permit)) {
            if (before == CircuitBreaker.State.HALF_OPEN) {
                LOG.warn("endpoint {} circuit breaker re-opened: half-open trial failed (for {}s)", c.state.name(),
                        options.breakerOpenFor().toSeconds());
            } else {
                LOG.warn("endpoint {} circuit breaker open after {} consecutive failures (for {}s)", c.state.name(),
                        options.breakerFailureThreshold(), options.breakerOpenFor().toSeconds());
            }
        }
    }

    static Duration checkInterval(Endpoint e) {
        Duration d = e.checkInterval();
        return d == null || d.isZero() || d.isNegative() ? DEFAULT_CHECK_INTERVAL : d;
    }

    static Duration checkTimeout(Endpoint e) {
        Duration d = e.checkTimeout();
        return d == null || d.isZero() || d.isNegative() ? DEFAULT_CHECK_TIMEOUT : d;
    }

    // ------------------------------------------------------------------ per-endpoint checker

    /**
     * One endpoint's probe loop. Every field except {@link #passiveFailures} and the breaker is
     * read and written only on the scheduler thread ({@code multiplier} is volatile for readers).
     */
    private final class Checker {
        final EndpointState state;
        final CircuitBreaker breaker;
        final AtomicInteger passiveFailures = new AtomicInteger();
        final AtomicInteger consecutive5xx = new AtomicInteger();
        final long intervalNanos;
        final Duration timeout;
        final Duration busyThreshold;
        final HttpRequest request;
        final String requestProblem;

        volatile int multiplier = 1;
        int failures;
        ScheduledFuture<?> timer;
        long timerDue;
        long pausedUntil;
        boolean pauseActive;
        boolean checkedOnce;
        long pendingDelayNanos;
        CompletableFuture<Void> inFlight;

        Checker(EndpointState state) {
            this.state = state;
            this.breaker = new CircuitBreaker(options.breakerFailureThreshold(), options.breakerOpenFor(),
                    clock::nanoTime);
            Endpoint e = state.endpoint();
            this.intervalNanos = checkInterval(e).toNanos();
            this.timeout = checkTimeout(e);
            this.busyThreshold = Duration.ofNanos((long) (timeout.toNanos() * options.busyLatencyFraction()));
            HttpRequest req = null;
            String problem = null;
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
                req = b.build();
            } catch (RuntimeException bad) {
                problem = "invalid health check URL: " + bad.getMessage();
            }
            this.request = req;
            this.requestProblem = problem;
        }

        /** start(): schedule whoever is not already running or scheduled. */
        void startSchedule() {
            if (closed || inFlight != null || timer != null) {
                return;
            }
            schedule(checkedOnce ? pendingDelayNanos : initialDelay.toNanos());
        }

        void schedule(long delayNanos) {
            if (closed) {
                return;
            }
            cancelTimer();
            long d = Math.max(0, delayNanos);
            timerDue = System.nanoTime() + d;
            try {
                timer = scheduler.schedule(this::fire, d, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException afterClose) {
                timer = null;
                return;
            }
            Instant next = clock.now().plusNanos(d);
            state.checked(state.lastCheck(), state.lastLatencyMillis(), next, failures);
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        private void fire() {
            timer = null;
            probe(false);
        }

        /** A passive failure arrived: bring the next probe forward. */
        void recheckSoon() {
            if (closed || !started || inFlight != null) {
                // A probe in flight notices the failure (passiveFailures) and re-checks itself.
                return;
            }
            long now = System.nanoTime();
            if (pauseActive && now - pausedUntil < 0) {
                return;
            }
            long d = options.recheckDelay().toNanos();
            if (timer == null || timerDue - now > d) {
                schedule(d);
            }
        }

        /** Starts a probe unless one is running; {@code forced} ignores a rate-limit pause. */
        CompletableFuture<Void> probe(boolean forced) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            if (inFlight != null) {
                return inFlight;
            }
            long now = System.nanoTime();
            if (!forced && pauseActive && now - pausedUntil < 0) {
                schedule(pausedUntil - now);
                return CompletableFuture.completedFuture(null);
            }
            pauseActive = false;
            cancelTimer();
            CompletableFuture<Void> done = new CompletableFuture<>();
            inFlight = done;
            int epoch = passiveFailures.get();
            long start = clock.nanoTime();
            if (request == null) {
                apply(new ProbeOutcome(EndpointStatus.UNHEALTHY, requestProblem, 0, null), epoch);
                return done;
            }
            CompletableFuture<HttpResponse<Void>> cf;
            try {
                cf = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
            } catch (RuntimeException e) {
                apply(ProbeOutcome.ofError(e, 0, timeout), epoch);
                return done;
            }
            // The request timeout covers the response head; the watchdog also bounds the body.
            ScheduledFuture<?> watchdog;
            try {
                watchdog = scheduler.schedule(() -> cf.cancel(true), timeout.toNanos() + WATCHDOG_GRACE_NANOS,
                        TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException afterClose) {
                cf.cancel(true);
                return done;
            }
            cf.whenCompleteAsync((resp, err) -> {
                watchdog.cancel(false);
                long latency = clock.nanoTime() - start;
                ProbeOutcome o = resp != null
                        ? ProbeOutcome.ofResponse(resp.statusCode(), latency, busyThreshold,
                                resp.headers().firstValue("retry-after").orElse(null), options.defaultRetryAfter(),
                                clock.now())
                        : ProbeOutcome.ofError(err, latency, timeout);
                apply(o, epoch);
            }, onScheduler);
            return done;
        }

        /** Records a probe's outcome (scheduler thread) and schedules the next probe. */
        void apply(ProbeOutcome o, int epoch) {
            CompletableFuture<Void> done = inFlight;
            inFlight = null;
            try {
                if (closed) {
                    return;
                }
                long delay;
                EndpointStatus st = o.status();
                if (st.routable()) {
                    if (passiveFailures.get() != epoch) {
                        // A proxied request failed to connect while this probe ran: do not mark the
                        // endpoint healthy on older evidence; look again shortly.
                        delay = options.recheckDelay().toNanos();
                        record(delay, o.latencyMillis());
                        return;
                    }
                    if (breaker.probeSucceeded()) {
                        LOG.info("endpoint {} circuit breaker closed: health probe succeeded", state.name());
                    }
                    state.markHealthy();
                    failures = 0;
                    multiplier = 1;
                    delay = intervalNanos;
                } else if (st == EndpointStatus.RATE_LIMITED) {
                    delay = o.retryAfter().toNanos();
                    pausedUntil = System.nanoTime() + delay;
                    pauseActive = true;
                } else {
                    if (st == EndpointStatus.OFFLINE || st == EndpointStatus.UNHEALTHY) {
                        breakerFailure(this, CircuitBreaker.Permit.CLOSED);
                    }
                    failures++;
                    multiplier = (int) Math.min((long) multiplier * 2, options.maxBackoffMultiplier());
                    delay = retryDelayNanos(failures);
                }
                transition(state, st, o.reason());
                record(delay, o.latencyMillis());
            } finally {
                if (done != null) {
                    done.complete(null);
                }
            }
        }

        private void record(long delayNanos, long latencyMillis) {
            checkedOnce = true;
            Instant now = clock.now();
            state.checked(now, latencyMillis, now.plusNanos(delayNanos), failures);
            if (started) {
                schedule(delayNanos);
            } else {
                pendingDelayNanos = delayNanos;
            }
        }

        /** After k consecutive failed probes: {@code recheckDelay x 2^(k-1)}, at most {@code check_interval}. */
        long retryDelayNanos(int k) {
            long first = Math.min(options.recheckDelay().toNanos(), intervalNanos);
            int shift = Math.min(Math.max(k - 1, 0), 30);
            long d = first > (intervalNanos >> shift) ? intervalNanos : first << shift;
            return Math.min(Math.max(d, 1), intervalNanos);
        }

        /** {@code check_interval x multiplier}, at most {@code max(maxBackoffDelay, check_interval)}. */
        long backoffDelayNanos() {
            long cap = Math.max(options.maxBackoffDelay().toNanos(), intervalNanos);
            long d = intervalNanos > cap / multiplier ? cap : intervalNanos * multiplier;
            return Math.min(d, cap);
        }
    }
}
