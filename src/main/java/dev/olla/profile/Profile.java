package dev.olla.profile;

import java.util.List;
import java.util.Map;

/**
 * One backend type's profile (loaded from {@code profiles/*.yaml}): how Olla routes to, checks and
 * discovers models on endpoints of that type.
 *
 * @param name              canonical type name, e.g. {@code ollama}, {@code lm-studio}, {@code openai-compatible}
 * @param prefixes          routing prefixes under {@code /olla/}, e.g. {@code lmstudio, lm-studio, lm_studio}
 * @param openAiCompatible  serves the OpenAI API ({@code /v1/...})
 * @param apiPaths          API paths the backend serves (a compatibility hint, not an allow-list)
 * @param healthCheckPath   default health probe path
 * @param modelDiscoveryPath default model-list path
 * @param responseFormat    model-list parser: ollama, lmstudio, openai, vllm, llamacpp, ...
 * @param anthropic         native Anthropic Messages support
 * @param defaultPriority   informational default priority
 * @param capabilityPatterns capability -> model-name globs (vision, embeddings, code, chat)
 * @param metrics           provider-metrics extraction rules (paths and calculations), may be empty
 * @param capacity          where the backend publishes its slots and loaded models ({@code capacity:}), or {@link Capacity#NONE}
 */
public record Profile(
        String name,
        String displayName,
        List<String> prefixes,
        boolean openAiCompatible,
        List<String> apiPaths,
        String healthCheckPath,
        String modelDiscoveryPath,
        String responseFormat,
        AnthropicSupport anthropic,
        int defaultPriority,
        Map<String, List<String>> capabilityPatterns,
        Metrics metrics,
        Capacity capacity) {

    public Profile(String name, String displayName, List<String> prefixes, boolean openAiCompatible, List<String> apiPaths,
            String healthCheckPath, String modelDiscoveryPath, String responseFormat, AnthropicSupport anthropic,
            int defaultPriority, Map<String, List<String>> capabilityPatterns, Metrics metrics) {
        this(name, displayName, prefixes, openAiCompatible, apiPaths, healthCheckPath, modelDiscoveryPath, responseFormat,
                anthropic, defaultPriority, capabilityPatterns, metrics, Capacity.NONE);
    }

    public Profile {
        capacity = capacity == null ? Capacity.NONE : capacity;
    }

    /** What the backend publishes about its residency and occupancy, and where (polled by dev.olla.capacity). */
    public enum CapacitySource { LLAMACPP, OLLAMA, LMSTUDIO, VLLM, SGLANG }

    /**
     * @param source      the format; null = publishes nothing
     * @param path        the main path ({@code /slots}, {@code /api/ps}, {@code /api/v0/models}, {@code /metrics})
     * @param propsPath   llama.cpp {@code /props} (total slots, served model), or null
     * @param metricsPath llama.cpp {@code /metrics} (requests waiting inside it), or null
     */
    public record Capacity(CapacitySource source, String path, String propsPath, String metricsPath) {
        public static final Capacity NONE = new Capacity(null, null, null, null);
    }

    public record AnthropicSupport(boolean enabled, String messagesPath, boolean tokenCount, String minVersion,
            List<String> limitations) {
        public static final AnthropicSupport NONE = new AnthropicSupport(false, "/v1/messages", false, null, List.of());
    }

    /** JSON paths of response fields and expressions computed from them (provider metrics). */
    public record Metrics(boolean enabled, Map<String, String> paths, Map<String, String> calculations) {
        public static final Metrics NONE = new Metrics(false, Map.of(), Map.of());
    }
}
