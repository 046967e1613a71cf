package dev.olla.translate;

import static dev.olla.translate.Jsons.nonEmptyText;
import static dev.olla.translate.Jsons.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * Anthropic Messages API &lt;-&gt; OpenAI chat completions, as Olla's translator does it (detailed spec §10). Pure
 * functions: no I/O, no state; every method is safe to call from any thread.
 */
public final class AnthropicTranslator {

    static final String MODEL_REQUIRED = "model field is required (body may not be valid JSON)";
    static final String MODEL_EMPTY = "model field must not be empty";
    private static final String INVALID = "invalid request: ";
    private static final String UNPARSEABLE = "failed to parse Anthropic request: ";

    private AnthropicTranslator() {}

    // ---------------------------------------------------------------------------------------------------------------
    // Request

    /**
     * Parses and validates an Anthropic Messages request body. Checks, in the original's order: the model
     * ({@code model field is required (body may not be valid JSON)}, {@code model field must be a string, got T},
     * {@code model field must not be empty}); field types ({@code failed to parse Anthropic request: ...});
     * {@code invalid request: at least one message is required}, {@code max_tokens must be at least 1, got N},
     * {@code temperature must be between 0 and 2, got F}, {@code top_p must be between 0 and 1, got F},
     * {@code top_k must be non-negative, got N}; message content shapes and a {@code tool_choice} of type
     * {@code tool} without a name (only when tools are present), which the translated path rejects.
     *
     * @throws TranslationException always with status 400
     */
    public static AnthropicRequest parse(byte[] body) throws TranslationException {
        JsonNode root = Jsons.read(body);
        if (root == null || !root.isObject()) {
            throw bad(MODEL_REQUIRED);
        }
        JsonNode model = root.get("model");
        if (model == null || model.isNull()) {
            throw bad(MODEL_REQUIRED);
        }
        if (!model.isTextual()) {
            throw bad("model field must be a string, got " + Jsons.goType(model));
        }
        if (model.textValue().isEmpty()) {
            throw bad(MODEL_EMPTY);
        }

        // Field types (the original decodes into a typed struct first, so these fail before validation).
        JsonNode messages = root.get("messages");
        requireType(messages, "messages", "an array", JsonNode::isArray);
        if (messages != null && messages.isArray()) {
            int i = 0;
            for (JsonNode message : messages) {
                if (!message.isObject()) {
                    throw unparseable("messages[" + i + "] must be an object");
                }
                requireType(message.get("role"), "messages[" + i + "].role", "a string", JsonNode::isTextual);
                i++;
            }
        }
        JsonNode maxTokens = root.get("max_tokens");
        requireType(maxTokens, "max_tokens", "an integer", n -> n.isIntegralNumber() && n.canConvertToInt());
        JsonNode temperature = root.get("temperature");
        requireType(temperature, "temperature", "a number", JsonNode::isNumber);
        JsonNode topP = root.get("top_p");
        requireType(topP, "top_p", "a number", JsonNode::isNumber);
        JsonNode topK = root.get("top_k");
        requireType(topK, "top_k", "an integer", n -> n.isIntegralNumber() && n.canConvertToInt());
        JsonNode stream = root.get("stream");
        requireType(stream, "stream", "a boolean", JsonNode::isBoolean);
        JsonNode stops = root.get("stop_sequences");
        requireType(stops, "stop_sequences", "an array of strings", n -> n.isArray() && allTextual(n));
        JsonNode tools = root.get("tools");
        requireType(tools, "tools", "an array of objects", n -> n.isArray() && allObjects(n));
        requireType(root.get("metadata"), "metadata", "an object", JsonNode::isObject);

        // Validation.
        if (messages == null || messages.isNull() || messages.isEmpty()) {
            throw bad(INVALID + "at least one message is required");
        }
        int max = maxTokens == null || maxTokens.isNull() ? 0 : maxTokens.intValue();
        if (max < 1) {
            throw bad(INVALID + "max_tokens must be at least 1, got " + max);
        }
        if (present(temperature) && (temperature.doubleValue() < 0 || temperature.doubleValue() > 2)) {
            throw bad(INVALID + "temperature must be between 0 and 2, got " + goFloat(temperature.doubleValue()));
        }
        if (present(topP) && (topP.doubleValue() < 0 || topP.doubleValue() > 1)) {
            throw bad(INVALID + "top_p must be between 0 and 1, got " + goFloat(topP.doubleValue()));
        }
        if (present(topK) && topK.intValue() < 0) {
            throw bad(INVALID + "top_k must be non-negative, got " + topK.intValue());
        }

        // What the translated path needs to be convertible.
        for (JsonNode message : messages) {
            JsonNode content = message.get("content");
            if (content == null || !(content.isTextual() || content.isArray() || content.isObject())) {
                throw bad("failed to convert messages: invalid content type: " + Jsons.goType(content));
            }
        }
        JsonNode toolChoice = root.get("tool_choice");
        if (tools != null && tools.isArray() && !tools.isEmpty() && toolChoice != null && toolChoice.isObject()
                && "tool".equals(text(toolChoice.get("type"))) && text(toolChoice.get("name")) == null) {
            throw bad("failed to convert tool_choice: tool_choice type 'tool' requires 'name' field");
        }

        return new AnthropicRequest(model.textValue(), present(stream) && stream.booleanValue(), root);
    }

    /**
     * The OpenAI chat-completions request (JSON bytes) for a parsed Anthropic request, for {@code /v1/chat/completions}
     * ({@link OpenAiRequests}).
     */
    public static byte[] toOpenAiRequest(AnthropicRequest req) {
        return OpenAiRequests.of(req);
    }

