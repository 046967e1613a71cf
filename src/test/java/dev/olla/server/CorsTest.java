package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** server.cors: preflights answered before routing, headers on proxied and own responses. */
class CorsTest {
    @Test
    void corsOnAnswersPreflightsAndDecoratesResponsesForAllowedOrigins() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.LLAMACPP).host("127.0.0.1").port(0)
                        .modelNames("tiny").tokens(1).interTokenDelay(Duration.ZERO).build().start();
                TestOlla olla = TestOlla.builder().endpoint("one", sim.baseUrl(), "llamacpp")
                        .set("server", "cors", Map.of("enabled", true, "allowed_origins", List.of("http://app.local"),
                                "max_age", 600))
                        .start()) {
            HttpResponse<String> pre = TestOlla.client().send(HttpRequest.newBuilder(
                            olla.uri("/olla/llamacpp/v1/chat/completions"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "http://app.local")
                    .header("Access-Control-Request-Method", "POST")
                    .header("Access-Control-Request-Headers", "content-type, authorization").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(pre.statusCode()).isEqualTo(204);
            assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://app.local");
            assertThat(pre.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, POST, OPTIONS");
            assertThat(pre.headers().firstValue("Access-Control-Allow-Headers")).hasValue("content-type, authorization");
            assertThat(pre.headers().firstValue("Access-Control-Max-Age")).hasValue("600");
            assertThat(sim.stats().requests("/v1/chat/completions")).as("preflight never reaches a backend").isZero();

            HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(
                            olla.uri("/olla/llamacpp/v1/chat/completions"))
                    .header("Origin", "http://app.local").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            // the backend's own (empty) Access-Control-Allow-Origin is replaced by Olla's
            assertThat(r.headers().allValues("Access-Control-Allow-Origin")).containsExactly("http://app.local");
            assertThat(r.headers().firstValue("Access-Control-Expose-Headers").orElseThrow()).contains("X-Olla-Endpoint");

            HttpResponse<String> other = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/version"))
                    .header("Origin", "http://evil.local").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(other.statusCode()).isEqualTo(200);
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }
}
