package dev.olla.model;

import java.util.List;

/**
 * One model as one endpoint reported it, after parsing its model list (any format). Fields the
 * format does not carry are null (strings), empty (lists) or {@code -1}/{@code 0} (numbers).
 *
 * @param name          the model name exactly as the backend spells it (the routing target)
 * @param digest        content digest (Ollama), normalised: lower-case hex without {@code sha256:}; null if none
 * @param size          bytes on disk, {@code -1} if unknown
 * @param modifiedAt    modification time as the backend wrote it (ISO-8601), or null
 * @param family        architecture family ({@code llama}, {@code qwen2}, ...), or null
 * @param families      all families the backend lists (Ollama {@code details.families})
 * @param parameterSize human-readable parameter count ({@code 8.0B}, {@code 137M}), or null
 * @param quantization  normalised quantisation ({@code Q4_K_M}, {@code F16}), or null
 * @param format        file format ({@code gguf}, {@code mlx}, ...), or null
 * @param type          {@code llm}, {@code vlm} or {@code embeddings} when the backend says so (LM Studio), else null
 * @param publisher     publisher / owner when given, or null
 * @param state         {@code loaded}, {@code not-loaded} or {@code available} (listed, load state unknown)
 * @param contextLength context window in tokens, {@code 0} if unknown
 */
public record DiscoveredModel(
        String name,
        String digest,
        long size,
        String modifiedAt,
        String family,
        List<String> families,
        String parameterSize,
        String quantization,
        String format,
        String type,
        String publisher,
        String state,
        long contextLength) {

    public static final String LOADED = "loaded";
    public static final String NOT_LOADED = "not-loaded";
    public static final String AVAILABLE = "available";

    public DiscoveredModel {
        families = families == null ? List.of() : List.copyOf(families);
        if (state == null || state.isBlank()) {
            state = AVAILABLE;
        }
        digest = ModelMeta.normalizeDigest(digest);
        quantization = ModelMeta.normalizeQuantization(quantization);
    }

    /** A model known by name only (OpenAI-style lists). */
    public static DiscoveredModel named(String name) {
        return new DiscoveredModel(name, null, -1, null, null, List.of(), null, null, null, null, null, AVAILABLE, 0);
    }

    public DiscoveredModel withState(String newState) {
        return new DiscoveredModel(name, digest, size, modifiedAt, family, families, parameterSize, quantization,
                format, type, publisher, newState, contextLength);
    }
}
