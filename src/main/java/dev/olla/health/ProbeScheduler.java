package dev.olla.health;

import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.endpoint.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides when each endpoint is probed next, and starts the probes; what an outcome means for the
 * endpoint is the {@link Verdicts}' job. Everything runs on the injected {@link Scheduler}'s thread
 * (so no locks): an idle endpoint costs one timer per interval.
 *
 * <ul>
 *   <li>First probe after {@code initialDelay} ({@link #start()}), or at once ({@link #probeAllNow()}).</li>
 *   <li>{@code healthy}/{@code busy}: the next probe {@code check_interval} after this one started.</li>
 *   <li>{@code offline}/{@code unhealthy}/{@code config_error}: sooner, never later: after k
 *       consecutive failures {@code min(recheckDelay x 2^(k-1), check_interval)} after the failed
 *       probe started (1 s, 2 s, 4 s ... by default), so a backend that answers again is re-admitted
 *       within one {@code check_interval} however long it was down. One success resets it.</li>
 *   <li>{@code rate_limited}: no probe for the {@code Retry-After} pause.</li>
 *   <li>A passive failure ({@link #passiveFailure}) brings the next probe forward to now, or to
 *       {@code recheckDelay} after the last probe started when that was more recent (so a flood of
 *       failed requests does not become a flood of probes). A probe already in flight when a passive
 *       failure arrives cannot report the endpoint healthy on that older evidence: it re-checks.</li>
 * </ul>
 */
final class ProbeScheduler {
    static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(5);
    static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(2);
    private static final long NEVER = Long.MIN_VALUE;

    /** What a probe's outcome means for the endpoint (breaker, status). Runs on the scheduler thread. */
    @FunctionalInterface
    interface Verdicts {
        void probed(EndpointState endpoint, ProbeOutcome outcome);
    }

    private final Scheduler scheduler;
    private final Prober prober;
    private final Verdicts verdicts;
    private final long initialDelayNanos;
    private final long recheckNanos;
    private final Map<EndpointState, Checker> checkers = new IdentityHashMap<>();
    private final List<Checker> all = new ArrayList<>();
    private volatile boolean started;
    private volatile boolean closed;

    ProbeScheduler(Collection<EndpointState> endpoints, Scheduler scheduler, Prober prober, Duration initialDelay,
            Duration recheckDelay, Verdicts verdicts) {
        this.scheduler = scheduler;
        this.prober = prober;
        this.verdicts = verdicts;
        this.initialDelayNanos = initialDelay == null || initialDelay.isNegative() ? 0 : initialDelay.toNanos();
        this.recheckNanos = Math.max(0, recheckDelay.toNanos());
        for (EndpointState s : endpoints) {
            Checker c = new Checker(s);
            checkers.put(s, c);
            all.add(c);
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

    boolean knows(EndpointState s) {
        return checkers.containsKey(s);
    }

    /** Starts periodic probing (endpoints already probed continue on their computed schedule). */
    void start() {
        if (closed || started) {
            return;
        }
        started = true;
        scheduler.execute(() -> all.forEach(Checker::startSchedule));
    }

    /** Probes every endpoint now (a probe already running is joined); completes when all have an outcome. */
    CompletableFuture<Void> probeAllNow() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed) {
            done.complete(null);
            return done;
        }
        scheduler.execute(() -> {
            CompletableFuture<?>[] each = new CompletableFuture<?>[all.size()];
            for (int i = 0; i < each.length; i++) {
                each[i] = all.get(i).probe(true);
            }
            CompletableFuture.allOf(each).whenComplete((v, e) -> done.complete(null));
        });
        return done;
    }

    /** A proxied request failed on the endpoint: probe it now (or soon). Cheap; any thread. */
    void passiveFailure(EndpointState s) {
        Checker c = checkers.get(s);
        if (c != null && !closed) {
            c.passiveFailures.incrementAndGet();
            scheduler.execute(c::recheckSoon);
        }
    }

    /** The endpoint answered a request although marked down: look at it now (or soon). Any thread. */
    void recheckSoon(EndpointState s) {
        Checker c = checkers.get(s);
        if (c != null && !closed) {
            scheduler.execute(c::recheckSoon);
        }
    }

    void close() {
        closed = true;
        scheduler.execute(() -> all.forEach(Checker::cancelTimer));
    }

    /** One endpoint's probe loop; every field except {@link #passiveFailures} belongs to the scheduler thread. */
    private final class Checker {
        final EndpointState state;
        final AtomicInteger passiveFailures = new AtomicInteger();
        final long intervalNanos;

        int failures;
        Scheduler.Timer timer;
        long timerDue;
        long pausedUntil;
        boolean pauseActive;
        boolean checkedOnce;
        long pendingDelayNanos;
        long lastStart = NEVER;
        CompletableFuture<Void> inFlight;

        Checker(EndpointState state) {
            this.state = state;
            this.intervalNanos = checkInterval(state.endpoint()).toNanos();
        }

        void startSchedule() {
            if (closed || inFlight != null || timer != null) {
                return;
            }
            schedule(checkedOnce ? pendingDelayNanos : initialDelayNanos);
        }

        void schedule(long delayNanos) {
            if (closed) {
                return;
            }
            cancelTimer();
            long d = Math.max(0, delayNanos);
            timerDue = scheduler.nanoTime() + d;
            timer = scheduler.schedule(this::fire, d);
            state.checked(state.lastCheck(), state.lastLatencyMillis(), scheduler.now().plusNanos(d), failures);
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
        }

        private void fire() {
            timer = null;
            probe(false);
        }

        void recheckSoon() {
            if (closed || !started || inFlight != null) {
                return; // a probe in flight notices the failure (passiveFailures) and re-checks itself
            }
            long now = scheduler.nanoTime();
            if (pauseActive && now - pausedUntil < 0) {
                return;
            }
            long d = lastStart == NEVER ? 0 : Math.max(0, lastStart + recheckNanos - now);
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
            long now = scheduler.nanoTime();
            if (!forced && pauseActive && now - pausedUntil < 0) {
                schedule(pausedUntil - now);
                return CompletableFuture.completedFuture(null);
            }
            pauseActive = false;
            cancelTimer();
            CompletableFuture<Void> done = new CompletableFuture<>();
            inFlight = done;
            lastStart = now;
            int epoch = passiveFailures.get();
            CompletableFuture<ProbeOutcome> probe;
            try {
                probe = prober.probe(state);
            } catch (RuntimeException e) {
                probe = CompletableFuture.completedFuture(ProbeOutcome.ofError(e, 0, checkTimeout(state.endpoint())));
            }
            probe.whenComplete((o, err) -> scheduler.execute(() -> apply(o != null ? o
                    : ProbeOutcome.ofError(err, 0, checkTimeout(state.endpoint())), epoch, now)));
            return done;
        }

        /** Hands the outcome to the verdicts and schedules the next probe. */
        void apply(ProbeOutcome o, int epoch, long start) {
            CompletableFuture<Void> done = inFlight;
            inFlight = null;
            try {
                if (closed) {
                    return;
                }
                EndpointStatus st = o.status();
                if (st.routable() && passiveFailures.get() != epoch) {
                    // a proxied request failed while this probe ran: not healthy on older evidence
                    record(start, recheckNanos, o.latencyMillis());
                    return;
                }
                long delay;
                if (st.routable()) {
                    failures = 0;
                    delay = intervalNanos;
                } else if (st == EndpointStatus.RATE_LIMITED) {
                    delay = o.retryAfter().toNanos();
                    start = NEVER; // the pause counts from the answer
                    pausedUntil = scheduler.nanoTime() + delay;
                    pauseActive = true;
                } else {
                    failures++;
                    delay = retryDelayNanos(failures);
                }
                verdicts.probed(state, o);
                record(start, delay, o.latencyMillis());
            } finally {
                if (done != null) {
                    done.complete(null);
                }
            }
        }

        /** Next probe {@code delay} after {@code start} (the probe's start; NEVER: now), never in the past. */
        private void record(long start, long delay, long latencyMillis) {
            checkedOnce = true;
            long d = start == NEVER ? delay : Math.max(0, start + delay - scheduler.nanoTime());
            Instant now = scheduler.now();
            state.checked(now, latencyMillis, now.plusNanos(d), failures);
            if (started) {
                schedule(d);
            } else {
                pendingDelayNanos = d;
            }
        }

        /** After k consecutive failed probes: {@code recheckDelay x 2^(k-1)}, at most {@code check_interval}. */
        long retryDelayNanos(int k) {
            long first = Math.min(Math.max(recheckNanos, 1), intervalNanos);
            int shift = Math.min(Math.max(k - 1, 0), 30);
            long d = first > (intervalNanos >> shift) ? intervalNanos : first << shift;
            return Math.min(Math.max(d, 1), intervalNanos);
        }
    }
}
