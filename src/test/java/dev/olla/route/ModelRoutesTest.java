package dev.olla.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.balance.Balancers;
import dev.olla.config.ConfigLoader;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.health.HealthMonitor;
import dev.olla.model.ModelDiscovery;
import dev.olla.model.ModelRegistry;
import dev.olla.model.ModelRouter;
import dev.olla.model.ModelTestKit;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.Engine;
import dev.olla.proxy.ProxyService;
import dev.olla.server.Json;
import dev.olla.server.OllaServer;
import dev.olla.server.Router;
import dev.olla.server.ServerSettings;
import dev.olla.server.Transport;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The model listings over a real socket, in each format's real schema, plus routing through the proxy. */
class ModelRoutesTest {
    private static SimulatedBackend simA;
    private static SimulatedBackend simB;
    private static SimulatedBackend simC;
    private static SimulatedBackend simD;
    private static SimulatedBackend simE;
    private static EventLoopGroup boss;
    private static EventLoopGroup workers;
    private static OllaServer server;
    private static HealthMonitor health;
    private static ModelDiscovery discovery;
    private static ProxyService proxy;
    private static HttpClient client;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        simA = ModelTestKit.sim(SimFlavor.OLLAMA, SimModel.of("llama3.2:3b"), SimModel.of("phi4:14b").withLoaded(false));
        simB = ModelTestKit.sim(SimFlavor.OLLAMA, SimModel.of("llama3.2:3b"));
        simC = ModelTestKit.sim(SimFlavor.VLLM, SimModel.of("meta-llama/Llama-3.1-8B").withContextLength(131072));
        simD = ModelTestKit.sim(SimFlavor.LMSTUDIO, SimModel.of("qwen2.5-7b-instruct"),
                SimModel.of("llama-3.2-3b-instruct").withLoaded(false), SimModel.embedding("text-embedding-nomic"));
        simE = ModelTestKit.sim(SimFlavor.OLLAMA, SimModel.of("offline-only:1b"));
        EndpointState a = ModelTestKit.over("ollama-a", simA);
        EndpointState b = ModelTestKit.over("ollama-b", simB);
        EndpointState c = ModelTestKit.over("vllm-c", simC);
        EndpointState d = ModelTestKit.over("lms-d", simD);
        EndpointState e = ModelTestKit.over("ollama-e", simE);
        EndpointRegistry endpoints = ModelTestKit.registry(a, b, c, d, e);
        ProfileRegistry profiles = endpoints.profiles();

        OllaConfig config = ConfigLoader.defaults();
        config = new OllaConfig(config.server(), config.proxy(), config.discovery(), config.modelRegistry(),
                Map.of("My-Llama", List.of("llama3.2:3b"), "chat", List.of("qwen2.5-7b-instruct")),
                config.translators(), config.logging(), config.engineering(), config.dashboard(), config.state(),
                config.reload());
        ModelRegistry models = ModelRegistry.from(config.modelRegistry(), endpoints);
        discovery = new ModelDiscovery(endpoints, models, ModelTestKit.fastSettings());
        assertThat(discovery.runInitialPass(Duration.ofSeconds(5))).isTrue();
        ModelTestKit.set(e, EndpointStatus.OFFLINE); // known, but not routable now

        health = new HealthMonitor(endpoints, Duration.ZERO, dev.olla.health.HealthMonitor.Options.DEFAULTS);
        ModelRouter router = ModelRouter.create(config, models, discovery);
        proxy = new ProxyService(config.proxy(), endpoints, Balancers.create(config.proxy().loadBalancer()), health,
                Engine.create(config.proxy()), router);

