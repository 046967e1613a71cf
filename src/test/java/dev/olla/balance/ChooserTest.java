package dev.olla.balance;

import static dev.olla.health.TestEndpoints.state;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig.LoadBalancer;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChooserTest {
    private final Balancer rr = Balancers.create(LoadBalancer.ROUND_ROBIN, new SplittableRandom(1)::nextDouble);

    private static Candidate c(String name, EndpointStatus status, boolean breakerAdmits, long lastHealthy) {
        EndpointState s = state(name, 100, status);
        return new Candidate(s, status, breakerAdmits, 0, 100, lastHealthy, false, false);
    }

    private Map<String, Integer> picks(Chooser chooser, List<Candidate> snapshot, int n, Chooser.Mode expected) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Chooser.Pick p = chooser.choose(snapshot, rr::choose);
            assertThat(p.mode()).isEqualTo(expected);
            counts.merge(p.candidate().name(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void atOrAboveTheThresholdOnlyRoutableCandidatesAreBalanced() {
        Chooser chooser = new Chooser(true, 50);
        List<Candidate> half = List.of(c("a", EndpointStatus.HEALTHY, true, 1), c("b", EndpointStatus.OFFLINE, true, 0));
        assertThat(picks(chooser, half, 10, Chooser.Mode.BALANCED)).containsOnlyKeys("a");
        // breaker refusing counts as not routable even with a healthy status
        List<Candidate> breaker = List.of(c("a", EndpointStatus.HEALTHY, true, 1), c("b", EndpointStatus.HEALTHY, false, 1));
        assertThat(picks(chooser, breaker, 10, Chooser.Mode.BALANCED)).containsOnlyKeys("a");
    }

    @Test
    void belowThePanicThresholdHealthIsIgnoredAndLoadSpreadsOverAll() {
        Chooser chooser = new Chooser(true, 50);
        List<Candidate> third = List.of(c("a", EndpointStatus.HEALTHY, true, 1), c("b", EndpointStatus.OFFLINE, true, 0),
                c("c", EndpointStatus.UNHEALTHY, false, 0));
        Map<String, Integer> counts = picks(chooser, third, 300, Chooser.Mode.PANIC);
        assertThat(counts).containsOnlyKeys("a", "b", "c");
        counts.values().forEach(v -> assertThat(v).isEqualTo(100));
        // panic off: only the routable one
        assertThat(picks(new Chooser(true, 0), third, 10, Chooser.Mode.BALANCED)).containsOnlyKeys("a");
    }

    @Test
    void withNothingRoutableTheLastResortIsTheMostRecentlyHealthy() {
        Chooser chooser = new Chooser(true, 50);
        List<Candidate> down = List.of(c("old", EndpointStatus.OFFLINE, true, 100),
                c("never", EndpointStatus.OFFLINE, true, Long.MIN_VALUE), c("recent", EndpointStatus.HEALTHY, false, 500),
                c("mid", EndpointStatus.UNHEALTHY, true, 300));
        Chooser.Pick p = chooser.choose(down, rr::choose);
        assertThat(p.mode()).isEqualTo(Chooser.Mode.LAST_RESORT);
        assertThat(p.candidate().name()).isEqualTo("recent");
        // one that failed since it was last healthy (killed a moment ago) comes after the others
        EndpointState killed = state("killed", 100, EndpointStatus.OFFLINE);
        Candidate justKilled = new Candidate(killed, EndpointStatus.OFFLINE, true, 0, 100, 900, true, false);
        assertThat(chooser.choose(List.of(justKilled, c("mid", EndpointStatus.OFFLINE, true, 300)), rr::choose)
                .candidate().name()).isEqualTo("mid");
        // never healthy at all: still one to try (by priority, then name)
        Chooser.Pick none = chooser.choose(List.of(c("z", EndpointStatus.UNKNOWN, true, Long.MIN_VALUE),
                c("y", EndpointStatus.UNKNOWN, true, Long.MIN_VALUE)), rr::choose);
        assertThat(none.candidate().name()).isEqualTo("y");
    }

    @Test
    void bothOffRefusesWhenNothingIsRoutable() {
        Chooser off = new Chooser(false, 0);
        List<Candidate> down = List.of(c("a", EndpointStatus.OFFLINE, true, 1));
        assertThat(off.choose(down, rr::choose).candidate()).isNull();
        assertThat(off.tries(down)).isFalse();
        // last resort off, panic on: health ignored over all of them
        Chooser panicOnly = new Chooser(false, 50);
        assertThat(panicOnly.choose(down, rr::choose).mode()).isEqualTo(Chooser.Mode.PANIC);
        assertThat(off.choose(List.of(), rr::choose).candidate()).isNull();
    }

    @Test
    void theSnapshotIsWhatTheBalancerSeesNotTheLiveState() {
        EndpointState a = state("a", 100, EndpointStatus.HEALTHY);
        EndpointState b = state("b", 100, EndpointStatus.HEALTHY);
        b.attemptStarted();
        List<Candidate> snapshot = List.of(Candidate.of(a, true), Candidate.of(b, true));
        // the live state moves after the snapshot: the choice does not
        a.attemptStarted();
        a.attemptStarted();
        a.status(EndpointStatus.OFFLINE, "test");
        Balancer lc = Balancers.create(LoadBalancer.LEAST_CONNECTIONS);
        Chooser.Pick p = new Chooser(true, 50).choose(snapshot, lc::choose);
        assertThat(p.mode()).isEqualTo(Chooser.Mode.BALANCED);
        assertThat(p.candidate().name()).isEqualTo("a");
        assertThat(p.candidate().inFlight()).isZero();
    }

    @Test
    void panicAndLastResortAreLoggedOncePerTransitionNeverPerRequest() {
        java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        Chooser chooser = new Chooser(true, 50, nanos::get);
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Chooser.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();
        appender.start();
        ch.qos.logback.classic.Level level = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.addAppender(appender);
        try {
            List<Candidate> third = List.of(c("a", EndpointStatus.HEALTHY, true, 1), c("b", EndpointStatus.OFFLINE, true, 0),
                    c("c", EndpointStatus.OFFLINE, true, 0));
            List<Candidate> all = List.of(c("a", EndpointStatus.HEALTHY, true, 1), c("b", EndpointStatus.HEALTHY, true, 1),
                    c("c", EndpointStatus.HEALTHY, true, 1));
            List<Candidate> none = List.of(c("a", EndpointStatus.OFFLINE, true, 5), c("b", EndpointStatus.OFFLINE, true, 0));
            for (int i = 0; i < 500; i++) {
                assertThat(chooser.choose("llama3", "ollama", third, rr::choose).mode()).isEqualTo(Chooser.Mode.PANIC);
                // a retry that chooses among the routable rest is ordinary, and does not end the panic
                chooser.choose("llama3", "ollama", all.subList(0, 1), rr::choose);
                nanos.addAndGet(1_000_000); // 1 ms per request
            }
            chooser.choose("phi4", "ollama", none, rr::choose); // another pool: its own line
            chooser.choose("phi4", "ollama", none, rr::choose);
            nanos.addAndGet(DegradedPools.SETTLE.toNanos());
            chooser.choose("llama3", "ollama", all, rr::choose); // settled: back to ordinary
            chooser.choose("llama3", "ollama", all, rr::choose);
            chooser.choose(null, "openai", none, rr::choose); // no model named: the route is the pool

            List<String> lines = appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
            assertThat(lines).containsExactly(
                    "WARN model llama3: panic routing, 1 of 3 endpoint(s) routable (below proxy.panic_threshold 50%):"
                            + " health ignored, spreading over all of them",
                    "WARN model phi4: no routable endpoint; last resort: trying a (the most recently healthy)",
                    "INFO model llama3: back to ordinary balancing after 0.5s (500 panic pick(s), 0 last-resort pick(s))",
                    "WARN route openai: no routable endpoint; last resort: trying a (the most recently healthy)");
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(level);
        }
    }
}
