package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointState;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Streaming, buffering, cancellation and mid-stream failures, for both engines and all profiles. */
class ProxyStreamingTest {
    static final String CHAT = "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String SSE_CHAT = "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

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

    static Stream<Arguments> engines() {
        return Stream.of(Arguments.of("sherpa"), Arguments.of("olla"));
    }

    static Stream<Arguments> enginesAndProfiles() {
        return Stream.of("sherpa", "olla").flatMap(e -> Stream.of("auto", "streaming", "standard")
                .map(p -> Arguments.of(e, p)));
    }

    private void start(SimFlavor flavor, String engine, String profile, int tokens, Duration delay, String model)
            throws Exception {
        sim = SimulatedBackend.builder(flavor).host("127.0.0.1").port(0).modelNames(model).tokens(tokens)
                .interTokenDelay(delay).build().start();
        olla = TestOlla.builder().engine(engine).profile(profile)
                .endpoint("one", sim.baseUrl(), flavor == SimFlavor.OLLAMA ? "ollama" : "vllm").start();
    }

    @ParameterizedTest(name = "{0} engine, {1} profile")
    @MethodSource("enginesAndProfiles")
    void ndjsonTokensArriveOneByOneUnlessBuffered(String engine, String profile) throws Exception {
        start(SimFlavor.OLLAMA, engine, profile, 6, Duration.ofMillis(80), "llama3.2:3b");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\"done\":true", 5000)).as(c.text()).isTrue();
            c.readUntil("\r\n0\r\n\r\n", profile.equals("standard") ? 50 : 2000);
            String text = c.text();
            assertThat(text).startsWith("HTTP/1.1 200");
            assertThat(text).contains("X-Olla-Endpoint: one");
            List<RawHttp.Read> reads = c.reads();
            long firstToken = firstReadContaining(reads, "tok0");
            long lastToken = firstReadContaining(reads, "\"done\":true");
            if (profile.equals("standard")) {
                assertThat(text.toLowerCase()).contains("content-length:");
                assertThat(lastToken - firstToken).as("buffered: everything at once").isLessThan(60);
            } else {
                assertThat(text.toLowerCase()).contains("transfer-encoding: chunked");
                // 6 tokens 80 ms apart: a relay that waits for a buffer to fill would deliver them together.
                assertThat(lastToken - firstToken).as("tokens spread over time").isGreaterThan(300);
                assertThat(distinctArrivals(reads, "tok")).isGreaterThanOrEqualTo(5);
                assertThat(c.chunkedComplete()).isTrue();
            }
        }
        assertThat(inFlight()).isZero();
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void sseEventsArriveOneByOne(String engine) throws Exception {
        start(SimFlavor.VLLM, engine, "auto", 5, Duration.ofMillis(80), "m1");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/vllm/v1/chat/completions", SSE_CHAT);
            assertThat(c.readUntil("data: [DONE]", 5000)).isTrue();
            c.readUntil("\r\n0\r\n\r\n", 2000);
            assertThat(c.text()).contains("Content-Type: text/event-stream").doesNotContain("Content-Length");
            long first = firstReadContaining(c.reads(), "tok0");
            long last = firstReadContaining(c.reads(), "[DONE]");
            assertThat(last - first).isGreaterThan(250);
            // the role chunk goes out with tok0 (proxy.hold_first_token); then one arrival per event
            assertThat(distinctArrivals(c.reads(), "chat.completion.chunk")).isGreaterThanOrEqualTo(4);
            assertThat(c.chunkedComplete()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void nonStreamedRequestUnderAutoIsBufferedWithContentLength(String engine) throws Exception {
        start(SimFlavor.VLLM, engine, "auto", 4, Duration.ZERO, "m1");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/vllm/v1/chat/completions",
                    "{\"model\":\"m1\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(c.readUntil("\"usage\"", 5000)).isTrue();
            c.readUntil("}}", 500);
            assertThat(c.text().toLowerCase()).contains("content-length:").doesNotContain("transfer-encoding");
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void clientDisconnectCancelsTheBackendRequest(String engine) throws Exception {
        start(SimFlavor.OLLAMA, engine, "auto", 200, Duration.ofMillis(30), "llama3.2:3b");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("tok2", 5000)).isTrue();
        }
        awaitTrue(() -> sim.stats().cancelledStreams() == 1, 3000);
        awaitTrue(() -> inFlight() == 0, 3000);
        assertThat(sim.stats().activeStreams()).isZero();
        // the endpoint is not blamed for the client leaving
        assertThat(olla.olla().endpoints().byName("one").routable()).isTrue();
        assertThat(olla.olla().proxy().stats().cancelled()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void backendDyingMidStreamEndsTheClientResponseWithoutAHang(String engine) throws Exception {
        start(SimFlavor.OLLAMA, engine, "auto", 50, Duration.ofMillis(20), "llama3.2:3b");
        sim.faults().dropAfterTokens(3);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            long t0 = System.nanoTime();
            assertThat(c.readUntil("\r\n0\r\n\r\n", 5000)).as("the stream ends, no hang").isTrue();
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000);
            // an NDJSON error line, then a proper end of the body (issue 13): never a silent truncation
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("tok2").doesNotContain("\"done\":true")
                    .contains("{\"error\":\"Proxy error: endpoint one closed the connection");
            assertThat(c.chunkedComplete()).as("a well-formed end carrying the error").isTrue();
        }
        assertThat(olla.olla().proxy().stats().streamErrorEnds()).isEqualTo(1);
        awaitTrue(() -> inFlight() == 0, 2000);
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void ollaEngineKeepsItsPoolWarmAndSherpaConnectsOnDemand(String engine) throws Exception {
        start(SimFlavor.VLLM, engine, "auto", 2, Duration.ZERO, "m1");
        ChannelPool pool = olla.olla().proxy().engine().pool();
        if (engine.equals("olla")) {
            awaitTrue(() -> pool.idleCount() >= 1, 2000);
        } else {
            Thread.sleep(200);
            assertThat(pool.idleCount()).isZero();
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void keepAliveConnectionsAreReused(String engine) throws Exception {
        start(SimFlavor.VLLM, engine, "auto", 2, Duration.ZERO, "m1");
        for (int i = 0; i < 20; i++) {
            assertThat(olla.post("/olla/vllm/v1/chat/completions",
                    "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(200);
        }
        // Probes, discovery and capacity polls (BackendGet) use one connection per request, closed
        // after it; what is left carried the 20 proxied requests: one connection per event loop at
        // most (olla warms one per loop), plus one for a background GET accepted but not yet counted.
        long background = sim.stats().requests() - sim.stats().requests("/v1/chat/completions");
        assertThat(sim.stats().acceptedConnections() - background).as("backend connections of proxied requests")
                .isLessThanOrEqualTo(2 + Runtime.getRuntime().availableProcessors());
    }

    @ParameterizedTest(name = "{0} engine")
    @MethodSource("engines")
    void slowClientPausesTheBackendInsteadOfBuffering(String engine) throws Exception {
        // A client that stops reading must stall the backend (reads paused on client writability),
        // not make the proxy buffer the whole stream; when it reads again everything arrives in order.
        sim = SimulatedBackend.builder(SimFlavor.VLLM).host("127.0.0.1").port(0).modelNames("m1").tokens(40_000)
                .interTokenDelay(Duration.ZERO).build().start();
        olla = TestOlla.builder().engine(engine).endpoint("one", sim.baseUrl(), "vllm").start();
        try (RawHttp c = new RawHttp(olla.port(), 4096)) {
            c.send("POST", "/olla/vllm/v1/chat/completions", SSE_CHAT);
            // the kernel's loopback buffers (up to 4 MiB towards the client) fill first: slow under load
            awaitTrue(() -> olla.olla().proxy().stats().backpressurePauses() > 0, 30_000);
            assertThat(olla.olla().proxy().stats().backpressurePauses()).as("backend reads paused").isPositive();
            assertThat(c.readUntil("data: [DONE]", 20_000)).isTrue();
            String text = c.text();
            assertThat(text).contains("tok39999");
            assertThat(text.indexOf("tok100 ")).isLessThan(text.indexOf("tok39999"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private int inFlight() {
        return olla.olla().endpoints().all().stream().mapToInt(EndpointState::inFlight).sum();
    }

    static long firstReadContaining(List<RawHttp.Read> reads, String s) {
        StringBuilder sb = new StringBuilder();
        for (RawHttp.Read r : reads) {
            sb.append(r.text());
            if (sb.indexOf(s) >= 0) {
                return r.atMillis();
            }
        }
        throw new AssertionError("never received " + s);
    }

    static long distinctArrivals(List<RawHttp.Read> reads, String s) {
        return reads.stream().filter(r -> r.text().contains(s)).count();
    }

    static void awaitTrue(java.util.function.BooleanSupplier cond, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met within " + millis + " ms");
            }
            Thread.sleep(10);
        }
    }
}
