package dev.olla.health;

import static dev.olla.health.TestEndpoints.await;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class HealthMonitorTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration AWAIT = Duration.ofSeconds(5);

    private ProbeServer server;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        server = new ProbeServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
    }

    private EndpointState endpoint(String name, String url, Duration interval, Duration timeout) {
        return new EndpointState(TestEndpoints.endpoint(name, url, 100, "/health", interval, timeout,
                Map.of("Authorization", "Bearer sekret", "X-Custom", "yes")));
    }

    private HealthMonitor monitor(HealthMonitor.Options options, HealthClock clock, EndpointState... states) {
        EndpointRegistry registry = TestEndpoints.registry(states);
        HealthMonitor m = new HealthMonitor(registry, Duration.ZERO, clock, options);
        toClose.add(m);
        return m;
    }

    private static void pass(HealthMonitor m) throws Exception {
        m.checkAllNow().get(5, TimeUnit.SECONDS);
    }

    @Test
    void classifiesRealProbes() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), SECOND, Duration.ofMillis(400));
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withBreaker(100, Duration.ofSeconds(30)),
                HealthClock.SYSTEM, ep);

        assertThat(ep.status()).isEqualTo(EndpointStatus.UNKNOWN);
        assertThat(ep.routable()).isFalse();

        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(ep.lastCheck()).isNotNull();
        assertThat(server.lastHeaders.get("user-agent")).startsWith("olla-HealthChecker/");
        assertThat(server.lastHeaders.get("authorization")).isEqualTo("Bearer sekret");
        assertThat(server.lastHeaders.get("x-custom")).isEqualTo("yes");

        server.reply(new ProbeServer.Reply(200, 330, Map.of())); // > 75% of the 400 ms timeout
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.BUSY);
        assertThat(ep.routable()).isTrue();

        server.reply(401);
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.CONFIG_ERROR);

        server.reply(403);
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.CONFIG_ERROR);

        server.reply(500);
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.UNHEALTHY);

        server.reply(new ProbeServer.Reply(200, 1500, Map.of())); // beyond the timeout
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(ep.statusReason()).contains("timeout");

        server.reply(new ProbeServer.Reply(429, 0, Map.of("Retry-After", "7")));
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.RATE_LIMITED);
        assertThat(Duration.between(ep.lastCheck(), ep.nextCheck())).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void refusedPortIsOffline() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        EndpointState ep = endpoint("gone", "http://127.0.0.1:" + port, SECOND, SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, HealthClock.SYSTEM, ep);
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(ep.statusReason()).containsIgnoringCase("refused");
    }

    @Test
    void rateLimitPausesScheduledProbes() throws Exception {
        server.reply(new ProbeServer.Reply(429, 0, Map.of("Retry-After", "2")));
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofMillis(100), Duration.ofMillis(500));
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, HealthClock.SYSTEM, ep);
        m.start();
        assertThat(await(AWAIT, () -> ep.status() == EndpointStatus.RATE_LIMITED)).isTrue();
        int hits = server.hits();
        Thread.sleep(700); // interval is 100 ms, but the pause is 2 s
        assertThat(server.hits()).isEqualTo(hits);
        server.reply(200);
        assertThat(await(AWAIT, () -> ep.status() == EndpointStatus.HEALTHY)).isTrue();
    }

    @Test
    void failedProbesRepeatSoonerNeverLaterThanTheIntervalAndOneSuccessResets() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofSeconds(5), SECOND);
        EndpointState fast = endpoint("gpu2", server.url(), Duration.ofMillis(1500), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withBreaker(100, Duration.ofSeconds(30)),
                HealthClock.SYSTEM, ep, fast);
        pass(m);
        assertThat(gap(ep)).isEqualTo(Duration.ofSeconds(5));

        server.reply(500);
        long[] expectedSeconds = {1, 2, 4, 5, 5};
        for (long s : expectedSeconds) {
            pass(m);
            assertThat(gap(ep)).isEqualTo(Duration.ofSeconds(s));
        }
        assertThat(ep.consecutiveFailures()).isEqualTo(5);
        assertThat(gap(fast)).isEqualTo(Duration.ofMillis(1500)); // never beyond check_interval

        server.reply(200);
        pass(m);
        assertThat(gap(ep)).isEqualTo(Duration.ofSeconds(5));
        assertThat(ep.consecutiveFailures()).isZero();
    }

    private static Duration gap(EndpointState s) {
        return Duration.between(s.lastCheck(), s.nextCheck());
    }

    @Test
    void eachTransitionIsLoggedAndAnnouncedOnce() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(HealthMonitor.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level before = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        try {
            EndpointState ep = endpoint("gpu1", server.url(), SECOND, SECOND);
            HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withBreaker(100, Duration.ofSeconds(30)),
                    HealthClock.SYSTEM, ep);
            List<String> seen = new CopyOnWriteArrayList<>();
            m.addStatusListener((s, from, to, reason) -> seen.add(from.wire() + "->" + to.wire()));

            pass(m);
            pass(m);
            pass(m);
            server.reply(500);
            pass(m);
            pass(m);
            server.reply(200);
            pass(m);
            pass(m);

            // many proxy threads reporting the same failure at once: still one transition
            int threads = 8;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                all.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    m.connectionFailed(ep, CircuitBreaker.Permit.CLOSED, "connection refused");
                }));
            }
            go.countDown();
            for (Thread t : all) {
                t.join();
            }

            assertThat(seen).containsExactly("unknown->healthy", "healthy->unhealthy", "unhealthy->healthy",
                    "healthy->offline");
            List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(s -> s.contains(" -> ")).toList();
            assertThat(lines).hasSize(4);
            assertThat(lines.get(3)).isEqualTo("endpoint gpu1 healthy -> offline: connection refused");
            assertThat(appender.list.stream().filter(e -> e.getFormattedMessage().equals(lines.get(3))).findFirst()
                    .orElseThrow().getLevel()).isEqualTo(Level.WARN);
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(before);
        }
    }

    @Test
    void recoveryListenerFiresOnlyWhenComingBackFromAFailure() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), SECOND, SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, HealthClock.SYSTEM, ep);
        List<String> recovered = new CopyOnWriteArrayList<>();
        m.addRecoveryListener(s -> recovered.add(s.name()));

        pass(m); // unknown -> healthy is a first sighting, not a recovery
        assertThat(recovered).isEmpty();
        server.reply(503);
        pass(m);
        assertThat(recovered).isEmpty();
        server.reply(200);
        pass(m);
        assertThat(recovered).containsExactly("gpu1");
        pass(m);
        assertThat(recovered).containsExactly("gpu1");
    }

    @Test
    void passiveFailureMarksOfflineAtOnceAndRechecksSoon() throws Exception {
        // A long interval: only the quick re-check can bring it back within the test.
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofSeconds(30), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withRecheckDelay(Duration.ofMillis(200)),
                HealthClock.SYSTEM, ep);
        m.runInitialPass(Duration.ofSeconds(5));
        m.start();
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        int hits = server.hits();

        m.connectionFailed(ep, CircuitBreaker.Permit.CLOSED, "connection reset");
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(ep.routable()).isFalse();
        assertThat(ep.statusReason()).isEqualTo("connection reset");
        assertThat(m.circuitOpen(ep)).isFalse(); // one failure of three

        assertThat(await(Duration.ofSeconds(3), () -> ep.status() == EndpointStatus.HEALTHY)).isTrue();
        assertThat(server.hits()).isGreaterThan(hits);
    }

    @Test
    void breakerOpensOnFailuresButProbesGoOnAndASuccessfulProbeClosesItAtOnce() throws Exception {
        TestEndpoints.FakeClock clock = new TestEndpoints.FakeClock();
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofMillis(150), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withRecheckDelay(Duration.ofMillis(50)), clock, ep);
        m.runInitialPass(Duration.ofSeconds(5));
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        m.start();

        server.reply(500); // the backend is really down: re-checks fail too
        passiveFailures(m, ep, 3);
        assertThat(m.circuitOpen(ep)).isTrue();
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(m.acquire(ep)).isNull();
        assertThat(ep.routable()).isFalse();

        int hits = server.hits();
        assertThat(await(AWAIT, () -> server.hits() > hits)).isTrue(); // probes still go out while open
        assertThat(m.circuitOpen(ep)).isTrue();

        server.reply(200); // it answers again: re-admitted by the next probe, long before the 30 s window
        assertThat(await(AWAIT, () -> ep.status() == EndpointStatus.HEALTHY)).isTrue();
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(m.circuitOpen(ep)).isFalse();
        assertThat(m.acquire(ep)).isSameAs(CircuitBreaker.Permit.CLOSED);
    }

    /**
     * {@code n} proxied connection failures in separate outages (the endpoint routable again before
     * each): failures of requests already in flight when it went down count once.
     */
    static void passiveFailures(HealthMonitor m, EndpointState ep, int n) {
        for (int i = 0; i < n; i++) {
            ep.status(EndpointStatus.HEALTHY, "test: back in rotation");
            m.connectionFailed(ep, CircuitBreaker.Permit.CLOSED, "connection refused");
        }
    }

    @Test
    void concurrentFailuresOfOneOutageCountOnceTowardTheBreaker() {
        TestEndpoints.FakeClock clock = new TestEndpoints.FakeClock();
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofSeconds(30), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, clock, ep);
        ep.status(EndpointStatus.HEALTHY, "test");
        for (int i = 0; i < 4; i++) {
            m.connectionFailed(ep, CircuitBreaker.Permit.CLOSED, "connection refused");
        }
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(m.circuitOpen(ep)).isFalse();
        assertThat(m.breaker(ep).consecutiveFailures()).isEqualTo(1);
    }

    @Test
    void halfOpenTrialFromTheProxyClosesReopensOrIsGivenBack() {
        TestEndpoints.FakeClock clock = new TestEndpoints.FakeClock();
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofSeconds(30), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, clock, ep); // not started: no probes
        passiveFailures(m, ep, 3);
        assertThat(m.circuitOpen(ep)).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(m.circuitOpen(ep)).isFalse();
        CircuitBreaker.Permit trial = m.acquire(ep);
        assertThat(trial.trial()).isTrue();
        assertThat(m.acquire(ep)).isNull(); // one trial only
        assertThat(m.circuitOpen(ep)).isTrue();
        m.connectionFailed(ep, trial, "connection refused");
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.OPEN);
        clock.advance(Duration.ofSeconds(30));
        trial = m.acquire(ep);
        m.ignored(ep, trial); // the client went away: the trial is handed back
        assertThat(m.circuitOpen(ep)).isFalse();
        trial = m.acquire(ep);
        m.succeeded(ep, CircuitBreaker.Permit.CLOSED, 200); // not the trial: changes nothing
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        m.succeeded(ep, trial, 200);
        assertThat(m.circuitState(ep)).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void initialPassChecksEveryEndpointConcurrentlyWithinItsBound() throws Exception {
        int n = 100;
        EndpointState[] states = new EndpointState[n];
        for (int i = 0; i < n; i++) {
            states[i] = endpoint("ep" + i, server.url(), SECOND, SECOND);
        }
        server.reply(new ProbeServer.Reply(200, 100, Map.of()));
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, HealthClock.SYSTEM, states);
        long t0 = System.nanoTime();
        m.runInitialPass(Duration.ofSeconds(5));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        for (EndpointState s : states) {
            assertThat(s.status()).as(s.name()).isEqualTo(EndpointStatus.HEALTHY);
        }
        assertThat(ms).as("concurrent, not 100 x 100 ms").isLessThan(4000);

        // periodic probing at a 1 s interval: about one probe per endpoint per second
        m.start();
        int before = server.hits();
        Thread.sleep(2100);
        int probes = server.hits() - before;
        assertThat(probes).isBetween(n, 3 * n + n / 2);
    }

    @Test
    void initialPassIsBoundedAndLeavesSlowEndpointsUnknown() throws Exception {
        server.reply(new ProbeServer.Reply(200, 1500, Map.of()));
        EndpointState ep = endpoint("slow", server.url(), SECOND, Duration.ofSeconds(3));
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, HealthClock.SYSTEM, ep);
        long t0 = System.nanoTime();
        m.runInitialPass(Duration.ofMillis(200));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
        assertThat(ep.status()).isEqualTo(EndpointStatus.UNKNOWN);
    }

    @Test
    void closeStopsProbingAtOnce() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofMillis(50), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, HealthClock.SYSTEM, ep);
        m.start();
        assertThat(await(AWAIT, () -> server.hits() >= 3)).isTrue();
        long t0 = System.nanoTime();
        m.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
        Thread.sleep(100);
        int hits = server.hits();
        Thread.sleep(300);
        assertThat(server.hits()).isEqualTo(hits);
        assertThat(Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(name -> name.equals("olla-health")).count()).isZero();
    }

    @Test
    void inFlightCountsStayExactUnderConcurrency() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), SECOND, SECOND);
        int threads = 8;
        int rounds = 20_000;
        AtomicInteger maxSeen = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            all.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < rounds; k++) {
                    ep.attemptStarted();
                    maxSeen.accumulateAndGet(ep.inFlight(), Math::max);
                    ep.attemptEnded(k % 7 == 0, 10, 100);
                }
            }));
        }
        go.countDown();
        for (Thread t : all) {
            t.join();
        }
        assertThat(ep.inFlight()).isZero();
        assertThat(ep.requests()).isEqualTo((long) threads * rounds);
        assertThat(maxSeen.get()).isBetween(1, threads);
    }
}
