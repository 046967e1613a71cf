package dev.olla.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * What Olla answers itself on the Anthropic routes: {@code /v1/messages/count_tokens} (validated as
 * Anthropic does, estimated locally by {@link TokenEstimate}) and the models list and model objects.
 * Pure functions.
 */
public final class AnthropicLocal {
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");

    private AnthropicLocal() {}

    /**
     * Validates a count_tokens body as Anthropic does: a JSON object with a non-empty string {@code model}
     * and a {@code messages} array of objects, each with a string {@code role} and a string or array
     * {@code content}; {@code system} a string or array, {@code tools} an array of objects.
     *
     * @throws TranslationException 400 with what is wrong
     */
    public static AnthropicRequest parseCountTokens(byte[] body) throws TranslationException {
        JsonNode root = Jsons.read(body);
        if (root == null || !root.isObject()) {
            throw AnthropicTranslator.bad("failed to parse request: body is not a valid JSON object");
        }
        JsonNode model = root.get("model");
        if (model == null || model.isNull()) {
            throw AnthropicTranslator.bad("model: field required");
        }
        if (!model.isTextual() || model.textValue().isEmpty()) {
            throw AnthropicTranslator.bad("model: must be a non-empty string, got " + Jsons.goType(model));
        }
        JsonNode messages = root.get("messages");
        if (messages == null || messages.isNull()) {
            throw AnthropicTranslator.bad("messages: field required");
        }
        if (!messages.isArray()) {
            throw AnthropicTranslator.bad("messages: Input should be a valid list, got " + Jsons.goType(messages));
        }
        int i = 0;
        for (JsonNode m : messages) {
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw AnthropicTranslator.bad("messages." + i + ": must be an object with a string role");
            }
            JsonNode c = m.get("content");
            if (c == null || !(c.isTextual() || c.isArray())) {
                throw AnthropicTranslator.bad("messages." + i + ".content: must be a string or an array of content blocks");
            }
            i++;
        }
        JsonNode system = root.get("system");
        if (AnthropicTranslator.present(system) && !(system.isTextual() || system.isArray())) {
            throw AnthropicTranslator.bad("system: must be a string or an array of text blocks");
        }
        JsonNode tools = root.get("tools");
        if (AnthropicTranslator.present(tools) && !(tools.isArray() && AnthropicTranslator.allObjects(tools))) {
            throw AnthropicTranslator.bad("tools: must be an array of objects");
        }
        return new AnthropicRequest(model.textValue(), false, root);
    }

    /** {@code {"input_tokens":N}}, estimated locally ({@link TokenEstimate}). */
    public static byte[] countTokens(AnthropicRequest req) {
        ObjectNode out = Jsons.object();
        out.put("input_tokens", TokenEstimate.ofRequest(req.json()));
        return Jsons.bytes(out);
    }

    /**
     * {@code {"input_tokens":N}} for a count_tokens body, computed locally.
     *
     * @throws TranslationException 400 when the body is not a valid count_tokens request
     */
    public static byte[] countTokens(byte[] body) throws TranslationException {
        return countTokens(parseCountTokens(body));
    }

    /** Rough input-token estimate of a request: (chars of system, messages and tools)/4, at least 1. */
    public static int estimateInputTokens(AnthropicRequest req) {
        return TokenEstimate.ofRequest(req.json());
    }

    /** One Anthropic model object ({@code GET /v1/models/{id}}). */
    public static byte[] model(String id, Instant createdAt) {
        ObjectNode m = Jsons.object();
        putModel(m, id, rfc3339(createdAt));
        return Jsons.bytes(m);
    }

    /** The Anthropic models list for the given ids (in order), all created at {@code createdAt}. */
    public static byte[] modelsList(List<String> ids, Instant createdAt) {
        String created = rfc3339(createdAt);
        ObjectNode out = Jsons.object();
        ArrayNode data = out.putArray("data");
        for (String id : ids) {
            putModel(data.addObject(), id, created);
        }
        out.put("has_more", false);
        if (ids.isEmpty()) {
            out.putNull("first_id");
            out.putNull("last_id");
        } else {
            out.put("first_id", ids.get(0));
            out.put("last_id", ids.get(ids.size() - 1));
        }
        return Jsons.bytes(out);
    }

    private static void putModel(ObjectNode m, String id, String createdAt) {
        m.put("type", "model");
        m.put("id", id);
        m.put("display_name", id);
        m.put("created_at", createdAt);
    }

    private static String rfc3339(Instant t) {
        return RFC3339.format(t.truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
    }
}
