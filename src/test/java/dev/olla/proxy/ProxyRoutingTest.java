package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Provider prefixes, path rules, headers and Olla's own error texts, over real sockets. */
class ProxyRoutingTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static SimulatedBackend ollama;
    static SimulatedBackend vllm;
    static SimulatedBackend lmstudio;
    static SimulatedBackend llamacpp;
    static SimulatedBackend based;
    static SimulatedBackend preserved;
    static TestOlla olla;

    @BeforeAll
    static void start() throws Exception {
        ollama = sim(SimFlavor.OLLAMA, "llama3.2:3b");
        vllm = sim(SimFlavor.VLLM, "meta-llama/Llama-3.1-8B");
        lmstudio = sim(SimFlavor.LMSTUDIO, "qwen3-4b");
        llamacpp = sim(SimFlavor.LLAMACPP, "tiny-llama");
        based = sim(SimFlavor.OPENAI, "gpt-oss");
        preserved = sim(SimFlavor.OPENAI, "gpt-oss-p");
        olla = TestOlla.builder()
                .endpoint("ollama-1", ollama.baseUrl(), "ollama")
                .endpoint("vllm-1", vllm.baseUrl(), "vllm")
                .endpoint("lms-1", lmstudio.baseUrl(), "lm-studio")
                .endpoint("llama-1", llamacpp.baseUrl(), "llamacpp")
                .endpoint("based", based.baseUrl() + "/api/v2", "openai-compatible", "health_check_url", based.baseUrl() + "/health")
                .endpoint("preserved", preserved.baseUrl() + "/base", "openai-compatible", "preserve_path", true,
                        "health_check_url", preserved.baseUrl() + "/health")
                .start();
    }

    static SimulatedBackend sim(SimFlavor f, String model) {
        return SimulatedBackend.builder(f).host("127.0.0.1").port(0).modelNames(model).tokens(3)
                .interTokenDelay(Duration.ZERO).build().start();
    }

    @AfterAll
    static void stop() {
        if (olla != null) {
            olla.close();
        }
        for (SimulatedBackend s : List.of(ollama, vllm, lmstudio, llamacpp, based, preserved)) {
            s.close();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "/olla/ollama/api/chat, ollama-1, ollama",
        "/olla/vllm/v1/chat/completions, vllm-1, vllm",
        "/olla/lmstudio/v1/chat/completions, lms-1, lm-studio",
        "/olla/lm-studio/v1/chat/completions, lms-1, lm-studio",
        "/olla/lm_studio/v1/chat/completions, lms-1, lm-studio",
        "/olla/llamacpp/v1/chat/completions, llama-1, llamacpp",
    })
    void eachPrefixReachesItsOwnType(String path, String endpoint, String type) throws Exception {
        String model = switch (endpoint) {
            case "ollama-1" -> "llama3.2:3b";
            case "vllm-1" -> "meta-llama/Llama-3.1-8B";
            case "lms-1" -> "qwen3-4b";
            default -> "tiny-llama";
        };
        HttpResponse<String> r = olla.post(path,
                "{\"model\":\"" + model + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue(endpoint);
        assertThat(r.headers().firstValue("X-Olla-Backend-Type")).hasValue(type);
        assertThat(r.headers().firstValue("X-Olla-Model")).hasValue(model.toLowerCase());
        assertThat(r.headers().firstValue("X-Olla-Request-ID")).isPresent();
        assertThat(r.headers().firstValue("X-Olla-Response-Time").orElseThrow()).matches("\\d+ms");
    }

    @Test
    void openAiPrefixReachesEveryOpenAiCompatibleType() throws Exception {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 60; i++) {
            // a request without a model is not model-routed: any OpenAI-compatible endpoint may serve it
            HttpResponse<String> r = olla.get("/olla/openai/v1/no-model-here");
            seen.add(r.headers().firstValue("X-Olla-Endpoint").orElseThrow());
        }
        assertThat(seen).contains("ollama-1", "vllm-1", "lms-1", "llama-1");
    }

    @Test
    void prefixIsStrippedAndQueryPassesThrough() throws Exception {
        HttpResponse<String> r = olla.get("/olla/ollama/api/version?x=1&y=a%20b");
        assertThat(r.statusCode()).isEqualTo(200);
        // by path: health probes and capacity polls (/api/ps) reach the backend too
        assertThat(ollama.stats().lastRequest("/api/version").uri()).isEqualTo("/api/version?x=1&y=a%20b");
    }

    @Test
    void basePathIsDroppedWithoutPreservePath() throws Exception {
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> r = olla.get("/olla/openai-compatible/health?i=" + i);
            if ("based".equals(r.headers().firstValue("X-Olla-Endpoint").orElseThrow())) {
                assertThat(r.statusCode()).isEqualTo(200);
                // the endpoint URL's /api/v2 base path is replaced by the request path
                assertThat(based.stats().lastRequest().uri()).isEqualTo("/health?i=" + i);
                return;
            }
        }
        throw new AssertionError("endpoint 'based' never chosen");
    }

    @Test
    void basePathIsKeptWithPreservePath() throws Exception {
        for (int i = 0; i < 40 && preserved.stats().requests("/base/health") == 0; i++) {
            olla.get("/olla/openai-compatible/health");
        }
        assertThat(preserved.stats().requests("/base/health")).isGreaterThan(0);
    }

    @Test
    void forwardedHeadersAddedAndCredentialsAndHopByHopDropped() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(olla.uri("/olla/ollama/api/version"))
                .header("Authorization", "Bearer client-secret")
                .header("Cookie", "a=b")
                .header("X-Api-Key", "k")
                .header("X-Custom", "kept")
                .header("X-Request-ID", "my-request-42")
                .GET().build();
        HttpResponse<String> r = TestOlla.client().send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Request-ID")).hasValue("my-request-42");
        var seen = ollama.stats().lastRequest("/api/version");
        assertThat(seen.header("Authorization")).isNull();
        assertThat(seen.header("Cookie")).isNull();
        assertThat(seen.header("X-Api-Key")).isNull();
        assertThat(seen.header("X-Custom")).isEqualTo("kept");
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + olla.port());
        assertThat(seen.header("Via")).startsWith("1.1 olla/");
        assertThat(seen.header("Host")).isEqualTo(ollama.baseUrl().substring("http://".length()));
        r.headers().map().keySet().forEach(h -> assertThat(h.toLowerCase()).isNotIn("keep-alive", "transfer-encoding"));
    }

    @Test
    void bodyIsForwardedByteForByte() throws Exception {
        String body = "{ \"stream\" : false,\n \"messages\":[{\"role\":\"user\",\"content\":\"\\u00e9 \\\"q\\\"\"}],"
                + " \"model\" : \"llama3.2:3b\" , \"options\":{\"model\":\"nested\"}}";
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", body);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(ollama.stats().lastRequest("/api/chat").body()).isEqualTo(body);
        assertThat(r.headers().firstValue("X-Olla-Model")).hasValue("llama3.2:3b");
    }

    @Test
    void unknownPrefixIs404WithJsonError() throws Exception {
        HttpResponse<String> r = olla.get("/olla/nosuch/v1/models");
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode err = JSON.readTree(r.body()).path("error");
        assertThat(err.path("message").asText()).contains("Unknown provider prefix");
        assertThat(err.path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void providerWithoutEndpointsOfItsTypeIs404() throws Exception {
        HttpResponse<String> r = olla.post("/olla/sglang/v1/chat/completions", "{\"model\":\"x\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(r.body()).path("error").path("message").asText())
                .isEqualTo("No sglang endpoints available");
    }

    @Test
    void backendErrorsPassThroughUntouched() throws Exception {
        HttpResponse<String> r = olla.get("/olla/ollama/api/no-such-route");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("404 page not found");
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("ollama-1");
    }

    @Test
    void unknownOllaRouteIs404AndWrongMethodIs405() throws Exception {
        assertThat(olla.get("/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/version"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.body()).contains("\"error\"");
    }
}
