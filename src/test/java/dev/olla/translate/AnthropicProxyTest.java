package dev.olla.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** /olla/anthropic/v1/*: translation to and from OpenAI, streaming events, passthrough, errors. */
class AnthropicProxyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final List<SimulatedBackend> sims = new ArrayList<>();
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        sims.forEach(SimulatedBackend::close);
    }

    SimulatedBackend sim(SimFlavor f, Duration delay, String... models) {
        SimulatedBackend s = SimulatedBackend.builder(f).host("127.0.0.1").port(0).modelNames(models).tokens(4)
                .interTokenDelay(delay).build().start();
        sims.add(s);
        return s;
    }

    /** Olla in front of one simulator, with its models discovered. */
    void start(String name, SimulatedBackend backend, String type) throws Exception {
        olla = TestOlla.builder().endpoint(name, backend.baseUrl(), type).start();
        ready();
    }

    /** Waits until every endpoint is routable with its models (a cold, loaded machine may miss the first health check). */
    void ready() throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (olla.olla().endpoints().all().stream().anyMatch(s -> !s.routable() || olla.olla().models().modelCount(s) == 0)
                && System.nanoTime() < end) {
            Thread.sleep(50);
        }
    }

    static String request(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":" + stream + ",\"system\":\"Be brief.\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }

    @Test
    void translatedToOpenAiAndBack() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        start("oa", openai, "openai-compatible");
        HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", request("gpt-oss-20b", false));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Mode")).isEmpty();
        JsonNode msg = JSON.readTree(r.body());
        assertThat(msg.path("type").asText()).isEqualTo("message");
        assertThat(msg.path("role").asText()).isEqualTo("assistant");
        assertThat(msg.path("content").get(0).path("type").asText()).isEqualTo("text");
        assertThat(msg.path("content").get(0).path("text").asText()).isEqualTo(SimulatedBackend.expectedText(4).trim().isEmpty()
                ? "" : msg.path("content").get(0).path("text").asText());
        assertThat(msg.path("content").get(0).path("text").asText()).contains("tok0");
        assertThat(msg.path("usage").path("output_tokens").asInt()).isPositive();
        JsonNode sent = JSON.readTree(openai.stats().lastRequest().body());
        assertThat(openai.stats().lastRequest().path()).isEqualTo("/v1/chat/completions");
        assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(sent.path("messages").get(1).path("content").asText()).isEqualTo("Hello");
    }

    @Test
    void streamedAsAnthropicEventsTokenByToken() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ofMillis(60), "gpt-oss-20b");
        start("oa", openai, "openai-compatible");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/anthropic/v1/messages", request("gpt-oss-20b", true));
            assertThat(c.readUntil("event: message_stop", 5000)).as(c.text()).isTrue();
            String t = c.text();
            assertThat(t.toLowerCase()).contains("content-type: text/event-stream");
            int start = t.indexOf("event: message_start");
            int block = t.indexOf("event: content_block_start");
            int delta = t.indexOf("event: content_block_delta");
            int stop = t.indexOf("event: content_block_stop");
            int mdelta = t.indexOf("event: message_delta");
            int mstop = t.indexOf("event: message_stop");
            assertThat(start).isNotNegative();
            assertThat(block).isGreaterThan(start);
            assertThat(delta).isGreaterThan(block);
            assertThat(stop).isGreaterThan(delta);
            assertThat(mdelta).isGreaterThan(stop);
            assertThat(mstop).isGreaterThan(mdelta);
            assertThat(t).contains("\"text_delta\"").contains("tok0").contains("\"stop_reason\"");
            long first = -1;
            long last = -1;
            for (RawHttp.Read read : c.reads()) {
                if (read.text().contains("text_delta")) {
                    if (first < 0) {
                        first = read.atMillis();
                    }
                    last = read.atMillis();
                }
            }
            assertThat(last - first).as("deltas spread over time").isGreaterThan(120);
        }
    }

    @Test
    void unknownModelIsAnAnthropicError() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        start("oa", openai, "openai-compatible");
        HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", request("claude-nope", false));
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode err = JSON.readTree(r.body());
        assertThat(err.path("type").asText()).isEqualTo("error");
        assertThat(err.path("error").path("type").asText()).isEqualTo("not_found_error");
        assertThat(err.path("error").path("message").asText()).contains("claude-nope");
        assertThat(r.headers().firstValue("request-id")).isPresent();
        HttpResponse<String> bad = olla.post("/olla/anthropic/v1/messages", "{\"messages\":[]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void passthroughToABackendThatSpeaksAnthropic() throws Exception {
        SimulatedBackend llama = sim(SimFlavor.LLAMACPP, Duration.ZERO, "tiny");
        start("lc", llama, "llamacpp");
        String body = request("tiny", false);
        HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", body);
        assertThat(r.headers().firstValue("X-Olla-Mode")).hasValue("passthrough");
        assertThat(llama.stats().lastRequest("/v1/messages").body()).isEqualTo(body);
    }

    @Test
    void countTokensAndModels() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        start("oa", openai, "openai-compatible");
        HttpResponse<String> n = olla.post("/olla/anthropic/v1/messages/count_tokens", request("gpt-oss-20b", false));
        assertThat(n.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(n.body()).path("input_tokens").asInt()).isPositive();
        JsonNode models = JSON.readTree(olla.get("/olla/anthropic/v1/models").body());
        assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("gpt-oss-20b");
        assertThat(models.path("data").get(0).path("type").asText()).isEqualTo("model");
        assertThat(models.path("has_more").asBoolean()).isFalse();
    }

    SimulatedBackend versioned(SimFlavor f, String version, String... models) {
        SimulatedBackend s = SimulatedBackend.builder(f).host("127.0.0.1").port(0).modelNames(models).tokens(4)
                .version(version).build().start();
        sims.add(s);
        return s;
    }

    @Test
    void anOllamaOlderThanTheProfileMinimumIsTranslatedWithoutTryingPassthrough() throws Exception {
        SimulatedBackend old = versioned(SimFlavor.OLLAMA, "0.12.6", "llama3.2:3b");
        start("old", old, "ollama");
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", request("llama3.2:3b", stream));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Olla-Mode")).isEmpty();
            assertThat(r.body()).contains("tok0");
        }
        assertThat(old.stats().requests("/v1/messages")).isZero();
        assertThat(old.stats().requests("/v1/chat/completions")).isEqualTo(2);
    }

    @Test
    void anOllamaWithTheMessagesApiGetsPassthrough() throws Exception {
        SimulatedBackend recent = versioned(SimFlavor.OLLAMA, "0.14.1", "llama3.2:3b");
        start("new", recent, "ollama");
        String body = request("llama3.2:3b", false);
        HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Mode")).hasValue("passthrough");
        assertThat(JSON.readTree(r.body()).path("content").get(0).path("text").asText()).contains("tok0");
        assertThat(recent.stats().lastRequest("/v1/messages").body()).isEqualTo(body);
    }

    @Test
    void aPassthroughTargetWithoutTheMessagesPathFallsBackToTranslationAndIsRemembered() throws Exception {
        // LM Studio reports no version: its profile's minimum cannot be checked, so passthrough is tried
        SimulatedBackend lms = sim(SimFlavor.LMSTUDIO, Duration.ZERO, "qwen3-4b");
        start("lms", lms, "lm-studio");
        HttpResponse<String> first = olla.post("/olla/anthropic/v1/messages", request("qwen3-4b", false));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(JSON.readTree(first.body()).path("type").asText()).isEqualTo("message");
        assertThat(JSON.readTree(first.body()).path("content").get(0).path("text").asText()).contains("tok0");
        assertThat(first.headers().firstValue("X-Olla-Mode")).isEmpty();
        assertThat(first.headers().firstValue("X-Olla-Passthrough-Fallback")).hasValue("lms");
        assertThat(lms.stats().requests("/v1/messages")).isEqualTo(1);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/anthropic/v1/messages", request("qwen3-4b", true));
            assertThat(c.readUntil("event: message_stop", 5000)).as(c.text()).isTrue();
            assertThat(c.text()).contains("text_delta").contains("tok0");
        }
        assertThat(lms.stats().requests("/v1/messages")).as("remembered: not asked again").isEqualTo(1);
        assertThat(lms.stats().requests("/v1/chat/completions")).isEqualTo(2);
    }

    @Test
    void passthroughErrorsAreAnthropicShaped() throws Exception {
        SimulatedBackend llama = sim(SimFlavor.LLAMACPP, Duration.ZERO, "tiny");
        start("lc", llama, "llamacpp");
        llama.faults().httpError(500);
        HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", request("tiny", false));
        assertThat(r.statusCode()).isEqualTo(500);
        JsonNode err = JSON.readTree(r.body());
        assertThat(err.path("type").asText()).isEqualTo("error");
        assertThat(err.path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(err.path("error").path("message").asText()).isNotEmpty();
    }

    @Test
    void theRouteFamilyAnswersInAnthropicShapeEverywhere() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        start("oa", openai, "openai-compatible");
        for (HttpResponse<String> r : List.of(olla.get("/olla/anthropic/v1/messages"), olla.get("/olla/anthropic/v1/nope"),
                olla.get("/olla/anthropic/v1/models/claude-nope"))) {
            JsonNode err = JSON.readTree(r.body());
            assertThat(r.statusCode()).isIn(404, 405);
            assertThat(err.path("type").asText()).as(r.body()).isEqualTo("error");
            assertThat(err.path("error").path("type").asText()).isIn("not_found_error", "api_error");
        }
        // errors the server answers before any handler (here 501 for TRACE) are in the envelope too
        HttpResponse<String> trace = TestOlla.client().send(java.net.http.HttpRequest.newBuilder(
                olla.uri("/olla/anthropic/v1/messages")).method("TRACE", java.net.http.HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(trace.statusCode()).isEqualTo(501);
        assertThat(JSON.readTree(trace.body()).path("type").asText()).as(trace.body()).isEqualTo("error");
        JsonNode one = JSON.readTree(olla.get("/olla/anthropic/v1/models/gpt-oss-20b").body());
        assertThat(one.path("type").asText()).isEqualTo("model");
        assertThat(one.path("id").asText()).isEqualTo("gpt-oss-20b");
    }

    @Test
    void countTokensIsValidatedThenAskedOfABackendThatCounts() throws Exception {
        SimulatedBackend llama = sim(SimFlavor.LLAMACPP, Duration.ZERO, "tiny");
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        olla = TestOlla.builder().endpoint("lc", llama.baseUrl(), "llamacpp")
                .endpoint("oa", openai.baseUrl(), "openai-compatible").start();
        ready();
        String hello = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        HttpResponse<String> counted = olla.post("/olla/anthropic/v1/messages/count_tokens", hello.formatted("tiny"));
        assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
        assertThat(counted.headers().firstValue("X-Olla-Mode")).hasValue("passthrough");
        assertThat(llama.stats().requests("/v1/messages/count_tokens")).isEqualTo(1);
        assertThat(JSON.readTree(counted.body()).path("input_tokens").asInt()).isGreaterThan(20); // the chat template counts
        HttpResponse<String> estimated = olla.post("/olla/anthropic/v1/messages/count_tokens", hello.formatted("gpt-oss-20b"));
        assertThat(estimated.statusCode()).isEqualTo(200);
        assertThat(estimated.headers().firstValue("X-Olla-Token-Count")).hasValue("estimate");
        assertThat(JSON.readTree(estimated.body()).path("input_tokens").asInt()).isEqualTo(1);
        HttpResponse<String> bad = olla.post("/olla/anthropic/v1/messages/count_tokens",
                "{\"model\":\"tiny\",\"messages\":\"Hello\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }
}
