package dev.olla.health;

import dev.olla.BuildInfo;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.endpoint.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health of every endpoint: wires the pieces and applies what they find. Active probes and the
 * passive feedback the proxy reports from live traffic ({@link HealthFeedback}) meet here.
 *
 * <h2>Pieces, one job each</h2>
 * {@link ProbeScheduler} decides when each endpoint is probed (check_interval, back-off 1 s, 2 s,
 * 4 s ... never later than check_interval, a passive failure brings the probe forward);
 * {@link HttpProber} sends a probe through the shared {@link dev.olla.endpoint.BackendGet} and
 * classifies the answer ({@link ProbeOutcome}); {@link EndpointBreakers} holds the one
 * {@link CircuitBreaker} per endpoint and what feeds it; {@link StatusTransitions} changes statuses
 * (one log line, one announcement per change) and notifies listeners. Time and timers come from the
 * injected {@link Scheduler} (one thread, {@code olla-health} by default), so tests move time
 * instead of sleeping. Nothing here runs on a Netty event loop, except the cheap feedback calls.
 *
 * <h2>Verdicts</h2>
 * A probe that ends {@code healthy}/{@code busy} closes the breaker at once (unless it was ejected
 * for {@code proxy.consecutive_5xx}: only a trial closes that) and marks the endpoint routable;
 * {@code offline}/{@code unhealthy} count toward the breaker (default: 3 consecutive failures, open
 * 30 s); {@code config_error}/{@code rate_limited} count neither way. Proxied attempts feed the same
 * breaker through their permits: a success while OPEN does not close it, only the half-open trial
 * does; an attempt that ends without a verdict hands its permit back.
 *
 * <h2>Passive failures</h2>
 * {@link #connectionFailed} marks the endpoint {@code offline} at once (the class a probe reports
 * for a network failure), counts toward the breaker once per outage, and brings a probe forward.
 * Failures on an endpoint already out of rotation (panic, last resort) are counted in the next
 * transition's log line instead of being logged one by one.
 *
 * <h2>Statuses and listeners</h2>
 * {@code unknown} (never checked) is not routable. Recovery listeners run when an endpoint goes from
 * a non-routable status other than {@code unknown} to a routable one. Listeners run on the thread
 * that made the change (the health scheduler, or a proxy event loop for passive failures): they
 * must not block; hand long work (model re-discovery) to another executor.
 */
