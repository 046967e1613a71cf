package dev.olla.proxy;

import static dev.olla.proxy.ProxyStreamingTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointState;
import dev.olla.sim.SimFaults;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulator's stream faults, in each flavour's real bytes, through Olla: every failure before the
 * first token (an error first, a 200 with an error body, a reset after the role chunk, a stall after
 * the head) fails over invisibly to the next endpoint; a backend dropping after 5 tokens ends the
 * stream with an error in the client's protocol.
 */
class SimStreamFaultsProxyTest {
    static final String MODEL = "llama3.2:3b";

    SimulatedBackend bad;
    SimulatedBackend good;
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        if (bad != null) {
            bad.close();
        }
        if (good != null) {
            good.close();
        }
    }

    /** A route through Olla to one flavour; {@code version}: what the backend reports (null: the flavour's). */
    record Case(SimFlavor flavor, String type, String path, String version) {
        boolean ndjson() {
            return path.contains("/api/");
        }

        /** The Anthropic Messages API, passed through to a backend that speaks it. */
        boolean anthropic() {
            return path.startsWith("/olla/anthropic/");
        }

        String body() {
            return anthropic()
                    ? "{\"model\":\"" + MODEL + "\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                    : "{\"model\":\"" + MODEL + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        }

        /** What only a complete stream ends with. */
        String end() {
            return anthropic() ? "event: message_stop" : ndjson() ? "\"done\":true" : "data: [DONE]";
        }
    }

    static Case of(String name) {
        String anthropic = "/olla/anthropic/v1/messages";
        return switch (name) {
            case "openai" -> new Case(SimFlavor.OPENAI, "openai-compatible", "/olla/openai/v1/chat/completions", null);
            case "vllm" -> new Case(SimFlavor.VLLM, "vllm", "/olla/vllm/v1/chat/completions", null);
            case "llamacpp" -> new Case(SimFlavor.LLAMACPP, "llamacpp", "/olla/llamacpp/v1/chat/completions", null);
            case "ollama-v1" -> new Case(SimFlavor.OLLAMA, "ollama", "/olla/ollama/v1/chat/completions", null);
            case "anthropic-llamacpp" -> new Case(SimFlavor.LLAMACPP, "llamacpp", anthropic, null);
            case "anthropic-vllm" -> new Case(SimFlavor.VLLM, "vllm", anthropic, "0.11.1");
            case "anthropic-ollama" -> new Case(SimFlavor.OLLAMA, "ollama", anthropic, "0.14.0");
            default -> new Case(SimFlavor.OLLAMA, "ollama", "/olla/ollama/api/chat", null);
        };
    }

    SimulatedBackend sim(SimFlavor flavor) {
        return sim(flavor, null);
    }

    SimulatedBackend sim(SimFlavor flavor, String version) {
        SimulatedBackend.Builder b = SimulatedBackend.builder(flavor).host("127.0.0.1").port(0).modelNames(MODEL).tokens(8)
                .interTokenDelay(Duration.ofMillis(2));
        return (version == null ? b : b.version(version)).build().start();
    }

    void olla(Case c) throws Exception {
        if (olla != null) {
            olla.close();
        }
        olla = TestOlla.builder().engine("olla").balancer("priority").proxy("first_token_timeout", "400ms")
                .proxy("sse_keepalive_interval", "0s")
                .endpoint("bad", bad.baseUrl(), c.type(), "priority", 100)
                .endpoint("good", good.baseUrl(), c.type(), "priority", 50)
                .start().ready().awaitModel(MODEL);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "vllm", "llamacpp", "ollama-v1", "ollama",
        "anthropic-llamacpp", "anthropic-vllm", "anthropic-ollama"})
    void everyFailureBeforeTheFirstTokenFailsOverInvisibly(String name) throws Exception {
        Case c = of(name);
        bad = sim(c.flavor(), c.version());
        good = sim(c.flavor(), c.version());
        Consumer<SimFaults>[] faults = faults();
        for (int i = 0; i < faults.length; i++) {
            olla(c); // a fresh breaker for each fault
            faults[i].accept(bad.faults());
            long injected = bad.stats().faultsInjected();
            try (RawHttp raw = new RawHttp(olla.port())) {
                raw.send("POST", c.path(), c.body());
                assertThat(raw.readUntil("\r\n0\r\n\r\n", 10_000)).as("fault %d: %s", i, raw.text()).isTrue();
                String text = raw.text();
                assertThat(text).as("fault %d", i).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Olla-Endpoint: good")
                        .doesNotContain("simulated failure").doesNotContain("error was encountered")
                        .doesNotContain("\"error\"").doesNotContain("event: error");
                String body = dechunk(text);
                assertThat(body).contains(c.end()).contains("tok7");
                if (c.anthropic()) {
                    assertThat(body).as("one message, from the second endpoint").startsWith("event: message_start")
                            .containsOnlyOnce("event: message_start");
                    assertThat(good.stats().lastRequest("/v1/messages")).as("passed through, not translated").isNotNull();
                }
                assertThat(raw.chunkedComplete()).isTrue();
            }
            assertThat(bad.stats().faultsInjected()).as("fault %d hit the first endpoint", i).isEqualTo(injected + 1);
            assertThat(olla.olla().proxy().stats().firstTokenFailovers()).as("fault %d", i).isEqualTo(1);
            awaitTrue(() -> olla.olla().endpoints().all().stream().mapToInt(EndpointState::inFlight).sum() == 0, 3000);
        }
    }

    @org.junit.jupiter.api.Test
    void anAnthropicPassthroughStreamIsKeptAliveWhileTheModelLoadsThenHeldUntilItsFirstText() throws Exception {
        bad = sim(SimFlavor.LLAMACPP); // speaks the Messages API: passthrough
        bad.faults().loadDelay(Duration.ofMillis(600), 1);
        olla = TestOlla.builder().engine("sherpa").proxy("sse_keepalive_interval", "100ms")
                .endpoint("lc", bad.baseUrl(), "llamacpp").start().ready().awaitModel(MODEL);
        String req = "{\"model\":\"" + MODEL + "\",\"max_tokens\":16,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        try (RawHttp raw = new RawHttp(olla.port())) {
            raw.send("POST", "/olla/anthropic/v1/messages", req);
            assertThat(raw.readUntil("\r\n0\r\n\r\n", 10_000)).as(raw.text()).isTrue();
            String body = dechunk(raw.text());
            assertThat(raw.text()).startsWith("HTTP/1.1 200").contains("text/event-stream");
            assertThat(body.indexOf(": keep-alive\n\n")).isGreaterThanOrEqualTo(0)
                    .isLessThan(body.indexOf("event: message_start"));
            assertThat(body).contains("event: content_block_delta").contains("event: message_stop")
                    .doesNotContain("event: error");
            assertThat(raw.chunkedComplete()).isTrue();
        }
        assertThat(bad.stats().lastRequest("/v1/messages")).isNotNull();
        assertThat(olla.olla().proxy().stats().holds()).isEqualTo(1);
        assertThat(olla.olla().proxy().stats().keepAlives()).isGreaterThanOrEqualTo(3);
    }

    /** The body of a chunked response on the wire, without the chunk framing. */
    static String dechunk(String wire) {
        String rest = wire.substring(wire.indexOf("\r\n\r\n") + 4);
        StringBuilder out = new StringBuilder();
        while (true) {
            int eol = rest.indexOf("\r\n");
            if (eol < 0) {
                return out.toString();
            }
            int size = Integer.parseInt(rest.substring(0, eol).strip(), 16);
            if (size == 0 || rest.length() < eol + 2 + size) {
                return out.toString();
            }
            out.append(rest, eol + 2, eol + 2 + size);
            rest = rest.substring(eol + 2 + size + 2);
        }
    }

    @SuppressWarnings("unchecked")
    static Consumer<SimFaults>[] faults() {
        return new Consumer[] {
            (Consumer<SimFaults>) f -> f.errorFirst(1),
            (Consumer<SimFaults>) f -> f.errorBody200(1),
            (Consumer<SimFaults>) f -> f.resetAfterRole(1),
            (Consumer<SimFaults>) f -> f.stallAfterHead(Duration.ofSeconds(3), true, 1),
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vllm", "ollama-v1", "ollama", "anthropic-llamacpp", "anthropic-ollama"})
    void aBackendDroppingAfterFiveTokensEndsTheStreamWithAnError(String name) throws Exception {
        Case c = of(name);
        bad = sim(c.flavor(), c.version());
        good = sim(c.flavor(), c.version());
        olla(c);
        bad.faults().dropAfterTokens(5, 1);
        try (RawHttp raw = new RawHttp(olla.port())) {
            raw.send("POST", c.path(), c.body());
            assertThat(raw.readUntil("\r\n0\r\n\r\n", 10_000)).as(raw.text()).isTrue();
            String text = dechunk(raw.text());
            assertThat(raw.text()).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Olla-Endpoint: bad");
            assertThat(text).contains("tok4");
            if (c.anthropic()) {
                // the Messages API's error event, and the end of the body: no content_block_stop, no message_stop
                assertThat(text).startsWith("event: message_start").contains("event: content_block_delta")
                        .contains("\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                                + "\"message\":\"Proxy error: endpoint bad closed the connection")
                        .endsWith("\"}}\n\n").containsOnlyOnce("event: error")
                        .doesNotContain("tok5").doesNotContain("message_stop").doesNotContain("data: [DONE]");
            } else if (c.ndjson()) {
                assertThat(text).contains("{\"error\":\"Proxy error: endpoint bad closed the connection")
                        .doesNotContain("\"done\":true");
            } else {
                assertThat(text).contains("data: {\"error\":{\"message\":\"Proxy error: endpoint bad closed the connection")
                        .contains("data: [DONE]");
            }
            assertThat(raw.chunkedComplete()).isTrue();
        }
        assertThat(olla.olla().proxy().stats().streamErrorEnds()).isEqualTo(1);
    }
}
