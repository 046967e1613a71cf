package dev.olla.proxy;

import static dev.olla.health.TestEndpoints.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.sim.SimBackends;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Never refuse while something could answer: the last resort, the panic threshold, and the
 * re-admission of a recovered endpoint long before its probe interval (here 30 s) comes round.
 */
class AvailabilityTest {
    private static final String CHAT = ProxyFailoverTest.CHAT;
    private final SimBackends sims = new SimBackends();
    private TestOlla olla;

    @AfterEach
    void tearDown() {
        if (olla != null) {
            olla.close();
        }
        sims.close();
    }

    private SimulatedBackend sim() {
        return sims.ollama(2, "llama3.2:3b");
    }

    /** Start-up is done: every endpoint routable with its models known (a loaded machine can be slow). */
    private void ready() throws InterruptedException {
        assertThat(await(Duration.ofSeconds(20), () -> olla.olla().endpoints().all().stream()
                .allMatch(s -> s.routable() && olla.olla().models().modelCount(s) > 0))).isTrue();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void theOnlyEndpointMarkedDownIsTriedAsALastResortAndReadmittedWhenItAnswers(String engine) throws Exception {
        SimulatedBackend a = sim();
        olla = TestOlla.builder().engine(engine).endpoint("a", a.baseUrl(), "ollama", "check_interval", "30s").start();
        ready();
        var ep = olla.olla().endpoints().byName("a");
        a.faults().refuseConnections(true);
        assertThat(olla.post("/olla/ollama/api/chat", CHAT).statusCode()).isEqualTo(502);
        assertThat(ep.status()).isEqualTo(EndpointStatus.OFFLINE);

        a.faults().refuseConnections(false); // back, but the next scheduled probe is up to 30 s away
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("a");
        assertThat(olla.olla().proxy().stats().lastResortPicks()).isEqualTo(1);
        // its answer brought a probe forward: routable again well within one check interval
        assertThat(await(Duration.ofSeconds(5), ep::routable)).isTrue();
        assertThat(olla.get("/internal/status").body()).contains("\"last_resort_picks\":1");
        assertThat(olla.get("/internal/metrics").body()).contains("olla_proxy_last_resort_total 1");
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void belowThePanicThresholdLoadSpreadsOverAllAndRecoveredEndpointsComeBackAtOnce(String engine)
            throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        SimulatedBackend c = sim();
        olla = TestOlla.builder().engine(engine).balancer("round-robin")
                .endpoint("a", a.baseUrl(), "ollama", "check_interval", "30s")
                .endpoint("b", b.baseUrl(), "ollama", "check_interval", "30s")
                .endpoint("c", c.baseUrl(), "ollama", "check_interval", "30s").start();
        ready();
        a.faults().refuseConnections(true);
        b.faults().refuseConnections(true);
        var epA = olla.olla().endpoints().byName("a");
        var epB = olla.olla().endpoints().byName("b");
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200); // retried on c
        }
        assertThat(await(Duration.ofSeconds(5), () -> !epA.routable() && !epB.routable())).isTrue();

        // 1 of 3 routable (< 50%): panic. Requests spread over all; failures still retry onto c.
        long servedBefore = a.stats().requests() + b.stats().requests();
        a.faults().refuseConnections(false);
        b.faults().refuseConnections(false);
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        assertThat(olla.olla().proxy().stats().panicPicks()).isPositive();
        assertThat(a.stats().requests() + b.stats().requests()).isGreaterThan(servedBefore);
        // answers from endpoints marked down bring their probes forward: both back long before 30 s
        assertThat(await(Duration.ofSeconds(5), () -> epA.routable() && epB.routable())).isTrue();
    }
}
