package dev.olla.model;

import dev.olla.endpoint.EndpointState;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

/**
 * One model as Olla presents it: the same model served by several endpoints merged into one entry
 * (by digest, else by case-insensitive name). Immutable.
 *
 * @param id            the backend's own name of the first copy seen ({@code phi4:latest}); on a
 *                      name clash with a different digest, {@code <name>-<last 8 digest chars>}
 * @param aliases       every native name the copies use, with the endpoint type that uses it
 * @param sources       every endpoint serving it, in endpoint configuration order
 * @param family        architecture family, or null
 * @param parameterSize e.g. {@code 8.0B}, or null
 * @param parameterCount parameters (from {@code parameterSize}), 0 if unknown
 * @param quantization  canonical quantisation ({@code Q4_K_M}), or null
 * @param format        file format ({@code gguf}), or null
 * @param contextLength context window in tokens, 0 if unknown
 * @param type          {@code llm}, {@code vlm} or {@code embeddings}
 * @param capabilities  union over the copies: {@code text-generation, chat, completion, vision, code} or {@code embedding}
 * @param diskSize      sum of the copies' sizes in bytes (0 if unknown)
 * @param digest        the first copy's digest, or null
 * @param modifiedAt    the first copy's modification time (ISO-8601), or null
 * @param firstSeen     when Olla first saw any copy (stable; used as OpenAI {@code created})
 * @param lastSeen      when a copy was last reported
 */
public record UnifiedModel(
        String id,
        List<Alias> aliases,
        List<Source> sources,
        String family,
        String parameterSize,
        long parameterCount,
        String quantization,
        String format,
        long contextLength,
        String type,
        String publisher,
        List<String> capabilities,
        long diskSize,
        String digest,
        String modifiedAt,
        Instant firstSeen,
        Instant lastSeen) {

    /** A native name and the (canonical) endpoint type that uses it. */
    public record Alias(String name, String source) {}

    /**
     * One endpoint's copy.
     *
     * @param endpoint     the endpoint
     * @param endpointType its profile's canonical name ({@code ollama}, {@code lm-studio}, ...)
     * @param nativeName   the name that endpoint uses (what the request body must say there)
     * @param model        the copy as parsed
     * @param firstSeen    first reported by this endpoint
     * @param lastSeen     last reported by this endpoint
     */
    public record Source(EndpointState endpoint, String endpointType, String nativeName, DiscoveredModel model,
            Instant firstSeen, Instant lastSeen) {
        public String endpointName() {
            return endpoint.name();
        }

        public String state() {
            return model.state();
        }
    }

    public UnifiedModel {
        aliases = List.copyOf(aliases);
        sources = List.copyOf(sources);
        capabilities = List.copyOf(capabilities);
    }

    /** Whether any copy is on an endpoint that passes {@code filter} and is routable now. */
    public boolean availableOn(Predicate<EndpointState> filter) {
        for (Source s : sources) {
            if (s.endpoint().routable() && filter.test(s.endpoint())) {
                return true;
            }
        }
        return false;
    }

    /** Whether any copy is on a routable endpoint. */
    public boolean available() {
        return availableOn(e -> true);
    }

    /** Whether any copy on a routable endpoint is loaded in memory. */
    public boolean loaded() {
        for (Source s : sources) {
            if (s.endpoint().routable() && DiscoveredModel.LOADED.equals(s.state())) {
                return true;
            }
        }
        return false;
    }

    public boolean hasCapability(String capability) {
        return capabilities.contains(capability);
    }

    /** The first copy on an endpoint of one of {@code types}, or null. */
    public Source sourceOfType(java.util.Set<String> types) {
        for (Source s : sources) {
            if (types.contains(s.endpointType())) {
                return s;
            }
        }
        return null;
    }
}