public final class HealthMonitor implements HealthFeedback, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    /**
     * Tunables; {@link #DEFAULTS} follow the documented behaviour, tests shorten the times.
     * {@code recheckDelay}: the first re-check after a failed probe (doubling up to
     * {@code check_interval}), and the least time between probe starts that passive failures trigger
     * (a passive failure probes at once when the last probe started longer ago).
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

    private final EndpointRegistry registry;
    private final Options options;
    private final Scheduler scheduler;
    private final boolean ownScheduler;
    private final Prober prober;
    private final EndpointBreakers breakers;
    private final StatusTransitions transitions = new StatusTransitions();
    private final ProbeScheduler probes;
    private volatile boolean closed;

    /** Probes on a scheduler thread of its own ({@code olla-health}) on real time. */
    public HealthMonitor(EndpointRegistry registry, Duration initialDelay, Options options) {
        this(registry, initialDelay, Scheduler.system("olla-health"), true, options, null);
    }

    /** Probes on {@code scheduler} (time and timers; not closed by this monitor). */
    public HealthMonitor(EndpointRegistry registry, Duration initialDelay, Scheduler scheduler, Options options) {
        this(registry, initialDelay, scheduler, false, options, null);
    }

    /** Tests: a scripted {@code prober} instead of HTTP. */
    HealthMonitor(EndpointRegistry registry, Duration initialDelay, Scheduler scheduler, Options options,
            Prober prober) {
        this(registry, initialDelay, scheduler, false, options, prober);
    }

    private HealthMonitor(EndpointRegistry registry, Duration initialDelay, Scheduler scheduler, boolean ownScheduler,
            Options options, Prober prober) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.ownScheduler = ownScheduler;
        this.options = Objects.requireNonNull(options, "options");
        this.prober = prober != null ? prober : new HttpProber("olla-HealthChecker/" + BuildInfo.current().version(),
                options.busyLatencyFraction(), options.defaultRetryAfter(), scheduler::now);
        this.breakers = new EndpointBreakers(registry.all(), options.breakerFailureThreshold(),
                options.breakerOpenFor(), options.consecutive5xx(), scheduler::nanoTime);
        this.probes = new ProbeScheduler(registry.all(), scheduler, this.prober, initialDelay, options.recheckDelay(),
                this::probed);
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Starts periodic probing: endpoints never checked get their first probe after
     * {@code initialDelay}; endpoints already checked by {@link #checkAllNow()} continue on their
     * computed schedule. Idempotent.
     */
    public void start() {
        if (!closed) {
            probes.start();
        }
    }

    /**
     * Probes every endpoint now, concurrently (a probe already running is joined, not repeated).
     * Completes when all have an outcome; never completes exceptionally.
     */
    public CompletableFuture<Void> checkAllNow() {
        return probes.probeAllNow();
    }

    /**
     * One full pass over all endpoints, waiting at most {@code bound} of real time. The app calls
     * this before opening its port so a request sent right after start-up is routed. Endpoints whose
     * probe has not finished stay {@code unknown} (not routable) until it does.
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
        probes.close();
        if (ownScheduler) {
            scheduler.close();
        }
        if (prober instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing
            }
        }
    }

    // ------------------------------------------------------------------ listeners

    public void addStatusListener(StatusListener listener) {
        transitions.addStatusListener(listener);
    }

    /** Called when an endpoint goes from non-routable (not {@code unknown}) to routable. */
    public void addRecoveryListener(Consumer<EndpointState> listener) {
        transitions.addRecoveryListener(listener);
    }

    // ------------------------------------------------------------------ probe verdicts

    /** A probe's outcome (scheduler thread): breaker and status. */
    private void probed(EndpointState s, ProbeOutcome o) {
        EndpointStatus st = o.status();
        if (st.routable()) {
            breakers.probeSucceeded(s);
            s.markHealthy();
        } else if (st == EndpointStatus.OFFLINE || st == EndpointStatus.UNHEALTHY) {
            breakers.probeFailed(s);
        }
        transitions.transition(s, st, o.reason());
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
        if (!probes.knows(endpoint)) {
            return;
        }
        if (breakers.answered(endpoint, permit, status)) {
            endpoint.markHealthy();
            if (!endpoint.routable() && !closed) {
                probes.recheckSoon(endpoint); // it answered although marked down (last resort, panic)
            }
        }
    }

    /**
     * A proxied request could not connect: the endpoint goes {@code offline} now, the failure counts
     * toward its breaker, and a probe is brought forward. Cheap and non-blocking (event loops).
     * Logged once per transition; failures while it is already out of rotation are only counted.
     */
    @Override
    public void connectionFailed(EndpointState endpoint, CircuitBreaker.Permit permit, String reason) {
        if (!probes.knows(endpoint) || closed) {
            return;
        }
        boolean wasRoutable = endpoint.routable();
        endpoint.markFailed();
        String why = reason == null || reason.isBlank() ? "connection failed" : reason;
        // Requests already in flight when an endpoint dies all fail together: count the outage once
        // (when it takes the endpoint out of rotation), not once per request, or a short blip under
        // load would open the breaker. The trial's verdict always counts.
        breakers.failed(endpoint, permit, wasRoutable || (permit != null && permit.trial()));
        if (!transitions.transition(endpoint, EndpointStatus.OFFLINE, why)) {
            transitions.failedWhileDown(endpoint);
        }
        probes.passiveFailure(endpoint);
    }

    @Override
    public void attemptFailed(EndpointState endpoint, CircuitBreaker.Permit permit, String reason) {
        if (!probes.knows(endpoint) || closed) {
            return;
        }
        breakers.failed(endpoint, permit, endpoint.routable() || (permit != null && permit.trial()));
        probes.passiveFailure(endpoint);
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
}
