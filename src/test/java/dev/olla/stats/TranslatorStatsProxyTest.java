package dev.olla.stats;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** /internal/stats/translators after Anthropic traffic: translated, passed through, streamed, failed. */
class TranslatorStatsProxyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    SimulatedBackend openai;
    SimulatedBackend llama;
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        if (openai != null) {
            openai.close();
        }
        if (llama != null) {
            llama.close();
        }
    }

    static String request(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }

    @Test
    void countsEachWayARequestWent() throws Exception {
        openai = SimulatedBackend.builder(SimFlavor.OPENAI).host("127.0.0.1").port(0).modelNames("gpt-oss-20b")
                .tokens(3).interTokenDelay(Duration.ZERO).build().start();
        llama = SimulatedBackend.builder(SimFlavor.LLAMACPP).host("127.0.0.1").port(0).modelNames("tiny")
                .tokens(3).interTokenDelay(Duration.ZERO).build().start();
        olla = TestOlla.builder().endpoint("oa", openai.baseUrl(), "openai-compatible")
                .endpoint("lc", llama.baseUrl(), "llamacpp").start().awaitModel("gpt-oss-20b").awaitModel("tiny");
        // translated: no endpoint with gpt-oss-20b speaks Anthropic
        assertThat(olla.post("/olla/anthropic/v1/messages", request("gpt-oss-20b", false)).statusCode()).isEqualTo(200);
        assertThat(olla.post("/olla/anthropic/v1/messages", request("gpt-oss-20b", true)).statusCode()).isEqualTo(200);
        // llama.cpp speaks it: passed through (or translated when it answers that it lacks the path)
        HttpResponse<String> native_ = olla.post("/olla/anthropic/v1/messages", request("tiny", false));
        boolean passed = native_.headers().firstValue("X-Olla-Mode").orElse("").equals("passthrough");
        // a model nobody has: an error, counted as failed
        assertThat(olla.post("/olla/anthropic/v1/messages", request("nobody-has-this", false)).statusCode())
                .isGreaterThanOrEqualTo(400);

        JsonNode body = JSON.readTree(olla.get("/internal/stats/translators").body());
        JsonNode t = body.path("translators").get(0);
        assertThat(t.path("translator_name").asText()).isEqualTo("anthropic");
        assertThat(t.path("total_requests").asLong()).isEqualTo(4);
        assertThat(t.path("streaming_requests").asLong()).isEqualTo(1);
        assertThat(t.path("non_streaming_requests").asLong()).isEqualTo(3);
        assertThat(t.path("failed_requests").asLong()).isEqualTo(native_.statusCode() < 400 ? 1 : 2);
        assertThat(t.path("passthrough_requests").asLong()).isEqualTo(passed ? 1 : 0);
        assertThat(t.path("translation_requests").asLong()).isEqualTo(passed ? 3 : 4);
        assertThat(t.path("fallback_no_compatible_endpoints").asLong()).isEqualTo(3);
        assertThat(t.path("fallback_cannot_passthrough").asLong()).isEqualTo(passed ? 0 : 1);
        assertThat(t.path("average_latency").asDouble()).isPositive();
        assertThat(body.path("summary").path("total_requests").asLong()).isEqualTo(4);
        assertThat(body.path("summary").path("active_translators").asInt()).isEqualTo(1);
    }
}
