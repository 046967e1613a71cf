package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** proxy.response_header_timeout, read_timeout and response_timeout, for both engines. */
class ProxyTimeoutTest {
    static final String CHAT = "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    SimulatedBackend sim;
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    void start(String engine, int tokens, Duration delay, String key, String value) throws Exception {
        sim = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0).modelNames("llama3.2:3b")
                .tokens(tokens).interTokenDelay(delay).build().start();
        olla = TestOlla.builder().engine(engine).proxy(key, value).endpoint("slow", sim.baseUrl(), "ollama").start();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void noResponseHeadInTimeIs504(String engine) throws Exception {
        start(engine, 2, Duration.ZERO, "response_header_timeout", "300ms");
        sim.faults().firstByteDelay(Duration.ofSeconds(3));
        long t0 = System.nanoTime();
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", CHAT);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(504);
        String msg = new ObjectMapper().readTree(r.body()).path("error").asText(); // Ollama's shape on /olla/ollama
        assertThat(msg).startsWith("Proxy error: backend timeout").contains("slow").contains("response_header_timeout");
        assertThat(ms).isBetween(250L, 2000L);
        // a slow backend is not a dead one: it stays routable
        assertThat(olla.olla().endpoints().byName("slow").routable()).isTrue();
        ProxyStreamingTest.awaitTrue(() -> olla.olla().endpoints().byName("slow").inFlight() == 0, 1000);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void streamThatStallsLongerThanReadTimeoutIsCut(String engine) throws Exception {
        start(engine, 5, Duration.ofMillis(1500), "read_timeout", "400ms");
        try (RawHttp c = new RawHttp(olla.port())) {
            long t0 = System.nanoTime();
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\"}", 5000)).isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // the stall comes before the first token, which is held (proxy.hold_first_token): nothing was
            // sent yet, so the client gets the timeout as an error status (no other endpoint to try)
            assertThat(c.text()).startsWith("HTTP/1.1 504").contains("{\"error\":\"Proxy error: backend timeout")
                    .contains("proxy.read_timeout");
            assertThat(ms).isLessThan(2500);
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aStallAfterTheFirstTokenEndsTheStreamWithAnErrorLine(String engine) throws Exception {
        start(engine, 5, Duration.ofMillis(1500), "read_timeout", "400ms");
        olla.close();
        olla = TestOlla.builder().engine(engine).proxy("read_timeout", "400ms").proxy("hold_first_token", false)
                .endpoint("slow", sim.baseUrl(), "ollama").start();
        try (RawHttp c = new RawHttp(olla.port())) {
            long t0 = System.nanoTime();
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 5000)).isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(c.text()).startsWith("HTTP/1.1 200")
                    .contains("{\"error\":\"Proxy error: backend timeout: endpoint slow stopped responding");
            assertThat(c.chunkedComplete()).as("an error line and a proper end").isTrue();
            assertThat(ms).isLessThan(2500);
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void streamLongerThanResponseTimeoutIsCut(String engine) throws Exception {
        start(engine, 200, Duration.ofMillis(20), "response_timeout", "600ms");
        try (RawHttp c = new RawHttp(olla.port())) {
            long t0 = System.nanoTime();
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 5000)).isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isBetween(500L, 2000L);
            // cut after the first tokens: Ollama's error line, then a proper end (issue 13)
            assertThat(c.text()).contains("tok5 ").doesNotContain("\"done\":true")
                    .contains("{\"error\":\"Proxy error: backend timeout").contains("proxy.response_timeout");
            assertThat(c.chunkedComplete()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void streamsWithinTheTimeoutsAreUntouched(String engine) throws Exception {
        start(engine, 10, Duration.ofMillis(100), "read_timeout", "400ms");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 5000)).isTrue();
            assertThat(c.text()).contains("\"done\":true");
        }
    }
}
