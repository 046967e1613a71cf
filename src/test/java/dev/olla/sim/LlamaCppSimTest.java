package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.olla.sim.SimTestSupport.Capture;
import static dev.olla.sim.SimTestSupport.RawHttp;
import static dev.olla.sim.SimTestSupport.RawResponse;
import static dev.olla.sim.SimTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** llama.cpp flavour against the captures in shared/fixtures/llamacpp. */
class LlamaCppSimTest {
    static SimulatedBackend sim;
    static Path fixtures;
    static final String CHAT = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":8";

    @BeforeAll
    static void start() {
        fixtures = SimTestSupport.fixtures();
        sim = SimulatedBackend.builder(SimFlavor.LLAMACPP)
                .models(List.of(new SimModel("tiny-llama", "llama", "185.92K", "F32", 512, SimModel.Type.LLM, true)))
                .tokens(20).build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    /** Replaces what legitimately varies (ids, times, token text, counts, timings) so shapes compare byte for byte. */
    static String normalize(String s) {
        return s.replaceAll("\"(id|content|text|system_fingerprint)\":\"[^\"]*\"", "\"$1\":\"*\"")
                .replaceAll("(?<=\":)-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?", "0");
    }

    static List<String> headerLines(List<String> lines) {
        return lines.stream().filter(l -> !l.startsWith("Content-Length:")).toList();
    }

    private Capture fixture(String name) throws Exception {
        assumeTrue(fixtures != null, "shared/fixtures/llamacpp not found");
        return Capture.read(fixtures.resolve(name));
    }

    private void assertMatchesFixture(String fixture, String method, String path, String body) throws Exception {
        Capture cap = fixture(fixture);
        try (RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange(method, path, body, "User-Agent: curl/7.88.1", "Accept: */*");
            assertThat(headerLines(r.headLines())).isEqualTo(headerLines(cap.headLines()));
            assertThat(normalize(r.bodyText())).isEqualTo(normalize(cap.body()));
        }
    }

    @Test
    void chatStreamMatchesFixtureByteForByte() throws Exception {
        assertMatchesFixture("v1_chat_completions--stream.txt", "POST", "/v1/chat/completions", CHAT + ",\"stream\":true}");
    }

    @Test
    void chatStreamWithUsageMatchesFixture() throws Exception {
        assertMatchesFixture("v1_chat_completions--stream-usage.txt", "POST", "/v1/chat/completions",
                CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    }

    @Test
    void chatMatchesFixture() throws Exception {
        assertMatchesFixture("v1_chat_completions--ok.txt", "POST", "/v1/chat/completions",
                "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":16}");
    }

    @Test
    void completionsMatchFixtures() throws Exception {
        assertMatchesFixture("v1_completions--ok.txt", "POST", "/v1/completions",
                "{\"model\":\"tiny-llama\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}");
        assertMatchesFixture("v1_completions--stream.txt", "POST", "/v1/completions",
                "{\"model\":\"tiny-llama\",\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"stream\":true}");
    }

    @Test
    void healthAndModelsMatchFixtures() throws Exception {
        assertMatchesFixture("health--ok.txt", "GET", "/health", null);
        assertMatchesFixture("v1_models--ok.txt", "GET", "/v1/models", null);
        assertMatchesFixture("models--ok.txt", "GET", "/models", null);
    }

    @Test
    void unknownRouteMatchesFixtureAndClosesTheConnection() throws Exception {
        assertMatchesFixture("unknown-route--get.txt", "GET", "/v1/nope", null);
        assertMatchesFixture("unknown-route--post.txt", "POST", "/v1/nope", "{\"x\":1}");
        try (RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("GET", "/v1/nope", null);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(c.closedByServer(Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void errorsMatchFixtures() throws Exception {
        assertMatchesFixture("v1_chat_completions--missing-messages.txt", "POST", "/v1/chat/completions",
                "{\"model\":\"tiny-llama\",\"max_tokens\":4}");
        assertMatchesFixture("v1_embeddings--not-enabled.txt", "POST", "/v1/embeddings",
                "{\"model\":\"tiny-llama\",\"input\":\"Hello world\"}");
        Capture malformed = fixture("v1_chat_completions--malformed-json.txt");
        try (RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("POST", "/v1/chat/completions", "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}");
            assertThat(headerLines(r.headLines())).isEqualTo(headerLines(malformed.headLines()));
            JsonNode e = json(r.bodyText()).get("error");
            assertThat(e.get("code").asInt()).isEqualTo(500);
            assertThat(e.get("type").asText()).isEqualTo("server_error");
        }
    }

    @Test
    void streamWireFramingOneEventPerChunk() throws Exception {
        try (RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("POST", "/v1/chat/completions",
                    CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", "Connection: close");
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(r.header("Keep-Alive")).isNull();
            List<SimTestSupport.Chunk> chunks = r.chunks();
            // role + first token, 7 tokens, finish + usage, [DONE]: as in v1_chat_completions--stream-usage-32.wire.txt
            assertThat(chunks).hasSize(10);
            assertThat(chunks.get(0).data().split("\n\n")).hasSize(2);
            assertThat(chunks.get(0).data()).contains("\"role\":\"assistant\",\"content\":null").contains("tok0 ");
            assertThat(chunks.get(1).data()).startsWith("data: {").endsWith("}\n\n").contains("tok1 ");
            assertThat(chunks.get(8).data()).contains("\"finish_reason\":\"length\"").contains("\"usage\":");
            assertThat(chunks.get(9).data()).isEqualTo("data: [DONE]\n\n");
            assertThat(c.closedByServer(Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void servesAnyModelNameUnderItsAlias() throws Exception {
        JsonNode j = json(SimTestSupport.post(sim, "/v1/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":2}").body());
        assertThat(j.get("model").asText()).isEqualTo("tiny-llama");
        assertThat(j.get("choices").get(0).get("message").get("content").asText()).isEqualTo("tok0 tok1 ");
    }

    @Test
    void keepAliveClosesAfterMaxRequests() throws Exception {
        try (RawHttp c = new RawHttp(sim.port())) {
            for (int i = 1; i < 100; i++) {
                RawResponse r = c.exchange("GET", "/health", null);
                assertThat(r.header("Keep-Alive")).isEqualTo("timeout=5, max=100");
            }
            RawResponse last = c.exchange("GET", "/health", null);
            assertThat(last.status()).isEqualTo(200);
            assertThat(last.header("Connection")).isEqualTo("close");
            assertThat(c.closedByServer(Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void corsPreflight() throws Exception {
        try (RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("OPTIONS", "/v1/chat/completions", null, "Origin: http://127.0.0.1:3000",
                    "Access-Control-Request-Method: POST");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("http://127.0.0.1:3000");
            assertThat(r.header("Access-Control-Allow-Methods")).isEqualTo("GET, POST, DELETE, OPTIONS");
        }
    }
}
