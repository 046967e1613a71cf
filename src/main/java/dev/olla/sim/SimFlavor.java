package dev.olla.sim;

import java.util.Locale;

/**
 * The kind of LLM server a {@link SimulatedBackend} imitates, with the wire details that differ per kind.
 *
 * <p>{@link #healthPath()} and {@link #modelsPath()} are the paths Olla's profile for that platform uses for
 * health checks and model discovery.
 */
public enum SimFlavor {
    /** Ollama: native {@code /api/*} routes (NDJSON streams) plus its OpenAI-compatible {@code /v1/*} routes. */
    OLLAMA("ollama", 11434, "/", "/api/tags"),
    /** A generic OpenAI-compatible server: {@code /health} and {@code /v1/*}. */
    OPENAI("openai", 8080, "/v1/models", "/v1/models"),
    /** vLLM's OpenAI server: {@code /health} (empty 200), {@code /version}, {@code /v1/*}. */
    VLLM("vllm", 8000, "/health", "/v1/models"),
    /** LM Studio: OpenAI routes plus the {@code /api/v0/*} REST API. */
    LMSTUDIO("lmstudio", 1234, "/v1/models", "/api/v0/models"),
    /** llama.cpp {@code llama-server}, as captured in the project's fixtures. */
    LLAMACPP("llamacpp", 8080, "/health", "/v1/models");

    private final String id;
    private final int defaultPort;
    private final String healthPath;
    private final String modelsPath;

    SimFlavor(String id, int defaultPort, String healthPath, String modelsPath) {
        this.id = id;
        this.defaultPort = defaultPort;
        this.healthPath = healthPath;
        this.modelsPath = modelsPath;
    }

    /** Lower-case identifier, as Olla names the platform type ({@code ollama}, {@code lmstudio}, ...). */
    public String id() {
        return id;
    }

    /** The port the real server listens on by default. */
    public int defaultPort() {
        return defaultPort;
    }

    /** The path Olla health-checks on this platform. */
    public String healthPath() {
        return healthPath;
    }

    /** The path Olla discovers models with on this platform. */
    public String modelsPath() {
        return modelsPath;
    }

    /**
     * Whether {@code path} is a health route of this flavour: {@link #healthPath()}, and {@code /health} on
     * flavours that serve it. {@link SimFaults#healthStatus(int)} applies to these; {@link SimFaults#httpError(int)}
     * to every other route.
     */
    public boolean isHealthRoute(String path) {
        if (path.equals(healthPath)) {
            return true;
        }
        return this != OLLAMA && this != LMSTUDIO && (path.equals("/health") || (this == LLAMACPP && path.equals("/v1/health")));
    }

    /**
     * Whether a request starts a generation, on any flavour: a POST to a chat or completions route
     * ({@code /v1/chat/completions}, {@code /v1/completions}, llama.cpp's {@code /chat/completions},
     * {@code /completions}, {@code /completion}, LM Studio's {@code /api/v0/...}), Ollama's {@code /api/chat} and
     * {@code /api/generate}, or the Anthropic {@code /v1/messages}. {@link SimFaults#loadDelay(java.time.Duration)} applies
     * to these only.
     */
    public static boolean isGenerationRoute(String method, String path) {
        if (!method.equals("POST")) {
            return false;
        }
        return path.endsWith("/completions") || path.equals("/completion") || path.equals("/api/chat")
                || path.equals("/api/generate") || path.equals("/v1/messages");
    }

    /** Parses a flavour name: the enum name or {@link #id()}, case-insensitive; also {@code lm-studio}, {@code llama.cpp}. */
    public static SimFlavor parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(".", "");
        for (SimFlavor f : values()) {
            if (f.id.equals(k)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown flavour '" + s + "' (expected ollama, openai, vllm, lmstudio or llamacpp)");
    }
}
