package dev.olla.route;

import dev.olla.BuildInfo;
import dev.olla.server.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Olla's own liveness and build-information routes. */
public final class SystemRoutes {
    private static final byte[] HEALTHY = "{\"status\":\"healthy\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private SystemRoutes() {}

    public static void register(Router router) {
        // Liveness probes differ in method: /internal/health answers any of them.
        router.any("/internal/health", ex -> ex.json(HttpResponseStatus.OK, HEALTHY));
        byte[] version = dev.olla.server.Json.bytes(versionBody());
        router.get("/version", ex -> ex.json(HttpResponseStatus.OK, version));
    }

    static Map<String, Object> versionBody() {
        BuildInfo b = BuildInfo.current();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", BuildInfo.NAME);
        body.put("version", b.version());
        body.put("commit", b.commit());
        body.put("edition", "Community");
        body.put("description", "The AI Proxy for your LLMs");
        Map<String, Object> build = new LinkedHashMap<>();
        build.put("commit", b.commit());
        build.put("date", b.date());
        build.put("java_version", Runtime.version().toString());
        build.put("platform", System.getProperty("os.name").toLowerCase() + "/" + System.getProperty("os.arch"));
        body.put("build", build);
        body.put("capabilities", List.of("load_balancing", "health_checking", "rate_limiting", "model_unification",
                "endpoint_discovery", "message_translation", "translation_anthropic", "passthrough_anthropic"));
        body.put("capabilities_experimental", List.of("translation_anthropic", "passthrough_anthropic"));
        body.put("supported_backends", List.of("ollama", "lemonade", "litellm", "llamacpp", "lmdeploy",
                "lm_studio", "omlx", "sglang", "vllm", "vllm-mlx", "openai_compatible", "docker-model-runner"));
        Map<String, Object> endpoints = new LinkedHashMap<>();
        endpoints.put("health", "/internal/health");
        endpoints.put("status", "/internal/status");
        endpoints.put("process", "/internal/process");
        endpoints.put("version", "/version");
        body.put("api", Map.of("version", "v1", "endpoints", endpoints));
        body.put("links", Map.of("homepage", "https://github.com/thushan/olla",
                "documentation", "https://thushan.github.io/olla/"));
        return body;
    }
}