    /** System prompt text: a string, or its text blocks concatenated without separator. */
    static String systemText(JsonNode system) {
        return OpenAiRequests.systemText(system);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Response

    /**
     * A non-streamed OpenAI {@code chat.completion} body as an Anthropic message. The model is the backend's
     * {@code model}, else {@code requestedModel}, else {@code unknown}.
     *
     * @throws IllegalArgumentException when the body is not JSON or has no {@code choices[0].message}; the caller
     *     answers 502 {@code proxy error: <message>} as the original does
     */
    public static byte[] toAnthropicResponse(byte[] openAiBody, String requestedModel) {
        JsonNode root = Jsons.read(openAiBody);
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("failed to parse OpenAI response");
        }
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            throw new IllegalArgumentException("failed to transform response: no choices in OpenAI response");
        }
        JsonNode choice = choices.get(0);
        JsonNode message = choice.get("message");
        if (message == null || !message.isObject()) {
            throw new IllegalArgumentException("failed to transform response: no message in choice");
        }

        ObjectNode out = Jsons.object();
        out.put("id", MessageIds.messageId());
        out.put("type", "message");
        out.put("role", "assistant");
        out.put("model", modelOf(root, requestedModel));
        ArrayNode content = out.putArray("content");

        String reasoning = nonEmptyText(message.get("reasoning_content"));
        if (reasoning == null) {
            reasoning = nonEmptyText(message.get("reasoning"));
        }
        if (reasoning != null) {
            ObjectNode b = content.addObject();
            b.put("type", "thinking");
            b.put("thinking", reasoning);
        }
        String text = messageText(message.get("content"));
        if (!text.isEmpty()) {
            ObjectNode b = content.addObject();
            b.put("type", "text");
            b.put("text", text);
        }
        JsonNode toolCalls = message.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray()) {
            for (JsonNode call : toolCalls) {
                JsonNode fn = call.get("function");
                if (fn == null || !fn.isObject()) {
                    continue;
                }
                ObjectNode b = content.addObject();
                b.put("type", "tool_use");
                String id = nonEmptyText(call.get("id"));
                b.put("id", id != null ? id : MessageIds.toolUseId());
                b.put("name", fn.path("name").asText(""));
                b.set("input", toolInput(fn.get("arguments")));
            }
        }
        if (content.isEmpty()) {
            ObjectNode b = content.addObject();
            b.put("type", "text");
            b.put("text", "");
        }
        out.put("stop_reason", stopReason(text(choice.get("finish_reason"))));
        out.putNull("stop_sequence");
        ObjectNode usage = out.putObject("usage");
        JsonNode u = root.path("usage");
        usage.put("input_tokens", u.path("prompt_tokens").asInt(0));
        usage.put("output_tokens", u.path("completion_tokens").asInt(0));
        return Jsons.bytes(out);
    }

    static String modelOf(JsonNode chunk, String requestedModel) {
        String model = text(chunk.get("model"));
        if (model != null && !model.isEmpty()) {
            return model;
        }
        return requestedModel != null && !requestedModel.isEmpty() ? requestedModel : "unknown";
    }

    /** Message content: a string, or the text of content parts; else empty. */
    private static String messageText(JsonNode content) {
        if (content == null) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        StringBuilder sb = new StringBuilder();
        if (content.isArray()) {
            for (JsonNode part : content) {
                String t = text(part.get("text"));
                if (t != null) {
                    sb.append(t);
                }
            }
        }
        return sb.toString();
    }

    /** Tool arguments (a JSON string, or already an object) as an input object; anything unparseable gives {}. */
    static ObjectNode toolInput(JsonNode arguments) {
        if (arguments != null && arguments.isObject()) {
            return (ObjectNode) arguments.deepCopy();
        }
        JsonNode parsed = Jsons.read(text(arguments));
        return parsed != null && parsed.isObject() ? (ObjectNode) parsed : Jsons.object();
    }

    /** OpenAI {@code finish_reason} to Anthropic {@code stop_reason}. */
    static String stopReason(String finishReason) {
        if (finishReason == null) {
            return "end_turn";
        }
        return switch (finishReason) {
            case "tool_calls" -> "tool_use";
            case "length" -> "max_tokens";
            default -> "end_turn";
        };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Streaming

    /**
     * A converter for one streamed response. {@code estimatedInputTokens} goes into {@code message_start} (and into
     * {@code message_delta} unless the backend reports {@code prompt_tokens}).
     */
    public static StreamConverter streamConverter(String requestedModel, int estimatedInputTokens) {
        return new OpenAiStreamConverter(requestedModel, estimatedInputTokens);
    }

    // ---------------------------------------------------------------------------------------------------------------

    static TranslationException bad(String message) {
        return new TranslationException(400, message);
    }

    private static TranslationException unparseable(String what) {
        return bad(UNPARSEABLE + what);
    }

    private static void requireType(JsonNode node, String field, String expected,
            java.util.function.Predicate<JsonNode> ok) throws TranslationException {
        if (node != null && !node.isNull() && !ok.test(node)) {
            throw unparseable(field + " must be " + expected + ", got " + Jsons.goType(node));
        }
    }

    private static boolean allTextual(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }

    static boolean allObjects(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isObject()) {
                return false;
            }
        }
        return true;
    }

    static boolean present(JsonNode node) {
        return node != null && !node.isNull();
    }

    /** Go's {@code %f}. */
    private static String goFloat(double d) {
        return String.format(Locale.ROOT, "%f", d);
    }
}