        boss = Transport.newGroup(1, "t-boss");
        workers = Transport.newGroup(1, "t");
        Router routes = new Router();
        server = new OllaServer("127.0.0.1", 0, ServerSettings.from(config.server()), routes, boss, workers);
        ModelRoutes.register(routes, models, endpoints, profiles, discovery);
        ProxyRoutes.register(routes, profiles, proxy);
        server.start();
        base = "http://127.0.0.1:" + server.port();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        server.stop(Duration.ZERO);
        proxy.close();
        health.close();
        discovery.close();
        client.shutdownNow();
        boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        for (SimulatedBackend s : List.of(simA, simB, simC, simD, simE)) {
            s.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.setHeader(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        return send("GET", path, null, headers);
    }

    private static JsonNode ok(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.body()).doesNotContain("\": ").doesNotContain("http://");
        return Json.tree(r.body());
    }

    private static List<String> texts(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    /** The fields the OpenAI SDK's models.list() reads. */
    private static void assertOpenAiList(JsonNode body) {
        assertThat(body.path("object").asText()).isEqualTo("list");
        assertThat(body.path("data").isArray()).isTrue();
        for (JsonNode m : body.path("data")) {
            assertThat(m.path("id").isTextual()).isTrue();
            assertThat(m.path("object").asText()).isEqualTo("model");
            assertThat(m.path("created").isIntegralNumber()).isTrue();
            assertThat(m.path("owned_by").isTextual()).isTrue();
        }
    }

    /** The fields the Ollama clients' list() read. */
    private static void assertOllamaTags(JsonNode body) {
        assertThat(body.path("models").isArray()).isTrue();
        for (JsonNode m : body.path("models")) {
            assertThat(m.path("name").isTextual()).isTrue();
            assertThat(m.path("model").asText()).isEqualTo(m.path("name").asText());
            assertThat(java.time.OffsetDateTime.parse(m.path("modified_at").asText())).isNotNull();
            assertThat(m.path("size").isIntegralNumber()).isTrue();
            assertThat(m.path("digest").isTextual()).isTrue();
            JsonNode d = m.path("details");
            assertThat(d.isObject()).isTrue();
            for (String f : List.of("parent_model", "format", "family", "parameter_size", "quantization_level")) {
                assertThat(d.path(f).isTextual()).as(f).isTrue();
            }
            assertThat(d.path("families").isArray()).isTrue();
        }
    }

    // ------------------------------------------------------------------ /olla/models

    @Test
    void unifiedListMergesAndNamesEndpoints() throws Exception {
        JsonNode body = ok("/olla/models");
        assertOpenAiList(body);
        assertThat(texts(body.path("data"), "id")).containsExactly("llama-3.2-3b-instruct", "llama3.2:3b",
                "meta-llama/Llama-3.1-8B", "phi4:14b", "qwen2.5-7b-instruct", "text-embedding-nomic");
        JsonNode llama = body.path("data").get(1);
        assertThat(llama.path("owned_by").asText()).isEqualTo("olla");
        JsonNode olla = llama.path("olla");
        assertThat(texts(olla.path("availability"), "endpoint")).containsExactly("ollama-a", "ollama-b");
        assertThat(olla.path("family").asText()).isEqualTo("llama");
        assertThat(olla.path("parameter_size").asText()).isEqualTo("3.0B");
        assertThat(olla.path("quantization").asText()).isEqualTo("Q4_K_M");
        assertThat(olla.path("capabilities").toString()).contains("chat");
        assertThat(texts(body.path("data").get(3).path("olla").path("availability"), "endpoint")).containsExactly("ollama-a");

        JsonNode all = ok("/olla/models?include_unavailable=true");
        JsonNode offline = null;
        for (JsonNode m : all.path("data")) {
            if (m.path("id").asText().equals("offline-only:1b")) {
                offline = m;
            }
        }
        assertThat(offline).isNotNull();
        assertThat(offline.path("olla").path("availability").get(0).path("state").asText()).isEqualTo("offline");
    }

    @Test
    void formatsFollowTheirRealSchemas() throws Exception {
        JsonNode openai = ok("/olla/models?format=openai");
        assertOpenAiList(openai);
        assertThat(openai.path("data")).hasSize(6);

        JsonNode ollama = ok("/olla/models?format=ollama");
        assertOllamaTags(ollama);
        assertThat(texts(ollama.path("models"), "name")).containsExactly("llama3.2:3b", "phi4:14b");
        JsonNode phi = ollama.path("models").get(1);
        assertThat(phi.path("digest").asText()).isEqualTo(SimModel.of("phi4:14b").digest());
        assertThat(phi.path("size").asLong()).isEqualTo(SimModel.of("phi4:14b").sizeBytes());
        assertThat(phi.path("details").path("parameter_size").asText()).isEqualTo("14.0B");

        JsonNode lms = ok("/olla/models?format=lmstudio");
        assertThat(lms.path("object").asText()).isEqualTo("list");
        JsonNode qwen = lms.path("data").get(4);
        assertThat(qwen.path("id").asText()).isEqualTo("qwen2.5-7b-instruct");
        assertThat(qwen.path("state").asText()).isEqualTo("loaded");
        assertThat(qwen.path("type").asText()).isEqualTo("llm");
        assertThat(lms.path("data").get(0).path("state").asText()).isEqualTo("not-loaded");
        assertThat(lms.path("data").get(5).path("type").asText()).isEqualTo("embeddings");

        JsonNode vllm = ok("/olla/models?format=vllm");
        assertOpenAiList(vllm);
        assertThat(vllm.path("data").get(2).path("max_model_len").asLong()).isEqualTo(131072);

        for (String f : List.of("lemonade", "lmdeploy", "sglang", "vllm-mlx", "llamacpp", "docker-model-runner", "unified")) {
            assertOpenAiList(ok("/olla/models?format=" + f));
        }
    }

    @Test
    void badParametersAre400WithTheOriginalTexts() throws Exception {
        HttpResponse<String> r = get("/olla/models?format=xml");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.tree(r.body()).path("error").path("message").asText()).isEqualTo(
                "invalid query parameter format=xml: unsupported format. Supported formats: unified, openai, ollama, "
                        + "lmstudio, lemonade, lmdeploy, sglang, vllm, vllm-mlx, llamacpp, docker-model-runner");
        r = get("/olla/models?available=maybe");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.tree(r.body()).path("error").path("message").asText())
                .isEqualTo("invalid value for 'available' parameter. Use 'true' or 'false'");
    }

    @Test
    void filters() throws Exception {
        assertThat(texts(ok("/olla/models?endpoint=ollama-b").path("data"), "id")).containsExactly("llama3.2:3b");
        assertThat(texts(ok("/olla/models?type=embeddings").path("data"), "id")).containsExactly("text-embedding-nomic");
        assertThat(texts(ok("/olla/models?capability=embedding").path("data"), "id")).containsExactly("text-embedding-nomic");
        assertThat(texts(ok("/olla/models?family=PHI").path("data"), "id")).containsExactly("phi4:14b");
        assertThat(texts(ok("/olla/models?available=true").path("data"), "id"))
                .containsExactly("meta-llama/Llama-3.1-8B", "qwen2.5-7b-instruct", "text-embedding-nomic");
        assertThat(texts(ok("/olla/models?available=false&format=openai").path("data"), "id"))
                .containsExactly("llama-3.2-3b-instruct", "llama3.2:3b", "phi4:14b");
    }

    @Test
    void singleModelByIdOrAlias() throws Exception {
        JsonNode m = ok("/olla/models/LLAMA3.2:3B");
        assertThat(m.path("id").asText()).isEqualTo("llama3.2:3b");
        assertThat(texts(m.path("endpoints"), "")).hasSize(2);
        assertThat(m.path("endpoints").toString()).isEqualTo("[\"ollama-a\",\"ollama-b\"]");
        assertThat(m.path("parameter_count").asLong()).isEqualTo(3_000_000_000L);
        assertThat(ok("/olla/models/meta-llama/Llama-3.1-8B").path("max_context_length").asLong()).isEqualTo(131072);
        HttpResponse<String> r = get("/olla/models/nope");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Json.tree(r.body()).path("error").path("message").asText()).isEqualTo("Model not found");
        assertThat(send("POST", "/olla/models/phi4:14b", "{}").statusCode()).isEqualTo(405);
    }

    @Test
    void internalStatusModels() throws Exception {
        HttpResponse<String> r = get("/internal/status/models");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = Json.tree(r.body());
        assertThat(body.path("total_models").asInt()).isEqualTo(7);
        assertThat(body.path("total_endpoints").asInt()).isEqualTo(5);
        assertThat(body.path("models_by_family").path("llama").toString()).contains("llama3.2:3b");
        JsonNode llama = null;
        for (JsonNode m : body.path("recent_models")) {
            if (m.path("name").asText().equals("llama3.2:3b")) {
                llama = m;
            }
        }
        assertThat(llama).isNotNull();
        assertThat(llama.path("endpoints").toString()).isEqualTo("[\"ollama-a\",\"ollama-b\"]");
        String etag = r.headers().firstValue("etag").orElseThrow();
        assertThat(get("/internal/status/models", "If-None-Match", etag).statusCode()).isEqualTo(304);
    }

    // ------------------------------------------------------------------ provider lists

    @Test
    void providerListsAreAnsweredByOllaInTheBackendsFormat() throws Exception {
        long tagsBefore = simA.stats().requests("/api/tags");
        JsonNode tags = ok("/olla/ollama/api/tags");
        assertOllamaTags(tags);
        assertThat(texts(tags.path("models"), "name")).containsExactly("llama3.2:3b", "phi4:14b");
        assertThat(simA.stats().requests("/api/tags")).isEqualTo(tagsBefore); // not proxied

        JsonNode ollamaV1 = ok("/olla/ollama/v1/models");
        assertOpenAiList(ollamaV1);
        assertThat(texts(ollamaV1.path("data"), "id")).containsExactly("llama3.2:3b", "phi4:14b");

        JsonNode vllm = ok("/olla/vllm/v1/models");
        assertOpenAiList(vllm);
        assertThat(texts(vllm.path("data"), "id")).containsExactly("meta-llama/Llama-3.1-8B");
        assertThat(vllm.path("data").get(0).path("max_model_len").asLong()).isEqualTo(131072);

        for (String p : List.of("lmstudio", "lm-studio", "lm_studio")) {
            JsonNode v0 = ok("/olla/" + p + "/api/v0/models");
            assertThat(texts(v0.path("data"), "id")).containsExactly("llama-3.2-3b-instruct", "qwen2.5-7b-instruct",
                    "text-embedding-nomic");
            assertThat(texts(v0.path("data"), "state")).containsExactly("not-loaded", "loaded", "loaded");
            assertOpenAiList(ok("/olla/" + p + "/api/v1/models"));
            assertThat(ok("/olla/" + p + "/v1/models").path("data")).hasSize(3);
        }

        JsonNode all = ok("/olla/openai/v1/models");
        assertOpenAiList(all);
        assertThat(all.path("data")).hasSize(6);
        assertThat(ok("/olla/openai-compatible/v1/models").path("data")).hasSize(6);
        JsonNode proxyList = ok("/olla/proxy/v1/models");
        assertOpenAiList(proxyList);
        assertThat(proxyList.path("data")).hasSize(6);
        // prefixes without endpoints: an empty list in their own format, never a 500
        assertOpenAiList(ok("/olla/lemonade/api/v1/models"));
        assertOpenAiList(ok("/olla/dmr/engines/v1/models"));
        assertThat(ok("/olla/llamacpp/v1/models").path("data")).isEmpty();
        assertThat(ok("/olla/ollama/api/tags?include_unavailable=true").path("models").toString()).contains("offline-only:1b");
    }

    @Test
    void ollamaPsMergesTheRunningModels() throws Exception {
        JsonNode ps = ok("/olla/ollama/api/ps");
        // phi4 is not loaded on a; ollama-e is offline
        assertThat(texts(ps.path("models"), "name")).containsExactly("llama3.2:3b");
        assertThat(ps.path("models").get(0).path("size_vram").isIntegralNumber()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST /olla/ollama/api/pull", "POST /olla/ollama/api/push", "POST /olla/ollama/api/create",
        "POST /olla/ollama/api/copy", "DELETE /olla/ollama/api/delete"})
    void ollamaModelManagementIsNotSupported(String call) throws Exception {
        String[] parts = call.split(" ");
        HttpResponse<String> r = send(parts[0], parts[1], "{\"model\":\"llama3.2:3b\"}");
        assertThat(r.statusCode()).isEqualTo(501);
        // Ollama's own error shape, which ollama-js and ollama-python print
        assertThat(Json.tree(r.body()).path("error").asText())
                .isEqualTo("model management operations not supported by proxy");
    }

    @Test
    void oneModelIsAnsweredFromTheRegistryInTheRouteFormat() throws Exception {
        JsonNode ollama = ok("/olla/ollama/v1/models/phi4:14b");
        assertThat(ollama.path("id").asText()).isEqualTo("phi4:14b");
        assertThat(ollama.path("object").asText()).isEqualTo("model");
        JsonNode vllm = ok("/olla/vllm/v1/models/meta-llama/Llama-3.1-8B");
        assertThat(vllm.path("id").asText()).isEqualTo("meta-llama/Llama-3.1-8B");
        assertThat(vllm.path("max_model_len").asInt()).isEqualTo(131072); // vLLM's shape, as its list
        assertThat(ok("/olla/openai/v1/models/qwen2.5-7b-instruct").path("id").asText()).isEqualTo("qwen2.5-7b-instruct");
        assertThat(ok("/olla/proxy/v1/models/llama3.2:3b").path("object").asText()).isEqualTo("model");
        // a model of another type is not on this route
        HttpResponse<String> elsewhere = get("/olla/vllm/v1/models/phi4:14b");
        assertThat(elsewhere.statusCode()).isEqualTo(404);
        assertThat(Json.tree(elsewhere.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
        assertThat(get("/olla/openai/v1/models/gpt-9").statusCode()).isEqualTo(404);
        for (SimulatedBackend sim : List.of(simA, simB, simC, simD)) {
            assertThat(sim.stats().requestsByPath().keySet()).as("answered by Olla, not a backend")
                    .noneMatch(p -> p.startsWith("/v1/models/"));
        }
    }

    @Test
    void ollamaShowGoesToAnEndpointThatHasTheModel() throws Exception {
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> show = send("POST", "/olla/ollama/api/show", "{\"model\":\"phi4:14b\"}");
            assertThat(show.statusCode()).as(show.body()).isEqualTo(200);
            assertThat(show.headers().firstValue("X-Olla-Endpoint")).hasValue("ollama-a");
            assertThat(Json.tree(show.body()).path("details").isObject()).isTrue();
        }
        // the legacy "name" field routes too
        HttpResponse<String> byName = send("POST", "/olla/ollama/api/show", "{\"name\":\"phi4:14b\"}");
        assertThat(byName.statusCode()).as(byName.body()).isEqualTo(200);
        assertThat(byName.headers().firstValue("X-Olla-Endpoint")).hasValue("ollama-a");
        HttpResponse<String> missing = send("POST", "/olla/ollama/api/show", "{\"model\":\"gpt-9\"}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Json.tree(missing.body()).path("error").asText()).contains("gpt-9");
    }

    @Test
    void ollamaErrorsAreOllamaShapedExceptUnderV1() throws Exception {
        HttpResponse<String> native_ = send("POST", "/olla/ollama/api/chat", chat("gpt-9"));
        assertThat(native_.statusCode()).isEqualTo(404);
        assertThat(Json.tree(native_.body()).path("error").isTextual()).as(native_.body()).isTrue();
        HttpResponse<String> v1 = send("POST", "/olla/ollama/v1/chat/completions", chat("gpt-9"));
        assertThat(v1.statusCode()).isEqualTo(404);
        assertThat(Json.tree(v1.body()).path("error").path("message").asText()).contains("gpt-9");
    }

    @Test
    void errorsTheServerAnswersItselfAreShapedByTheRouteFamily() throws Exception {
        // 405 from the router (pull is POST only) and 501 for TRACE, before any handler runs
        HttpResponse<String> notAllowed = send("GET", "/olla/ollama/api/pull", null);
        assertThat(notAllowed.statusCode()).isEqualTo(405);
        assertThat(Json.tree(notAllowed.body()).path("error").asText()).as(notAllowed.body())
                .isEqualTo("Method not allowed");
        HttpResponse<String> trace = send("TRACE", "/olla/ollama/api/chat", null);
        assertThat(trace.statusCode()).isEqualTo(501);
        assertThat(Json.tree(trace.body()).path("error").isTextual()).as(trace.body()).isTrue();
        HttpResponse<String> traceV1 = send("TRACE", "/olla/ollama/v1/chat/completions", null);
        assertThat(Json.tree(traceV1.body()).path("error").path("type").asText()).as(traceV1.body())
                .isEqualTo("not_supported_error");
        HttpResponse<String> openai = send("TRACE", "/olla/openai/v1/chat/completions", null);
        assertThat(Json.tree(openai.body()).path("error").path("message").asText()).as(openai.body())
                .contains("TRACE");
    }

    @Test
    void modelRoutingDoesNotDependOnTheContentType() throws Exception {
        // curl -d '{...}' sends application/x-www-form-urlencoded
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = send("POST", "/olla/ollama/api/chat", "  " + chat("phi4:14b"),
                    "Content-Type", "application/x-www-form-urlencoded");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("ollama-a");
        }
    }

    // ------------------------------------------------------------------ routing through the proxy

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void proxiedRequestsAreRoutedByModel() throws Exception {
        HttpResponse<String> r = send("POST", "/olla/ollama/api/chat", chat("phi4:14b"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("ollama-a");
        assertThat(r.headers().firstValue("X-Olla-Routing-Strategy")).hasValue("strict");
        assertThat(r.headers().firstValue("X-Olla-Routing-Decision")).hasValue("routed");
        assertThat(r.headers().firstValue("X-Olla-Routing-Reason")).hasValue("model_found");

        HttpResponse<String> unknown = send("POST", "/olla/proxy/v1/chat/completions", chat("gpt-9"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("X-Olla-Routing-Decision")).hasValue("rejected");
        assertThat(unknown.headers().firstValue("X-Olla-Routing-Reason")).hasValue("model_not_found");
        assertThat(unknown.body()).contains("gpt-9").contains("/olla/models");

        HttpResponse<String> elsewhere = send("POST", "/olla/vllm/v1/chat/completions", chat("phi4:14b"));
        assertThat(elsewhere.statusCode()).isEqualTo(503);
        assertThat(elsewhere.headers().firstValue("X-Olla-Routing-Reason")).hasValue("model_unavailable");
    }

    @Test
    void aliasesRewriteTheBodyForTheChosenEndpoint() throws Exception {
        HttpResponse<String> r = send("POST", "/olla/proxy/v1/chat/completions", chat("My-Llama"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Routing-Strategy")).hasValue("alias");
        assertThat(r.headers().firstValue("X-Olla-Routing-Reason")).hasValue("alias \"My-Llama\" resolved to 2 endpoint(s)");
        String ep = r.headers().firstValue("X-Olla-Endpoint").orElseThrow();
        SimulatedBackend hit = ep.equals("ollama-a") ? simA : simB;
        assertThat(hit.stats().lastRequest("/v1/chat/completions").body()).contains("\"model\":\"llama3.2:3b\"");

        HttpResponse<String> chat = send("POST", "/olla/proxy/v1/chat/completions", chat("chat"));
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(chat.headers().firstValue("X-Olla-Endpoint")).hasValue("lms-d");
        assertThat(simD.stats().lastRequest("/v1/chat/completions").body()).contains("\"model\":\"qwen2.5-7b-instruct\"");
    }
}
