package dev.olla.stats;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Token figures after scripted traffic through a real Olla, in each backend format, streamed and
 * not: the prompt and completion counts the backend wrote are the ones aggregated per model and
 * per endpoint, streams get a TTFT and inter-token gaps measured by Olla, and tokens per second
 * follow the backend's own timings where it sends them.
 */
class TokenFiguresProxyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int TOKENS = 6;
    static final Duration DELAY = Duration.ofMillis(40);

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

    private void start(SimFlavor flavor, String type, String model) throws Exception {
        sim = SimulatedBackend.builder(flavor).host("127.0.0.1").port(0).modelNames(model).tokens(TOKENS)
                .interTokenDelay(DELAY).build().start();
        olla = TestOlla.builder().endpoint("gpu0", sim.baseUrl(), type).start().awaitModel(model);
    }

    private static long last(String body, String field) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*(\\d+(\\.\\d+)?)").matcher(body);
        String v = null;
        while (m.find()) {
            v = m.group(1);
        }
        assertThat(v).as(field + " in " + body).isNotNull();
        return (long) Double.parseDouble(v);
    }

    private JsonNode modelTokens(String model) throws Exception {
        JsonNode body = JSON.readTree(olla.get("/internal/stats/models").body());
        for (JsonNode m : body.path("models")) {
            if (m.path("name").asText().equals(model)) {
                return m.path("tokens");
            }
        }
        throw new AssertionError("no row for " + model + ": " + body);
    }

    private JsonNode endpointTokens() throws Exception {
        JsonNode body = JSON.readTree(olla.get("/internal/status/endpoints").body());
        return body.path("endpoints").get(0).path("tokens");
    }

    /** Sends the request twice; returns the last body. */
    private String twice(String path, String json) throws Exception {
        String body = null;
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = olla.post(path, json);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            body = r.body();
        }
        return body;
    }

    private void assertCounts(String model, long prompt, boolean streamed) throws Exception {
        for (JsonNode t : new JsonNode[] {modelTokens(model), endpointTokens()}) {
            assertThat(t.path("prompt_tokens").asLong()).as(t.toString()).isEqualTo(2 * prompt);
            assertThat(t.path("completion_tokens").asLong()).as(t.toString()).isEqualTo(2L * TOKENS);
            assertThat(t.path("responses_with_usage").asLong()).isEqualTo(2);
            assertThat(t.path("tokens_per_second").asDouble()).as(t.toString()).isPositive();
            if (streamed) {
                assertThat(t.path("streams").asLong()).isEqualTo(2);
                assertThat(t.path("ttft_p50_ms").asDouble()).as(t.toString()).isPositive();
                assertThat(t.path("ttft_p99_ms").asDouble()).isGreaterThanOrEqualTo(t.path("ttft_p50_ms").asDouble());
                assertThat(t.path("avg_inter_token_ms").asDouble()).as(t.toString()).isGreaterThan(5);
            } else {
                assertThat(t.path("streams").asLong()).isZero();
                assertThat(t.path("ttft_p50_ms").asDouble()).isZero();
            }
        }
    }

    @Test
    void ollamaStreamed() throws Exception {
        start(SimFlavor.OLLAMA, "ollama", "llama3.2:3b");
        String body = twice("/olla/ollama/api/chat",
                "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        assertCounts("llama3.2:3b", last(body, "prompt_eval_count"), true);
        // tokens/s from the backend's own eval_duration
        double expected = TOKENS * 1e9 / last(body, "eval_duration");
        assertThat(modelTokens("llama3.2:3b").path("last_tokens_per_second").asDouble())
                .isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1));
    }

    @Test
    void ollamaNotStreamed() throws Exception {
        start(SimFlavor.OLLAMA, "ollama", "llama3.2:3b");
        String body = twice("/olla/ollama/api/generate",
                "{\"model\":\"llama3.2:3b\",\"stream\":false,\"prompt\":\"why is the sky blue\"}");
        assertCounts("llama3.2:3b", last(body, "prompt_eval_count"), false);
    }

    @Test
    void openAiStreamedWithIncludeUsage() throws Exception {
        start(SimFlavor.VLLM, "vllm", "m1");
        String body = twice("/olla/vllm/v1/chat/completions", "{\"model\":\"m1\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(body).contains("data: [DONE]");
        assertCounts("m1", last(body, "prompt_tokens"), true);
    }

    @Test
    void openAiNotStreamed() throws Exception {
        start(SimFlavor.VLLM, "vllm", "m1");
        String body = twice("/olla/vllm/v1/chat/completions",
                "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"a longer question here\"}]}");
        assertCounts("m1", last(body, "prompt_tokens"), false);
    }

    @Test
    void llamaCppTimingsStreamedAndNot() throws Exception {
        start(SimFlavor.LLAMACPP, "llamacpp", "tiny");
        String plain = twice("/olla/llamacpp/v1/chat/completions",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertCounts("tiny", last(plain, "prompt_n"), false);
        double expected = TOKENS * 1000.0 / (last(plain, "predicted_ms") + 0.0);
        assertThat(modelTokens("tiny").path("last_tokens_per_second").asDouble()).isPositive();
        assertThat(expected).isPositive();
        String streamed = olla.post("/olla/llamacpp/v1/chat/completions",
                "{\"model\":\"tiny\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").body();
        assertThat(streamed).contains("\"timings\"");
        JsonNode t = modelTokens("tiny");
        assertThat(t.path("completion_tokens").asLong()).isEqualTo(3L * TOKENS);
        assertThat(t.path("streams").asLong()).isEqualTo(1);
        assertThat(t.path("ttft_p50_ms").asDouble()).isPositive();
    }

    @Test
    void anthropicClientsCountedFromTheTranslatedBackend() throws Exception {
        start(SimFlavor.OPENAI, "openai-compatible", "gpt-oss-20b");
        String req = "{\"model\":\"gpt-oss-20b\",\"max_tokens\":64,\"stream\":%s,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        String plain = twice("/olla/anthropic/v1/messages", req.formatted("false"));
        long input = last(plain, "input_tokens");
        assertCounts("gpt-oss-20b", input, false);
        String events = olla.post("/olla/anthropic/v1/messages", req.formatted("true")).body();
        assertThat(events).contains("event: message_stop");
        JsonNode t = modelTokens("gpt-oss-20b");
        assertThat(t.path("completion_tokens").asLong()).isEqualTo(3L * TOKENS);
        assertThat(t.path("streams").asLong()).isEqualTo(1);
        assertThat(t.path("ttft_p50_ms").asDouble()).isPositive();
    }
}
