package dev.olla.sim;

import static dev.olla.sim.SimTestSupport.get;
import static dev.olla.sim.SimTestSupport.json;
import static dev.olla.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Versions, the Anthropic Messages API of the servers that have one, tool calls and base64 embeddings. */
class SimMessagesAndToolsTest {
    final List<SimulatedBackend> sims = new ArrayList<>();

    @AfterEach
    void stop() {
        sims.forEach(SimulatedBackend::close);
    }

    SimulatedBackend sim(SimFlavor f, String version, String... models) {
        SimulatedBackend s = SimulatedBackend.builder(f).modelNames(models).tokens(3).version(version).build().start();
        sims.add(s);
        return s;
    }

    static final String MESSAGE = "{\"model\":\"%s\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    @Test
    void ollamaHasTheMessagesApiFrom0_14() throws Exception {
        SimulatedBackend old = sim(SimFlavor.OLLAMA, null, "llama3.2:3b");
        assertThat(json(get(old, "/api/version").body()).path("version").asText()).isEqualTo("0.12.6");
        HttpResponse<String> missing = post(old, "/v1/messages", MESSAGE.formatted("llama3.2:3b"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("404 page not found");

        SimulatedBackend recent = sim(SimFlavor.OLLAMA, "0.14.0", "llama3.2:3b");
        assertThat(json(get(recent, "/api/version").body()).path("version").asText()).isEqualTo("0.14.0");
        JsonNode m = json(post(recent, "/v1/messages", MESSAGE.formatted("llama3.2:3b")).body());
        assertThat(m.path("type").asText()).isEqualTo("message");
        assertThat(m.path("content").get(0).path("text").asText()).isEqualTo(SimulatedBackend.expectedText(3));
        assertThat(m.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(post(recent, "/v1/messages/count_tokens", MESSAGE.formatted("llama3.2:3b")).statusCode()).isEqualTo(404);
        HttpResponse<String> unknown = post(recent, "/v1/messages", MESSAGE.formatted("nope"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown.body()).path("error").path("type").asText()).isEqualTo("not_found_error");
    }

    @Test
    void vllmHasItFrom0_11_1AndLlamaCppCountsTokens() throws Exception {
        assertThat(post(sim(SimFlavor.VLLM, null, "m"), "/v1/messages", MESSAGE.formatted("m")).statusCode()).isEqualTo(404);
        assertThat(post(sim(SimFlavor.VLLM, "0.11.1", "m"), "/v1/messages", MESSAGE.formatted("m")).statusCode()).isEqualTo(200);
        SimulatedBackend llama = sim(SimFlavor.LLAMACPP, null, "tiny-llama");
        String stream = post(llama, "/v1/messages", MESSAGE.formatted("tiny-llama").replace("{\"model\"", "{\"stream\":true,\"model\"")).body();
        assertThat(stream).startsWith("event: message_start\ndata: ").contains("event: content_block_delta")
                .contains("\"text_delta\"").endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        int counted = json(post(llama, "/v1/messages/count_tokens",
                "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}").body()).path("input_tokens").asInt();
        assertThat(counted).isEqualTo(SimMessages.TEMPLATE_TOKENS + 1); // as the capture: 23 for "Hello"
        assertThat(json(post(llama, "/tokenize", "{\"content\":\"Hello world, the proxy test\"}").body()).path("tokens").size())
                .isPositive();
        assertThat(json(post(llama, "/apply-template", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}").body())
                .path("prompt").asText()).isEqualTo("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");
    }

    static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"}}}}}]";

    @Test
    void offeredToolsAreCalledUntilAToolResultComesBack() throws Exception {
        SimulatedBackend vllm = sim(SimFlavor.VLLM, null, "m");
        JsonNode call = json(post(vllm, "/v1/chat/completions",
                "{\"model\":\"m\"," + TOOLS + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}").body());
        JsonNode choice = call.path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode fn = choice.path("message").path("tool_calls").get(0).path("function");
        assertThat(fn.path("name").asText()).isEqualTo("get_weather");
        assertThat(json(fn.path("arguments").asText())).isEqualTo(json("{\"city\":\"sim\",\"days\":1}"));
        String streamed = post(vllm, "/v1/chat/completions", "{\"model\":\"m\",\"stream\":true," + TOOLS
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}").body();
        assertThat(streamed).contains("\"tool_calls\"").contains("\"finish_reason\":\"tool_calls\"").endsWith("data: [DONE]\n\n");
        JsonNode answer = json(post(vllm, "/v1/chat/completions", "{\"model\":\"m\"," + TOOLS + ",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"21\"}]}").body());
        assertThat(answer.path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(SimulatedBackend.expectedText(3));
    }

    @Test
    void embeddingsInBase64AreLittleEndianFloats() throws Exception {
        SimulatedBackend openai = sim(SimFlavor.OPENAI, null, "text-embedding-3-small");
        JsonNode floats = json(post(openai, "/v1/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}").body());
        JsonNode b64 = json(post(openai, "/v1/embeddings",
                "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\",\"encoding_format\":\"base64\"}").body());
        byte[] raw = java.util.Base64.getDecoder().decode(b64.path("data").get(0).path("embedding").asText());
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        JsonNode v = floats.path("data").get(0).path("embedding");
        assertThat(raw.length).isEqualTo(4 * v.size());
        for (int i = 0; i < v.size(); i++) {
            assertThat((double) bb.getFloat()).isCloseTo(v.get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-6));
        }
    }
}
