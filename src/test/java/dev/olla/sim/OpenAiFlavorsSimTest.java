package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.olla.sim.SimTestSupport.HTTP;
import static dev.olla.sim.SimTestSupport.get;
import static dev.olla.sim.SimTestSupport.json;
import static dev.olla.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

/** OpenAI-compatible routes on the OPENAI, VLLM, LMSTUDIO and LLAMACPP flavours, plus each one's extras. */
class OpenAiFlavorsSimTest {
    static final Map<SimFlavor, SimulatedBackend> SIMS = new EnumMap<>(SimFlavor.class);
    static final String CHAT = "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]";

    @BeforeAll
    static void start() {
        for (SimFlavor f : SimFlavor.values()) {
            SIMS.put(f, SimulatedBackend.builder(f)
                    .models(List.of(SimModel.of("m1").withContextLength(4096), SimModel.embedding("embed-1").withLoaded(false)))
                    .tokens(6).build().start());
        }
    }

    @AfterAll
    static void stop() {
        SIMS.values().forEach(SimulatedBackend::close);
    }

    @ParameterizedTest
    @EnumSource(SimFlavor.class)
    void modelsList(SimFlavor f) throws Exception {
        HttpResponse<String> r = get(SIMS.get(f), "/v1/models");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode j = json(r.body());
        assertThat(j.get("object").asText()).isEqualTo("list");
        assertThat(j.get("data")).hasSize(2);
        JsonNode m = j.get("data").get(0);
        assertThat(m.get("id").asText()).isEqualTo("m1");
        assertThat(m.get("object").asText()).isEqualTo("model");
        assertThat(m.get("owned_by").asText()).isNotBlank();
        if (f != SimFlavor.LMSTUDIO) {
            assertThat(m.get("created").asLong()).isPositive();
        }
        if (f == SimFlavor.VLLM) {
            assertThat(m.get("max_model_len").asInt()).isEqualTo(4096);
            assertThat(m.get("root").asText()).isEqualTo("m1");
            assertThat(m.get("parent").isNull()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(SimFlavor.class)
    void chatCompletion(SimFlavor f) throws Exception {
        HttpResponse<String> r = post(SIMS.get(f), "/v1/chat/completions", CHAT + ",\"max_tokens\":4}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length")).isPresent();
        JsonNode j = json(r.body());
        assertThat(j.get("object").asText()).isEqualTo("chat.completion");
        assertThat(j.get("id").asText()).startsWith("chatcmpl-");
        assertThat(j.get("model").asText()).isEqualTo("m1");
        JsonNode c = j.get("choices").get(0);
        assertThat(c.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(c.get("message").get("content").asText()).isEqualTo("tok0 tok1 tok2 tok3 ");
        assertThat(c.get("finish_reason").asText()).isEqualTo("length");
        assertThat(j.get("usage").get("completion_tokens").asInt()).isEqualTo(4);
        assertThat(j.get("usage").get("total_tokens").asInt())
                .isEqualTo(4 + j.get("usage").get("prompt_tokens").asInt());
    }

    @ParameterizedTest
    @EnumSource(SimFlavor.class)
    void chatStream(SimFlavor f) throws Exception {
        HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(SIMS.get(f).uri("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"))
                .build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        List<String> lines = r.body().toList();
        for (int i = 0; i < lines.size(); i += 2) {
            assertThat(lines.get(i)).startsWith("data: ");
            assertThat(lines.get(i + 1)).isEmpty();
        }
        List<String> data = lines.stream().filter(l -> !l.isEmpty()).map(l -> l.substring(6)).toList();
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        JsonNode first = json(data.get(0));
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode j = json(d);
            if (j.get("choices").isEmpty()) {
                usage = j.get("usage");
                continue;
            }
            JsonNode c = j.get("choices").get(0);
            text.append(c.get("delta").path("content").asText(""));
            if (!c.get("finish_reason").isNull()) {
                finish = c.get("finish_reason").asText();
            }
        }
        assertThat(text.toString()).isEqualTo(SimulatedBackend.expectedText(6));
        assertThat(finish).isEqualTo("stop");
        assertThat(usage).isNotNull();
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(6);
    }

    @ParameterizedTest
    @EnumSource(SimFlavor.class)
    void textCompletionStreamAndNot(SimFlavor f) throws Exception {
        JsonNode j = json(post(SIMS.get(f), "/v1/completions", "{\"model\":\"m1\",\"prompt\":\"Once\"}").body());
        assertThat(j.get("object").asText()).isEqualTo("text_completion");
        assertThat(j.get("choices").get(0).get("text").asText()).isEqualTo(SimulatedBackend.expectedText(6));
        assertThat(j.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");

        HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(SIMS.get(f).uri("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1\",\"prompt\":\"Once\",\"stream\":true,\"max_tokens\":2}"))
                .build(), HttpResponse.BodyHandlers.ofLines());
        List<String> data = r.body().filter(l -> !l.isEmpty()).map(l -> l.substring(6)).toList();
        assertThat(data).hasSize(4);
        assertThat(json(data.get(0)).get("choices").get(0).get("text").asText()).isEqualTo("tok0 ");
        assertThat(json(data.get(2)).get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        assertThat(data.get(3)).isEqualTo("[DONE]");
    }

    @ParameterizedTest
    @EnumSource(value = SimFlavor.class, names = {"OPENAI", "VLLM", "LMSTUDIO", "OLLAMA"})
    void embeddingsAndUnknownModel(SimFlavor f) throws Exception {
        JsonNode e = json(post(SIMS.get(f), "/v1/embeddings", "{\"model\":\"embed-1\",\"input\":[\"a\",\"b\"]}").body());
        assertThat(e.get("object").asText()).isEqualTo("list");
        assertThat(e.get("model").asText()).isEqualTo("embed-1");
        assertThat(e.get("data")).hasSize(2);
        assertThat(e.get("data").get(1).get("object").asText()).isEqualTo("embedding");
        assertThat(e.get("data").get(1).get("index").asInt()).isEqualTo(1);
        assertThat(e.get("data").get(1).get("embedding")).hasSize(Wire.EMBEDDING_DIM);
        assertThat(e.get("usage").get("prompt_tokens").asInt()).isPositive();

        HttpResponse<String> r = post(SIMS.get(f), "/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[]}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r.body()).get("error").get("message").asText()).contains("nope");
    }

    @Test
    void unknownPathsUseEachFlavoursStyle() throws Exception {
        assertThat(json(get(SIMS.get(SimFlavor.OPENAI), "/v1/nope").body()).get("error").get("message").asText())
                .isEqualTo("Invalid URL (GET /v1/nope)");
        assertThat(get(SIMS.get(SimFlavor.VLLM), "/v1/nope").body()).isEqualTo("{\"detail\":\"Not Found\"}");
        assertThat(json(get(SIMS.get(SimFlavor.LMSTUDIO), "/v1/nope").body()).get("error").asText())
                .isEqualTo("Unexpected endpoint or method. (GET /v1/nope)");
        for (SimulatedBackend s : SIMS.values()) {
            assertThat(get(s, "/v1/nope").statusCode()).as(s.toString()).isEqualTo(404);
        }
    }

    @Test
    void healthRoutes() throws Exception {
        HttpResponse<String> vllm = get(SIMS.get(SimFlavor.VLLM), "/health");
        assertThat(vllm.statusCode()).isEqualTo(200);
        assertThat(vllm.body()).isEmpty();
        HttpResponse<String> openai = get(SIMS.get(SimFlavor.OPENAI), "/health");
        assertThat(openai.statusCode()).isEqualTo(200);
        assertThat(json(openai.body()).get("status").asText()).isEqualTo("ok");
        assertThat(json(get(SIMS.get(SimFlavor.VLLM), "/version").body()).get("version").asText()).isNotBlank();
    }

    @Test
    void lmStudioV0Models() throws Exception {
        SimulatedBackend lm = SIMS.get(SimFlavor.LMSTUDIO);
        JsonNode j = json(get(lm, "/api/v0/models").body());
        assertThat(j.get("object").asText()).isEqualTo("list");
        JsonNode m = j.get("data").get(0);
        assertThat(m.get("id").asText()).isEqualTo("m1");
        assertThat(m.get("type").asText()).isEqualTo("llm");
        assertThat(m.get("publisher").asText()).isNotBlank();
        assertThat(m.get("arch").asText()).isNotBlank();
        assertThat(m.get("compatibility_type").asText()).isEqualTo("gguf");
        assertThat(m.get("quantization").asText()).isEqualTo("Q4_K_M");
        assertThat(m.get("state").asText()).isEqualTo("loaded");
        assertThat(m.get("max_context_length").asInt()).isEqualTo(4096);
        JsonNode e = j.get("data").get(1);
        assertThat(e.get("type").asText()).isEqualTo("embeddings");
        assertThat(e.get("state").asText()).isEqualTo("not-loaded");

        JsonNode v0 = json(post(lm, "/api/v0/chat/completions", CHAT + "}").body());
        assertThat(v0.get("stats").get("tokens_per_second").asDouble()).isPositive();
        assertThat(v0.get("model_info").get("arch").asText()).isNotBlank();
    }

    @Test
    void setModelsAtRuntime() throws Exception {
        try (SimulatedBackend s = SimulatedBackend.builder(SimFlavor.OPENAI).modelNames("a").build().start()) {
            assertThat(post(s, "/v1/chat/completions", "{\"model\":\"b\",\"messages\":[]}").statusCode()).isEqualTo(404);
            s.setModels(List.of(SimModel.of("b")));
            assertThat(post(s, "/v1/chat/completions", "{\"model\":\"b\",\"messages\":[]}").statusCode()).isEqualTo(200);
            assertThat(json(get(s, "/v1/models").body()).get("data").get(0).get("id").asText()).isEqualTo("b");
        }
    }

    @Test
    void malformedJsonIs400() throws Exception {
        HttpResponse<String> r = post(SIMS.get(SimFlavor.OPENAI), "/v1/chat/completions", "{\"model\":");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("error").get("type").asText()).isEqualTo("invalid_request_error");
    }
}
