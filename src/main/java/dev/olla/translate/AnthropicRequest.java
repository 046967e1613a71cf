package dev.olla.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A parsed and validated Anthropic Messages request ({@link AnthropicTranslator#parse(byte[])}).
 *
 * @param model  the requested model (non-empty)
 * @param stream the {@code stream} flag
 * @param json   the whole request object, as received
 */
public record AnthropicRequest(String model, boolean stream, JsonNode json) {

    public AnthropicRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(json, "json");
    }

    /** {@code max_tokens} (validated to be at least 1). */
    public int maxTokens() {
        return json.path("max_tokens").asInt();
    }

    /** The {@code messages} array (validated to be non-empty). */
    public JsonNode messages() {
        return json.path("messages");
    }

    /** A non-empty {@code tools} array: passthrough skips profiles limited by {@code no_tool_use}. */
    public boolean hasTools() {
        JsonNode tools = json.get("tools");
        return tools != null && tools.isArray() && !tools.isEmpty();
    }

    /** A non-null {@code thinking} field: passthrough skips profiles limited by {@code no_extended_thinking}. */
    public boolean hasThinking() {
        JsonNode thinking = json.get("thinking");
        return thinking != null && !thinking.isNull();
    }

    /**
     * Any content block of type {@code image} (in a message, or nested in a tool_result): passthrough skips profiles
     * limited by {@code no_vision}.
     */
    public boolean hasImages() {
        for (JsonNode message : messages()) {
            if (containsImage(message.get("content"), 0)) {
                return true;
            }
        }
        return false;
    }

    private static boolean containsImage(JsonNode content, int depth) {
        if (content == null || depth > 4) {
            return false;
        }
        if (content.isObject()) {
            if ("image".equals(content.path("type").asText(null))) {
                return true;
            }
            return "tool_result".equals(content.path("type").asText(null))
                    && containsImage(content.get("content"), depth + 1);
        }
        if (content.isArray()) {
            for (JsonNode block : content) {
                if (containsImage(block, depth + 1)) {
                    return true;
                }
            }
        }
        return false;
    }
}
