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

    static String request(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":" + stream + ",\"system\":\"Be brief.\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }

    @Test
    void translatedToOpenAiAndBack() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        olla = TestOlla.builder().endpoint("oa", openai.baseUrl(), "openai-compatible").start();
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
        olla = TestOlla.builder().endpoint("oa", openai.baseUrl(), "openai-compatible").start();
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
        olla = TestOlla.builder().endpoint("oa", openai.baseUrl(), "openai-compatible").start();
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
        olla = TestOlla.builder().endpoint("lc", llama.baseUrl(), "llamacpp").start();
        String body = request("tiny", false);
        HttpResponse<String> r = olla.post("/olla/anthropic/v1/messages", body);
        assertThat(r.headers().firstValue("X-Olla-Mode")).hasValue("passthrough");
        assertThat(llama.stats().lastRequest().path()).isEqualTo("/v1/messages");
        assertThat(llama.stats().lastRequest().body()).isEqualTo(body);
    }

    @Test
    void countTokensAndModels() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, Duration.ZERO, "gpt-oss-20b");
        olla = TestOlla.builder().endpoint("oa", openai.baseUrl(), "openai-compatible").start();
        HttpResponse<String> n = olla.post("/olla/anthropic/v1/messages/count_tokens", request("gpt-oss-20b", false));
        assertThat(n.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(n.body()).path("input_tokens").asInt()).isPositive();
        JsonNode models = JSON.readTree(olla.get("/olla/anthropic/v1/models").body());
        assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("gpt-oss-20b");
        assertThat(models.path("data").get(0).path("type").asText()).isEqualTo("model");
        assertThat(models.path("has_more").asBoolean()).isFalse();
    }
}
