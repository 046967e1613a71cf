package dev.olla.health;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.endpoint.ManualScheduler;
import dev.olla.health.CircuitBreaker.Permit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * When probes go out and what their outcomes and the proxy's feedback do to the breaker and the
 * status, on a {@link ManualScheduler} (time moves only when the test says) with a scripted prober:
 * no sockets, no sleeps, exact times.
 */
class ProbeSchedulingTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final ManualScheduler time = new ManualScheduler();
    private final List<HealthMonitor> monitors = new ArrayList<>();

    @AfterEach
    void tearDown() {
        monitors.forEach(HealthMonitor::close);
    }

    /** Answers every probe with the current script (or holds it open until the test completes it). */
    static final class ScriptedProber implements Prober {
        volatile ProbeOutcome next = healthy();
        volatile boolean hold;
        final AtomicInteger probes = new AtomicInteger();
        final List<CompletableFuture<ProbeOutcome>> held = new ArrayList<>();

        @Override
        public CompletableFuture<ProbeOutcome> probe(EndpointState endpoint) {
            probes.incrementAndGet();
            if (hold) {
                CompletableFuture<ProbeOutcome> f = new CompletableFuture<>();
                held.add(f);
                return f;
            }
            return CompletableFuture.completedFuture(next);
        }
    }

    static ProbeOutcome healthy() {
        return new ProbeOutcome(EndpointStatus.HEALTHY, "HTTP 200 in 1ms", 1, null);
    }

    static ProbeOutcome offline() {
        return new ProbeOutcome(EndpointStatus.OFFLINE, "connection refused", 0, null);
    }

    static ProbeOutcome unhealthy() {
        return new ProbeOutcome(EndpointStatus.UNHEALTHY, "HTTP 500 from health check", 1, null);
    }

    private static EndpointState endpoint(String name, Duration interval) {
        return new EndpointState(TestEndpoints.endpoint(name, "http://127.0.0.1:1", 100, "/health", interval, SECOND,
                Map.of()));
    }

    private HealthMonitor monitor(ScriptedProber prober, HealthMonitor.Options options, EndpointState... states) {
        HealthMonitor m = new HealthMonitor(TestEndpoints.registry(states), Duration.ZERO, time, options, prober);
        monitors.add(m);
        return m;
    }

    private HealthMonitor started(ScriptedProber prober, HealthMonitor.Options options, EndpointState... states) {
        HealthMonitor m = monitor(prober, options, states);
        m.checkAllNow();
        m.start();
        time.runDue();
        return m;
    }

    private static Duration gap(EndpointState s) {
        return Duration.between(s.lastCheck(), s.nextCheck());
    }

    @Test
    void failedProbesRepeatSoonerNeverLaterThanTheIntervalAndOneSuccessResets() {
        ScriptedProber prober = new ScriptedProber();
        EndpointState ep = endpoint("gpu1", Duration.ofSeconds(5));
        EndpointState fast = endpoint("gpu2", Duration.ofMillis(1500));
        started(prober, HealthMonitor.Options.DEFAULTS.withBreaker(100, Duration.ofSeconds(30)), ep, fast);
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(time.pending()).containsExactly(Duration.ofMillis(1500), Duration.ofSeconds(5));

        prober.next = unhealthy();
        time.advance(Duration.ofSeconds(5)); // gpu1's next probe fails
        long[] expectedSeconds = {1, 2, 4, 5, 5};
        for (int i = 0; i < expectedSeconds.length; i++) {
            assertThat(gap(ep)).as("after failure %d", i + 1).isEqualTo(Duration.ofSeconds(expectedSeconds[i]));
            time.advance(Duration.ofSeconds(expectedSeconds[i]));
        }
        assertThat(ep.consecutiveFailures()).isEqualTo(6);
        assertThat(gap(fast)).isEqualTo(Duration.ofMillis(1500)); // never beyond check_interval

        prober.next = healthy();
        time.advance(Duration.ofSeconds(5));
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(gap(ep)).isEqualTo(Duration.ofSeconds(5));
        assertThat(ep.consecutiveFailures()).isZero();
    }

    @Test
    void periodicProbingIsOneProbePerEndpointPerInterval() {
        ScriptedProber prober = new ScriptedProber();
        EndpointState[] states = new EndpointState[50];
        for (int i = 0; i < states.length; i++) {
            states[i] = endpoint("ep" + i, SECOND);
        }
        started(prober, HealthMonitor.Options.DEFAULTS, states);
        int before = prober.probes.get();
        time.advance(Duration.ofSeconds(10));
        assertThat(prober.probes.get() - before).isEqualTo(50 * 10);
    }

    @Test
    void recoveredBackendIsReadmittedWithinOneCheckIntervalEvenAfterLongBackOff() {
        Duration interval = Duration.ofSeconds(5);
        for (long answersAgainAfterMs : new long[] {0, 300, 999, 2500, 4999}) {
            ScriptedProber prober = new ScriptedProber();
            EndpointState ep = endpoint("gpu1", interval);
            HealthMonitor m = started(prober, HealthMonitor.Options.DEFAULTS, ep);
            prober.next = offline();
            m.connectionFailed(ep, Permit.CLOSED, "connection refused");
            time.advance(Duration.ofMinutes(10)); // down for long: back-off at its longest
            assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
            assertThat(ep.consecutiveFailures()).isGreaterThan(100);
            assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.OPEN);

            time.advance(Duration.ofMillis(answersAgainAfterMs));
            prober.next = healthy(); // it answers again
            time.advance(interval);
            assertThat(ep.status()).as("answering again after %d ms", answersAgainAfterMs)
                    .isEqualTo(EndpointStatus.HEALTHY);
            assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.CLOSED); // closed by the probe
            m.close();
        }
    }

    @Test
    void passiveFailureTriggersAnImmediateProbeButAFloodDoesNotFloodProbes() {
        ScriptedProber prober = new ScriptedProber();
        EndpointState ep = endpoint("gpu1", Duration.ofSeconds(30));
        HealthMonitor m = started(prober, HealthMonitor.Options.DEFAULTS, ep);
        time.advance(Duration.ofSeconds(10));
        int before = prober.probes.get();

        prober.next = offline();
        m.connectionFailed(ep, Permit.CLOSED, "connection reset");
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(ep.statusReason()).isEqualTo("connection reset");
        time.runDue(); // no time passes
        assertThat(prober.probes.get()).isEqualTo(before + 1);

        for (int i = 0; i < 100; i++) {
            m.connectionFailed(ep, Permit.NONE, "connection refused"); // panic / last resort traffic
        }
        time.runDue();
        assertThat(prober.probes.get()).as("at most one probe per recheck delay").isEqualTo(before + 1);
        time.advance(SECOND);
        assertThat(prober.probes.get()).isEqualTo(before + 2);

        prober.next = healthy();
        m.attemptFailed(ep, Permit.NONE, "timeout"); // any proxied failure brings the probe forward
        time.advance(SECOND);
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
    }

    @Test
    void aProbeInFlightWhenARequestFailsDoesNotMarkTheEndpointHealthy() {
        ScriptedProber prober = new ScriptedProber();
        EndpointState ep = endpoint("gpu1", Duration.ofSeconds(30));
        HealthMonitor m = started(prober, HealthMonitor.Options.DEFAULTS, ep);
        prober.hold = true;
        time.advance(Duration.ofSeconds(30)); // the periodic probe goes out and hangs
        assertThat(prober.held).hasSize(1);
        m.connectionFailed(ep, Permit.CLOSED, "connection refused");
        prober.held.get(0).complete(healthy()); // the answer started before the failure
        time.runDue();
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(gap(ep)).isLessThanOrEqualTo(SECOND); // looked at again soon
        prober.hold = false;
        time.advance(SECOND);
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
    }

    @Test
    void rateLimitPausesProbesForRetryAfter() {
        ScriptedProber prober = new ScriptedProber();
        prober.next = new ProbeOutcome(EndpointStatus.RATE_LIMITED, "HTTP 429", 1, Duration.ofSeconds(2));
        EndpointState ep = endpoint("gpu1", Duration.ofMillis(100));
        HealthMonitor m = started(prober, HealthMonitor.Options.DEFAULTS, ep);
        assertThat(ep.status()).isEqualTo(EndpointStatus.RATE_LIMITED);
        int hits = prober.probes.get();
        m.connectionFailed(ep, Permit.CLOSED, "connection refused"); // does not break the pause
        time.advance(Duration.ofMillis(1900));
        assertThat(prober.probes.get()).isEqualTo(hits);
        prober.next = healthy();
        time.advance(Duration.ofMillis(100));
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
    }

    @Test
    void breakerOpensOnFailuresProbesGoOnAndASuccessfulProbeClosesItAtOnce() {
        ScriptedProber prober = new ScriptedProber();
        EndpointState ep = endpoint("gpu1", Duration.ofSeconds(5));
        HealthMonitor m = started(prober, HealthMonitor.Options.DEFAULTS, ep);
        prober.next = unhealthy();
        passiveFailures(m, ep, 3);
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(m.acquire(ep)).isNull();

        int hits = prober.probes.get();
        time.advance(Duration.ofSeconds(5));
        assertThat(prober.probes.get()).isGreaterThan(hits); // probes go on while open
        assertThat(m.circuitOpen(ep)).isTrue();

        prober.next = healthy();
        time.advance(Duration.ofSeconds(5)); // long before the 30 s window ends
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(m.acquire(ep)).isSameAs(Permit.CLOSED);
    }

    /** {@code n} proxied connection failures in separate outages (routable again before each). */
    static void passiveFailures(HealthMonitor m, EndpointState ep, int n) {
        for (int i = 0; i < n; i++) {
            ep.status(EndpointStatus.HEALTHY, "test: back in rotation");
            m.connectionFailed(ep, Permit.CLOSED, "connection refused");
        }
    }

    @Test
    void concurrentFailuresOfOneOutageCountOnceTowardTheBreaker() {
        EndpointState ep = endpoint("gpu1", Duration.ofSeconds(30));
        HealthMonitor m = monitor(new ScriptedProber(), HealthMonitor.Options.DEFAULTS, ep);
        ep.status(EndpointStatus.HEALTHY, "test");
        for (int i = 0; i < 4; i++) {
            m.connectionFailed(ep, Permit.CLOSED, "connection refused");
        }
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(m.circuitOpen(ep)).isFalse();
        assertThat(m.breaker(ep).consecutiveFailures()).isEqualTo(1);
    }

    @Test
    void breakerRulesForProxiedAttempts() {
        EndpointState ep = endpoint("gpu1", Duration.ofSeconds(30));
        HealthMonitor m = monitor(new ScriptedProber(), HealthMonitor.Options.DEFAULTS, ep); // not started: no probes
        passiveFailures(m, ep, 3);
        assertThat(m.circuitOpen(ep)).isTrue();

        // a success while OPEN (a request let through by panic or last resort) does not close it
        m.succeeded(ep, Permit.NONE, 200);
        m.succeeded(ep, Permit.CLOSED, 200);
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.OPEN);

        time.advance(Duration.ofSeconds(30));
        assertThat(m.circuitOpen(ep)).isFalse();
        Permit trial = m.acquire(ep);
        assertThat(trial.trial()).isTrue();
        assertThat(m.acquire(ep)).isNull(); // one trial only
        assertThat(m.circuitOpen(ep)).isTrue();
        m.connectionFailed(ep, trial, "connection refused"); // the trial failed: open again
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(m.circuitOpen(ep)).isTrue();

        time.advance(Duration.ofSeconds(30));
        trial = m.acquire(ep);
        m.ignored(ep, trial); // the client went away: the trial is handed back
        assertThat(m.circuitOpen(ep)).isFalse();
        trial = m.acquire(ep);
        assertThat(trial.trial()).isTrue();
        m.ignored(ep, trial); // taken and not used (the request chose again): returned as well
        trial = m.acquire(ep);
        assertThat(trial.trial()).isTrue();

        m.succeeded(ep, Permit.CLOSED, 200); // not the trial: changes nothing
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        m.succeeded(ep, trial, 200); // only the trial closes it
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void requestsFailingOnAnEndpointAlreadyDownAreCountedInTheNextTransitionNotLogged() {
        Logger logger = (Logger) LoggerFactory.getLogger(HealthMonitor.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level level = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        try {
            ScriptedProber prober = new ScriptedProber();
            EndpointState ep = endpoint("gpu1", Duration.ofSeconds(5));
            HealthMonitor m = started(prober, HealthMonitor.Options.DEFAULTS.withBreaker(1000, Duration.ofSeconds(30)),
                    ep);
            prober.next = offline();
            appender.list.clear();
            for (int i = 0; i < 500; i++) { // a flapping backend under panic / last-resort traffic
                m.connectionFailed(ep, Permit.NONE, "connection refused");
            }
            prober.next = healthy();
            time.advance(Duration.ofSeconds(5));
            List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(lines).containsExactly("endpoint gpu1 healthy -> offline: connection refused",
                    "endpoint gpu1 offline -> healthy: HTTP 200 in 1ms (499 request(s) tried while offline failed)");
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(level);
        }
    }
}
