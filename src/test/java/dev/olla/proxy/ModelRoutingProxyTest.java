package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Model-aware routing through the proxy, end to end: candidates, strategies, aliases, listings. */
class ModelRoutingProxyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    SimulatedBackend a;
    SimulatedBackend b;
    SimulatedBackend c;
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        for (SimulatedBackend s : new SimulatedBackend[] {a, b, c}) {
            if (s != null) {
                s.close();
            }
        }
    }

    static SimulatedBackend sim(SimFlavor f, String... models) {
        return SimulatedBackend.builder(f).host("127.0.0.1").port(0).modelNames(models).tokens(2)
                .interTokenDelay(Duration.ZERO).build().start();
    }

    TestOlla.Builder three() {
        a = sim(SimFlavor.OLLAMA, "llama3.2:3b", "phi4:14b");
        b = sim(SimFlavor.OLLAMA, "llama3.2:3b");
        c = sim(SimFlavor.VLLM, "meta-llama/Llama-3.1-8B");
        return TestOlla.builder().balancer("round-robin")
                .endpoint("a", a.baseUrl(), "ollama")
                .endpoint("b", b.baseUrl(), "ollama")
                .endpoint("c", c.baseUrl(), "vllm");
    }

    static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void aModelOnOnlyOneEndpointAlwaysGoesThere() throws Exception {
        olla = three().start();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = olla.post("/olla/ollama/api/chat", chat("phi4:14b"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("a");
            assertThat(r.headers().firstValue("X-Olla-Routing-Strategy")).hasValue("strict");
            assertThat(r.headers().firstValue("X-Olla-Routing-Decision")).hasValue("routed");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = olla.post("/olla/proxy/v1/chat/completions", chat("llama3.2:3b"));
            assertThat(r.statusCode()).isEqualTo(200);
            seen.add(r.headers().firstValue("X-Olla-Endpoint").orElseThrow());
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void perModelStatisticsCountRequestsOutcomesAndRouting() throws Exception {
        olla = three().start();
        for (int i = 0; i < 5; i++) {
            assertThat(olla.post("/olla/ollama/api/chat", chat("phi4:14b")).statusCode()).isEqualTo(200);
        }
        assertThat(olla.post("/olla/ollama/api/chat", chat("no-such-model")).statusCode()).isEqualTo(404);
        JsonNode body = JSON.readTree(olla.get("/internal/stats/models?include_endpoints=true").body());
        JsonNode phi = null;
        JsonNode missing = null;
        for (JsonNode m : body.path("models")) {
            if (m.path("name").asText().equals("phi4:14b")) {
                phi = m;
            } else if (m.path("name").asText().equals("unknown")) {
                missing = m;
            }
        }
        assertThat(phi).isNotNull();
        assertThat(phi.path("total_requests").asLong()).isEqualTo(5);
        assertThat(phi.path("successful_requests").asLong()).isEqualTo(5);
        assertThat(phi.path("routing_hits").asLong()).isEqualTo(5);
        assertThat(phi.path("unique_clients").asInt()).isEqualTo(1);
        assertThat(phi.path("total_traffic").asLong()).isPositive();
        assertThat(phi.path("endpoint_breakdown").path("a").path("requests").asLong()).isEqualTo(5);
        assertThat(missing.path("failed_requests").asLong()).isEqualTo(1);
        assertThat(missing.path("routing_misses").asLong()).isEqualTo(1);
        assertThat(body.path("summary").path("most_popular_model").asText()).isEqualTo("phi4:14b");
    }

    @Test
    void namesNoEndpointServesShareOneUnknownRowAndCannotCrowdOutRealModels() throws Exception {
        olla = three().set("model_aliases", "fast", List.of("phi4:14b")).start();
        assertThat(olla.post("/olla/ollama/api/chat", chat("phi4:14b")).statusCode()).isEqualTo(200);
        for (int i = 0; i < 40; i++) {
            assertThat(olla.post("/olla/ollama/api/chat", chat("random-" + i)).statusCode()).isEqualTo(404);
        }
        assertThat(olla.post("/olla/ollama/api/chat", chat("FAST")).statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(olla.get("/internal/stats/models").body());
        Map<String, Long> rows = new java.util.TreeMap<>();
        for (JsonNode m : body.path("models")) {
            rows.put(m.path("name").asText(), m.path("total_requests").asLong());
        }
        assertThat(rows).containsExactly(Map.entry("fast", 1L), Map.entry("phi4:14b", 1L), Map.entry("unknown", 40L));
        assertThat(body.path("summary").path("total_models").asInt()).isEqualTo(3);
        assertThat(body.path("summary").path("untracked_requests").asLong()).isZero();
    }

    @Test
    void unknownModelUnderStrictIs404WithRoutingHeaders() throws Exception {
        olla = three().start();
        HttpResponse<String> r = olla.post("/olla/openai/v1/chat/completions", chat("no-such-model"));
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode err = JSON.readTree(r.body()).path("error");
        assertThat(err.path("message").asText()).contains("no-such-model").contains("/olla/models");
        assertThat(err.path("code").asText()).isEqualTo("model_not_found");
        assertThat(r.headers().firstValue("X-Olla-Routing-Decision")).hasValue("rejected");
        assertThat(r.headers().firstValue("X-Olla-Routing-Strategy")).hasValue("strict");
        assertThat(r.headers().firstValue("X-Olla-Routing-Reason")).isPresent();
        assertThat(a.stats().requests("/v1/chat/completions") + b.stats().requests("/v1/chat/completions")
                + c.stats().requests("/v1/chat/completions")).isZero();
    }

    @Test
    void aliasRoutesToEveryEndpointServingATargetAndRewritesOnlyTheModelField() throws Exception {
        olla = three().set("model_aliases", "fast", List.of("phi4:14b", "meta-llama/Llama-3.1-8B")).start();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}], \"model\" : \"fast\",\"stream\":false}";
            HttpResponse<String> r = olla.post("/olla/proxy/v1/chat/completions", body);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            String ep = r.headers().firstValue("X-Olla-Endpoint").orElseThrow();
            seen.add(ep);
            assertThat(r.headers().firstValue("X-Olla-Routing-Strategy")).hasValue("alias");
            SimulatedBackend target = ep.equals("a") ? a : c;
            String real = ep.equals("a") ? "phi4:14b" : "meta-llama/Llama-3.1-8B";
            assertThat(target.stats().lastRequest("/v1/chat/completions").body()).isEqualTo(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}], \"model\" : \"" + real + "\",\"stream\":false}");
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "c");
    }

    @Test
    void optimisticFallsBackToAllCandidatesWhenAsked() throws Exception {
        olla = three().set("model_registry", "routing_strategy",
                Map.of("type", "optimistic", "options", Map.of("fallback_behavior", "all"))).start();
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", chat("not-known-anywhere"));
        assertThat(r.headers().firstValue("X-Olla-Routing-Decision")).hasValue("fallback");
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).isPresent();
    }

    @Test
    void discoveryStrategyFindsAModelAddedAtRuntime() throws Exception {
        olla = three().set("model_registry", "routing_strategy",
                Map.of("type", "discovery", "options", Map.of("discovery_refresh_on_miss", true,
                        "discovery_timeout", "2s"))).start();
        b.setModels(List.of(SimModel.of("llama3.2:3b"), SimModel.of("gemma3:4b")));
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", chat("gemma3:4b"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("b");
        assertThat(r.headers().firstValue("X-Olla-Routing-Strategy")).hasValue("discovery");
    }

    @Test
    void mixedCaseModelNamesRouteWithTheUnifierOff() throws Exception {
        olla = three().set("model_registry", "enable_unifier", false).start();
        HttpResponse<String> r = olla.post("/olla/vllm/v1/chat/completions", chat("meta-llama/Llama-3.1-8B"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("c");
    }

    @Test
    void listingsAreAnsweredByOllaInEachFormat() throws Exception {
        olla = three().start();
        JsonNode unified = JSON.readTree(olla.get("/olla/models").body());
        assertThat(unified.path("object").asText()).isEqualTo("list");
        JsonNode llama = null;
        for (JsonNode m : unified.path("data")) {
            if (m.path("id").asText().equals("llama3.2:3b")) {
                llama = m;
            }
        }
        assertThat(llama).isNotNull();
        Set<String> where = new HashSet<>();
        llama.path("olla").path("availability").forEach(x -> where.add(x.path("endpoint").asText()));
        assertThat(where).containsExactlyInAnyOrder("a", "b");

        JsonNode tags = JSON.readTree(olla.get("/olla/ollama/api/tags").body());
        assertThat(tags.path("models").isArray()).isTrue();
        for (JsonNode m : tags.path("models")) {
            assertThat(m.has("name") && m.has("model") && m.has("modified_at") && m.has("size") && m.has("digest")
                    && m.has("details")).isTrue();
        }
        JsonNode openai = JSON.readTree(olla.get("/olla/openai/v1/models").body());
        assertThat(openai.path("object").asText()).isEqualTo("list");
        Set<String> ids = new HashSet<>();
        for (JsonNode m : openai.path("data")) {
            assertThat(m.path("object").asText()).isEqualTo("model");
            assertThat(m.has("created") && m.has("owned_by")).isTrue();
            ids.add(m.path("id").asText());
        }
        assertThat(ids).contains("llama3.2:3b", "phi4:14b", "meta-llama/Llama-3.1-8B");
        HttpResponse<String> pull = olla.post("/olla/ollama/api/pull", "{\"model\":\"x\"}");
        assertThat(pull.statusCode()).isEqualTo(501);
    }
}
