package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.olla.sim.SimTestSupport.HTTP;
import static dev.olla.sim.SimTestSupport.get;
import static dev.olla.sim.SimTestSupport.json;
import static dev.olla.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

class OllamaSimTest {
    static SimulatedBackend sim;

    @BeforeAll
    static void start() {
        sim = SimulatedBackend.builder(SimFlavor.OLLAMA)
                .models(List.of(SimModel.of("llama3.2:3b"), SimModel.of("qwen2.5:7b").withLoaded(false),
                        SimModel.embedding("nomic-embed-text:latest")))
                .tokens(5)
                .build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void rootSaysRunning() throws Exception {
        HttpResponse<String> r = get(sim, "/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("Ollama is running");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void tagsListModelsWithDetails() throws Exception {
        HttpResponse<String> r = get(sim, "/api/tags");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode models = json(r.body()).get("models");
        assertThat(models).hasSize(3);
        JsonNode m = models.get(0);
        assertThat(m.get("name").asText()).isEqualTo("llama3.2:3b");
        assertThat(m.get("model").asText()).isEqualTo("llama3.2:3b");
        assertThat(m.get("modified_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*");
        assertThat(m.get("size").asLong()).isPositive();
        assertThat(m.get("digest").asText()).matches("[0-9a-f]{64}");
        JsonNode d = m.get("details");
        assertThat(d.get("parent_model").asText()).isEmpty();
        assertThat(d.get("format").asText()).isEqualTo("gguf");
        assertThat(d.get("family").asText()).isEqualTo("llama");
        assertThat(d.get("families").get(0).asText()).isEqualTo("llama");
        assertThat(d.get("parameter_size").asText()).isEqualTo("3.0B");
        assertThat(d.get("quantization_level").asText()).isEqualTo("Q4_K_M");
    }

    @Test
    void psListsLoadedModelsOnly() throws Exception {
        JsonNode models = json(get(sim, "/api/ps").body()).get("models");
        assertThat(models).extracting(n -> n.get("name").asText()).containsExactly("llama3.2:3b", "nomic-embed-text:latest");
        assertThat(models.get(0).get("expires_at").asText()).isNotBlank();
        assertThat(models.get(0).get("size_vram").asLong()).isPositive();
    }

    @Test
    void version() throws Exception {
        assertThat(json(get(sim, "/api/version").body()).get("version").asText()).isEqualTo("0.12.6");
    }

    @Test
    void chatStreamsNdjsonByDefault() throws Exception {
        HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(sim.uri("/api/chat"))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        assertThat(r.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
        List<String> lines = r.body().toList();
        assertThat(lines).hasSize(6);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            JsonNode l = json(lines.get(i));
            assertThat(l.get("model").asText()).isEqualTo("llama3.2:3b");
            assertThat(l.get("created_at").asText()).endsWith("Z");
            assertThat(l.get("message").get("role").asText()).isEqualTo("assistant");
            assertThat(l.get("done").asBoolean()).isFalse();
            text.append(l.get("message").get("content").asText());
        }
        assertThat(text.toString()).isEqualTo(SimulatedBackend.expectedText(5)).isEqualTo("tok0 tok1 tok2 tok3 tok4 ");
        JsonNode last = json(lines.get(5));
        assertThat(last.get("done").asBoolean()).isTrue();
        assertThat(last.get("done_reason").asText()).isEqualTo("stop");
        assertThat(last.get("message").get("content").asText()).isEmpty();
        for (String f : List.of("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_duration")) {
            assertThat(last.get(f).asLong()).as(f).isPositive();
        }
        assertThat(last.get("eval_count").asInt()).isEqualTo(5);
    }

    @Test
    void chatWithoutStreamingAnswersOneObject() throws Exception {
        HttpResponse<String> r = post(sim, "/api/chat",
                "{\"model\":\"llama3.2:3b\",\"stream\":false,\"options\":{\"num_predict\":3},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(r.headers().firstValue("Content-Length")).isPresent();
        JsonNode j = json(r.body());
        assertThat(j.get("model").asText()).isEqualTo("llama3.2:3b");
        assertThat(j.get("message").get("content").asText()).isEqualTo("tok0 tok1 tok2 ");
        assertThat(j.get("done_reason").asText()).isEqualTo("length");
        assertThat(j.get("eval_count").asInt()).isEqualTo(3);
    }

    @Test
    void generateUsesResponseField() throws Exception {
        HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(sim.uri("/api/generate"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2:3b\",\"prompt\":\"Why?\"}")).build(),
                HttpResponse.BodyHandlers.ofLines());
        List<String> lines = r.body().toList();
        assertThat(lines).hasSize(6);
        assertThat(json(lines.get(0)).get("response").asText()).isEqualTo("tok0 ");
        JsonNode last = json(lines.get(5));
        assertThat(last.get("done").asBoolean()).isTrue();
        assertThat(last.get("context").isArray()).isTrue();

        JsonNode full = json(post(sim, "/api/generate", "{\"model\":\"llama3.2:3b\",\"prompt\":\"Why?\",\"stream\":false}").body());
        assertThat(full.get("response").asText()).isEqualTo(SimulatedBackend.expectedText(5));
    }

    @Test
    void emptyPromptLoadsTheModel() throws Exception {
        JsonNode j = json(post(sim, "/api/generate", "{\"model\":\"llama3.2:3b\"}").body());
        assertThat(j.get("done_reason").asText()).isEqualTo("load");
    }

    @Test
    void embedAndLegacyEmbeddings() throws Exception {
        JsonNode e = json(post(sim, "/api/embed", "{\"model\":\"nomic-embed-text\",\"input\":[\"a\",\"b\"]}").body());
        assertThat(e.get("model").asText()).isEqualTo("nomic-embed-text");
        assertThat(e.get("embeddings")).hasSize(2);
        assertThat(e.get("embeddings").get(0)).hasSize(Wire.EMBEDDING_DIM);
        assertThat(e.get("prompt_eval_count").asInt()).isPositive();
        JsonNode legacy = json(post(sim, "/api/embeddings", "{\"model\":\"nomic-embed-text:latest\",\"prompt\":\"a\"}").body());
        assertThat(legacy.get("embedding")).hasSize(Wire.EMBEDDING_DIM);
        assertThat(legacy.get("embedding").get(0).asDouble()).isEqualTo(e.get("embeddings").get(0).get(0).asDouble());
    }

    @Test
    void unknownModelIs404InOllamaStyle() throws Exception {
        HttpResponse<String> r = post(sim, "/api/chat", "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"model \\\"x\\\" not found, try pulling it first\"}");
        HttpResponse<String> v1 = post(sim, "/v1/chat/completions", "{\"model\":\"x\",\"messages\":[]}");
        assertThat(v1.statusCode()).isEqualTo(404);
        assertThat(json(v1.body()).get("error").get("message").asText()).contains("not found");
    }

    @Test
    void chatOnAnEmbeddingModelIsRefused() throws Exception {
        HttpResponse<String> r = post(sim, "/api/chat", "{\"model\":\"nomic-embed-text\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("error").asText()).contains("does not support chat");
    }

    @Test
    void unknownPathIsGin404() throws Exception {
        HttpResponse<String> r = get(sim, "/api/nope");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("404 page not found");
    }

    @Test
    void openAiCompatibleRoutes() throws Exception {
        JsonNode models = json(get(sim, "/v1/models").body());
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("owned_by").asText()).isEqualTo("library");

        JsonNode c = json(post(sim, "/v1/chat/completions",
                "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").body());
        assertThat(c.get("object").asText()).isEqualTo("chat.completion");
        assertThat(c.get("system_fingerprint").asText()).isEqualTo("fp_ollama");
        assertThat(c.get("choices").get(0).get("message").get("content").asText()).isEqualTo(SimulatedBackend.expectedText(5));
        assertThat(c.get("usage").get("completion_tokens").asInt()).isEqualTo(5);

        HttpResponse<Stream<String>> s = HTTP.send(HttpRequest.newBuilder(sim.uri("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"llama3.2:3b\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(s.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        List<String> events = new ArrayList<>(s.body().filter(l -> !l.isEmpty()).toList());
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        assertThat(json(events.get(0).substring(6)).get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
    }

    @Test
    void streamingTokensAreSpreadOverTime() throws Exception {
        try (SimulatedBackend slow = SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(4)
                .interTokenDelay(Duration.ofMillis(60)).build().start()) {
            long t0 = System.nanoTime();
            HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(slow.uri("/api/generate"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2:3b\",\"prompt\":\"x\"}")).build(),
                    HttpResponse.BodyHandlers.ofLines());
            List<Long> at = new ArrayList<>();
            r.body().forEach(l -> at.add((System.nanoTime() - t0) / 1_000_000));
            assertThat(at).hasSize(5);
            assertThat(at.get(0)).isGreaterThanOrEqualTo(50);
            // tokens 1..3 are two inter-token delays apart on the stream's grid (120 ms); token 0 is left out:
            // a cold client under load can read it together with token 1
            assertThat(at.get(3) - at.get(1)).isGreaterThanOrEqualTo(90);
        }
    }
}
