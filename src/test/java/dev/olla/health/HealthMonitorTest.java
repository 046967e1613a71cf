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

/**
 * The monitor against real sockets (a {@link ProbeServer}, real time): what a probe sends and how
 * answers are classified, listeners, the bounded first pass, closing. Scheduling, back-off and the
 * breaker rules are in {@link ProbeSchedulingTest}, on a manual clock.
 */
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

    private HealthMonitor monitor(HealthMonitor.Options options, EndpointState... states) {
        EndpointRegistry registry = TestEndpoints.registry(states);
        HealthMonitor m = new HealthMonitor(registry, Duration.ZERO, options);
        toClose.add(m);
        return m;
    }

    private static void pass(HealthMonitor m) throws Exception {
        m.checkAllNow().get(5, TimeUnit.SECONDS);
    }

    @Test
    void classifiesRealProbes() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), SECOND, SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withBreaker(100, Duration.ofSeconds(30)), ep);

        assertThat(ep.status()).isEqualTo(EndpointStatus.UNKNOWN);
        assertThat(ep.routable()).isFalse();

        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(ep.lastCheck()).isNotNull();
        assertThat(server.lastHeaders.get("user-agent")).startsWith("olla-HealthChecker/");
        assertThat(server.lastHeaders.get("authorization")).isEqualTo("Bearer sekret");
        assertThat(server.lastHeaders.get("x-custom")).isEqualTo("yes");

        server.reply(new ProbeServer.Reply(200, 800, Map.of())); // > 75% of the 1 s timeout
        pass(m);
        assertThat(ep.status()).as(ep.statusReason()).isEqualTo(EndpointStatus.BUSY);
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
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, ep);
        pass(m);
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(ep.statusReason()).containsIgnoringCase("refused");
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
            HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS.withBreaker(100, Duration.ofSeconds(30)), ep);
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
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, ep);
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
    void initialPassChecksEveryEndpointConcurrentlyWithinItsBound() throws Exception {
        int n = 100;
        EndpointState[] states = new EndpointState[n];
        for (int i = 0; i < n; i++) {
            states[i] = endpoint("ep" + i, server.url(), SECOND, SECOND);
        }
        server.reply(new ProbeServer.Reply(200, 100, Map.of()));
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, states);
        long t0 = System.nanoTime();
        m.runInitialPass(Duration.ofSeconds(5));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        for (EndpointState s : states) {
            assertThat(s.status()).as(s.name()).isEqualTo(EndpointStatus.HEALTHY);
        }
        assertThat(ms).as("concurrent, not 100 x 100 ms").isLessThan(4000);
    }

    @Test
    void initialPassIsBoundedAndLeavesSlowEndpointsUnknown() throws Exception {
        server.reply(new ProbeServer.Reply(200, 1500, Map.of()));
        EndpointState ep = endpoint("slow", server.url(), SECOND, Duration.ofSeconds(3));
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, ep);
        long t0 = System.nanoTime();
        m.runInitialPass(Duration.ofMillis(200));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
        assertThat(ep.status()).isEqualTo(EndpointStatus.UNKNOWN);
    }

    @Test
    void closeStopsProbingAtOnce() throws Exception {
        EndpointState ep = endpoint("gpu1", server.url(), Duration.ofMillis(50), SECOND);
        HealthMonitor m = monitor(HealthMonitor.Options.DEFAULTS, ep);
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
