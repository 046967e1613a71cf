package dev.olla.proxy;

import static dev.olla.proxy.ProxyStreamingTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Failover on connection failures, the retry limits, and health-driven routing under load. */
class ProxyFailoverTest {
    static final String CHAT = "{\"model\":\"llama3.2:3b\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final ObjectMapper JSON = new ObjectMapper();

    final List<SimulatedBackend> sims = new ArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    TestOlla olla;

    @AfterEach
    void stop() throws Exception {
        if (olla != null) {
            olla.close();
        }
        sims.forEach(SimulatedBackend::close);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    SimulatedBackend sim() {
        SimulatedBackend s = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0)
                .modelNames("llama3.2:3b").tokens(2).interTokenDelay(Duration.ZERO).build().start();
        sims.add(s);
        return s;
    }

    static String message(HttpResponse<String> r) throws Exception {
        JsonNode error = JSON.readTree(r.body()).path("error"); // Ollama's shape on /olla/ollama, OpenAI's elsewhere
        return error.isTextual() ? error.asText() : error.path("message").asText();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void refusedEndpointFailsOverWithZeroClientErrors(String engine) throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        olla = TestOlla.builder().engine(engine).balancer("round-robin")
                .endpoint("a", a.baseUrl(), "ollama").endpoint("b", b.baseUrl(), "ollama").start();
        a.faults().refuseConnections(true);
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("b");
        }
        assertThat(olla.olla().endpoints().byName("a").status()).isIn(EndpointStatus.OFFLINE, EndpointStatus.UNHEALTHY);
        assertThat(olla.olla().proxy().stats().retries()).isGreaterThanOrEqualTo(1);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void everyEndpointRefusingIs502WithTheReason(String engine) throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        olla = TestOlla.builder().engine(engine)
                .endpoint("a", a.baseUrl(), "ollama").endpoint("b", b.baseUrl(), "ollama").start();
        a.faults().refuseConnections(true);
        b.faults().refuseConnections(true);
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(message(r)).startsWith("Proxy error: all endpoints failed with connection errors: ")
                .contains("connection refused");
        // both are now known down: the next request makes one last-resort try, then 503
        HttpResponse<String> again = olla.post("/olla/proxy/api/chat", CHAT);
        assertThat(again.statusCode()).isEqualTo(503);
        assertThat(message(again)).startsWith("no healthy endpoints available (last-resort attempt failed: endpoint ")
                .contains("connection refused");
        HttpResponse<String> noModel = olla.get("/olla/proxy/api/version");
        assertThat(noModel.statusCode()).isEqualTo(503);
        assertThat(message(noModel)).startsWith("no healthy endpoints available (last-resort attempt failed");
        assertThat(olla.olla().proxy().stats().lastResortPicks()).isEqualTo(4); // a then b, twice
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void withLastResortAndPanicOffKnownDownEndpointsAreNotTried(String engine) throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        olla = TestOlla.builder().engine(engine).proxy("last_resort", false).proxy("panic_threshold", 0)
                .endpoint("a", a.baseUrl(), "ollama").endpoint("b", b.baseUrl(), "ollama").start();
        a.faults().refuseConnections(true);
        b.faults().refuseConnections(true);
        assertThat(olla.post("/olla/ollama/api/chat", CHAT).statusCode()).isEqualTo(502);
        HttpResponse<String> again = olla.post("/olla/proxy/api/chat", CHAT);
        assertThat(again.statusCode()).isEqualTo(503);
        assertThat(message(again)).contains("llama3.2:3b").contains("not available");
        assertThat(again.headers().firstValue("X-Olla-Routing-Decision")).hasValue("rejected");
        HttpResponse<String> noModel = olla.get("/olla/proxy/api/version");
        assertThat(noModel.statusCode()).isEqualTo(503);
        assertThat(message(noModel)).isEqualTo("no healthy endpoints available");
        assertThat(olla.olla().proxy().stats().lastResortPicks()).isZero();
    }

    @ParameterizedTest(name = "max_attempts {0}")
    @ValueSource(ints = {1, 2})
    void maxAttemptsLimitsTheRetries(int maxAttempts) throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        SimulatedBackend c = sim();
        olla = TestOlla.builder().balancer("priority")
                .proxy("retry", Map.of("max_attempts", maxAttempts))
                .endpoint("a", a.baseUrl(), "ollama", "priority", 300)
                .endpoint("b", b.baseUrl(), "ollama", "priority", 200)
                .endpoint("c", c.baseUrl(), "ollama", "priority", 100).start();
        a.faults().refuseConnections(true);
        b.faults().refuseConnections(true);
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
        if (maxAttempts == 1) {
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(message(r)).startsWith("Proxy error: max attempts (1) reached: endpoint a:");
        } else {
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(message(r)).startsWith("Proxy error: max attempts (2) reached: endpoint b:");
        }
        // with the failed endpoints marked down, the next request goes straight to c
        HttpResponse<String> next = olla.post("/olla/ollama/api/chat", CHAT);
        if (maxAttempts == 2) {
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.headers().firstValue("X-Olla-Endpoint")).hasValue("c");
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void connectTimeoutFailsOverToTheNextEndpoint(String engine) throws Exception {
        SimulatedBackend good = sim();
        // A listener whose accept queue is full: further connection attempts get no answer at all.
        ServerSocket blackhole = new ServerSocket();
        blackhole.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        closeables.add(blackhole);
        for (int i = 0; i < 4; i++) {
            Socket s = new Socket();
            try {
                s.connect(blackhole.getLocalSocketAddress(), 200);
            } catch (java.io.IOException ignored) {
                // the queue is full already
            }
            closeables.add(s);
        }
        String hole = "http://127.0.0.1:" + blackhole.getLocalPort();
        olla = TestOlla.builder().engine(engine).balancer("priority").proxy("connection_timeout", "300ms")
                // health and models are checked on the good backend, so the black hole looks routable
                .endpoint("hole", hole, "ollama", "priority", 200, "health_check_url", good.baseUrl() + "/",
                        "model_url", good.baseUrl() + "/api/tags")
                .endpoint("good", good.baseUrl(), "ollama", "priority", 100).start();
        long t0 = System.nanoTime();
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("good");
        assertThat(ms).isBetween(250L, 3000L);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void endpointKilledUnderLoadIsSkippedAndUsedAgainWhenItReturns(String engine) throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        olla = TestOlla.builder().engine(engine).balancer("round-robin")
                .endpoint("a", a.baseUrl(), "ollama").endpoint("b", b.baseUrl(), "ollama").start();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        Map<String, Long> lastServedAt = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        long t0 = System.nanoTime();
        for (int t = 0; t < 4; t++) {
            pool.submit(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                            lastServedAt.put(r.headers().firstValue("X-Olla-Endpoint").orElse("?") + "@"
                                    + ((System.nanoTime() - t0) / 100_000_000), 1L);
                        } else {
                            failures.computeIfAbsent(r.statusCode() + " " + r.body(), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                    }
                }
                return null;
            });
        }
        Thread.sleep(400);
        a.faults().refuseConnections(true);
        awaitTrue(() -> !olla.olla().endpoints().byName("a").routable(), 1500);
        Thread.sleep(500);
        a.faults().refuseConnections(false);
        long back = System.nanoTime();
        // check_interval is 1s in tests: it must be routable again within about one interval (plus back-off)
        awaitTrue(() -> olla.olla().endpoints().byName("a").routable(), 3500);
        long recoveredMs = (System.nanoTime() - back) / 1_000_000;
        Thread.sleep(400);
        running.set(false);
        pool.shutdown();
        assertThat(pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(failures).as("client-visible failures").isEmpty();
        assertThat(ok.get()).isGreaterThan(50);
        assertThat(recoveredMs).isLessThan(3500);
        assertThat(a.stats().requests("/api/chat")).isPositive();
        long servedByAAfterReturn = lastServedAt.keySet().stream()
                .filter(k -> k.startsWith("a@") && Long.parseLong(k.substring(2)) * 100 >= (back - t0) / 1_000_000)
                .count();
        assertThat(servedByAAfterReturn).as("a serves again after it returns").isPositive();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void backend5xxAnswersCountAsFailuresInEndpointStatistics(String engine) throws Exception {
        SimulatedBackend a = sim();
        olla = TestOlla.builder().engine(engine).endpoint("a", a.baseUrl(), "ollama").start();
        a.faults().httpError(500);
        for (int i = 0; i < 4; i++) {
            assertThat(olla.post("/olla/ollama/api/chat", CHAT).statusCode()).isEqualTo(500);
        }
        var ep = olla.olla().endpoints().byName("a");
        assertThat(ep.requests()).isEqualTo(4);
        assertThat(ep.failures()).isEqualTo(4);
        assertThat(ep.successRate()).isZero();
        var status = dev.olla.server.Json.tree(olla.get("/internal/status/endpoints").body()).path("endpoints").get(0);
        assertThat(status.path("success_rate").asText()).startsWith("0").endsWith("%");
        // without consecutive_5xx (off by default) the endpoint stays in rotation
        assertThat(olla.olla().health().circuitOpen(ep)).isFalse();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void consecutive5xxEjectsTheEndpointUntilATrialSucceeds(String engine) throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        olla = TestOlla.builder().engine(engine).balancer("priority").proxy("consecutive_5xx", 3)
                .endpoint("a", a.baseUrl(), "ollama", "priority", 200)
                .endpoint("b", b.baseUrl(), "ollama", "priority", 100).start();
        a.faults().httpError(503);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("a");
        }
        var ep = olla.olla().endpoints().byName("a");
        assertThat(olla.olla().health().circuitOpen(ep)).isTrue();
        assertThat(olla.olla().health().breaker(ep).ejected()).isTrue();
        // a's health URL still answers 200, but a probe does not re-admit an ejected endpoint
        Thread.sleep(300);
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("b");
        }
        var item = dev.olla.server.Json.tree(olla.get("/internal/status/endpoints").body()).path("endpoints");
        assertThat(item.toString()).contains("\"circuit_breaker\":\"open\"").contains("consecutive 5xx");
        assertThat(olla.get("/internal/metrics").body())
                .contains("olla_endpoint_circuit_breaker_open{endpoint=\"a\"} 1")
                .contains("olla_endpoint_circuit_breaker_state{endpoint=\"a\",state=\"open\"} 1")
                .contains("olla_endpoint_circuit_breaker_state{endpoint=\"a\",state=\"closed\"} 0");
    }
}
