package dev.olla.health;

import dev.olla.BuildInfo;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
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
 * <h2>Pieces</h2>
 * This class schedules probes and ties the pieces together; each piece has one job:
 * {@link HttpProber} sends a probe and classifies the answer ({@link ProbeOutcome}) on virtual
 * threads; {@link EndpointBreakers} holds the one {@link CircuitBreaker} per endpoint and what feeds
 * it; {@link StatusTransitions} changes statuses (one log line, one announcement per change).
 * Timers live on one small scheduler thread ({@code olla-health}), which also owns every
 * per-endpoint scheduling field, so there are no locks and no busy loops: an idle endpoint costs
 * one timer per interval. Nothing here runs on a Netty event loop, except the cheap feedback calls
 * the proxy makes.
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

    /**
     * Tunables; {@link #DEFAULTS} follow the documented behaviour, tests shorten the times.
     * {@code recheckDelay}: how soon a passive failure brings the next probe, and the first re-check
     * after a failed probe (doubling up to {@code check_interval}).
     */
    public record Options(
            int breakerFailureThreshold,
            Duration breakerOpenFor,
            Duration recheckDelay,
            double busyLatencyFraction,
            Duration defaultRetryAfter,
            int consecutive5xx) {

        public static final Options DEFAULTS = new Options(3, Duration.ofSeconds(30), Duration.ofSeconds(1), 0.75,
                Duration.ofSeconds(30), 0);

        public Options {
            if (breakerFailureThreshold < 1 || busyLatencyFraction <= 0) {
                throw new IllegalArgumentException("invalid health options");
            }
            Objects.requireNonNull(breakerOpenFor);
            Objects.requireNonNull(recheckDelay);
            Objects.requireNonNull(defaultRetryAfter);
        }

        public Options withBreaker(int threshold, Duration openFor) {
            return new Options(threshold, openFor, recheckDelay,
                    busyLatencyFraction, defaultRetryAfter, consecutive5xx);
        }

        public Options withRecheckDelay(Duration d) {
            return new Options(breakerFailureThreshold, breakerOpenFor, d,
                    busyLatencyFraction, defaultRetryAfter, consecutive5xx);
        }

        /** {@code proxy.consecutive_5xx}: eject (open the breaker) after n consecutive 5xx; 0 = off. */
        public Options withConsecutive5xx(int n) {
            return new Options(breakerFailureThreshold, breakerOpenFor, recheckDelay,
                    busyLatencyFraction, defaultRetryAfter, Math.max(0, n));
        }

        public Options withDefaultRetryAfter(Duration d) {
            return new Options(breakerFailureThreshold, breakerOpenFor, recheckDelay,
                    busyLatencyFraction, d, consecutive5xx);
        }
    }

    /** A status change, announced once per change. Must not block. */
    @FunctionalInterface
    public interface StatusListener {
        void statusChanged(EndpointState endpoint, EndpointStatus from, EndpointStatus to, String reason);
    }

    static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(5);
    static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(2);

    private final EndpointRegistry registry;
    private final Duration initialDelay;
    private final HealthClock clock;
    private final Options options;
    private final Map<EndpointState, Checker> checkers;
    private final List<Checker> checkerList;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Executor onScheduler;
    private final HttpProber prober;
    private final EndpointBreakers breakers;
    private final StatusTransitions transitions = new StatusTransitions();
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
        prober = new HttpProber(registry.all(), "olla-HealthChecker/" + BuildInfo.current().version(), clock,
                options.busyLatencyFraction(), options.defaultRetryAfter());
        breakers = new EndpointBreakers(registry.all(), options.breakerFailureThreshold(), options.breakerOpenFor(),
                options.consecutive5xx(), clock::nanoTime);

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
        prober.close();
    }

    // ------------------------------------------------------------------ listeners

    public void addStatusListener(StatusListener listener) {
        transitions.addStatusListener(listener);
    }

    /** Called when an endpoint goes from non-routable (not {@code unknown}) to routable. */
    public void addRecoveryListener(Consumer<EndpointState> listener) {
        transitions.addRecoveryListener(listener);
    }

    // ------------------------------------------------------------------ HealthFeedback (proxy side)

    @Override
    public boolean admits(EndpointState endpoint) {
        return breakers.admits(endpoint);
    }

    @Override
    public CircuitBreaker.Permit acquire(EndpointState endpoint) {
        return breakers.acquire(endpoint);
    }

    @Override
    public void succeeded(EndpointState endpoint, CircuitBreaker.Permit permit, int status) {
        Checker c = checkers.get(endpoint);
        if (c == null) {
            return;
        }
        if (breakers.answered(endpoint, permit, status)) {
            endpoint.markHealthy();
            if (!endpoint.routable() && !closed) {
                // It answered although marked down (last resort, panic): look at it now.
                onScheduler.execute(c::recheckSoon);
            }
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
        breakers.failed(endpoint, permit, endpoint.routable() || (permit != null && permit.trial()));
        transitions.transition(endpoint, EndpointStatus.OFFLINE, why);
        onScheduler.execute(c::recheckSoon);
    }

    @Override
    public void attemptFailed(EndpointState endpoint, CircuitBreaker.Permit permit, String reason) {
        Checker c = checkers.get(endpoint);
        if (c == null || closed) {
            return;
        }
        breakers.failed(endpoint, permit, endpoint.routable() || (permit != null && permit.trial()));
        onScheduler.execute(c::recheckSoon);
    }

    @Override
    public void ignored(EndpointState endpoint, CircuitBreaker.Permit permit) {
        breakers.release(endpoint, permit);
    }

    /** Whether the endpoint's breaker refuses requests right now (takes no permit). */
    public boolean circuitOpen(EndpointState endpoint) {
        return !admits(endpoint);
    }

    public CircuitBreaker.State circuitState(EndpointState endpoint) {
        CircuitBreaker b = breakers.breaker(endpoint);
        return b == null ? CircuitBreaker.State.CLOSED : b.state();
    }

    /** The endpoint's breaker (for inspection and tests). */
    public CircuitBreaker breaker(EndpointState endpoint) {
        return breakers.breaker(endpoint);
    }

    public EndpointRegistry registry() {
        return registry;
    }

    public Options options() {
        return options;
    }

    /** Sets the status (one log line and one announcement per change). */
    boolean transition(EndpointState s, EndpointStatus next, String reason) {
        return transitions.transition(s, next, reason);
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
        final AtomicInteger passiveFailures = new AtomicInteger();
        final long intervalNanos;

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
            this.intervalNanos = checkInterval(state.endpoint()).toNanos();
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
            prober.probe(state).whenCompleteAsync((o, err) -> apply(o != null ? o
                    : ProbeOutcome.ofError(err, 0, checkTimeout(state.endpoint())), epoch), onScheduler);
            return done;
        }

        /** Records a probe's outcome            return done;
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
                    breakers.probeSucceeded(state);
                    state.markHealthy();
                    failures = 0;
                    delay = intervalNanos;
                } else if (st == EndpointStatus.RATE_LIMITED) {
                    delay = o.retryAfter().toNanos();
                    pausedUntil = System.nanoTime() + delay;
                    pauseActive = true;
                } else {
                    if (st == EndpointStatus.OFFLINE || st == EndpointStatus.UNHEALTHY) {
                        breakers.probeFailed(state);
                    }
                    failures++;
                    delay = retryDelayNanos(failures);
                }
                transitions.transition(state, st, o.reason());
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

    }
}
