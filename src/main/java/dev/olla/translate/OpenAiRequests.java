package dev.olla.translate;

import static dev.olla.translate.AnthropicTranslator.present;
import static dev.olla.translate.Jsons.nonEmptyText;
import static dev.olla.translate.Jsons.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * An Anthropic Messages request as an OpenAI chat-completions request: system prompt, messages (text, images as
 * {@code image_url} parts, tool use and tool results), sampling parameters, stop sequences, tools and tool choice.
 * Pure functions.
 */
final class OpenAiRequests {
    private OpenAiRequests() {
    }

    /**
     * The OpenAI chat-completions request (JSON bytes) for a parsed Anthropic request, for {@code /v1/chat/completions}.
     * Streaming requests also ask for {@code "stream_options":{"include_usage":true}}.
     */
    static byte[] of(AnthropicRequest req) {
        JsonNode json = req.json();
        ObjectNode out = Jsons.object();
        out.put("model", req.model());
        out.set("messages", convertMessages(json.get("system"), json.path("messages")));
        out.put("max_tokens", req.maxTokens());
        if (present(json.get("temperature"))) {
            out.set("temperature", json.get("temperature"));
        }
        if (present(json.get("top_p"))) {
            out.set("top_p", json.get("top_p"));
        }
        JsonNode stops = json.get("stop_sequences");
        if (stops != null && stops.isArray() && !stops.isEmpty()) {
            out.set("stop", stops.deepCopy());
        }
        out.put("stream", req.stream());
        if (req.stream()) {
            out.putObject("stream_options").put("include_usage", true);
        }
        if (req.hasTools()) {
            ArrayNode tools = out.putArray("tools");
            for (JsonNode tool : json.get("tools")) {
                ObjectNode fn = Jsons.object();
                fn.put("name", tool.path("name").asText(""));
                JsonNode description = tool.get("description");
                if (present(description)) {
                    fn.set("description", description);
                }
                JsonNode schema = tool.get("input_schema");
                if (present(schema)) {
                    fn.set("parameters", schema.deepCopy());
                }
                ObjectNode t = tools.addObject();
                t.put("type", "function");
                t.set("function", fn);
            }
            JsonNode toolChoice = json.get("tool_choice");
            if (present(toolChoice)) {
                out.set("tool_choice", convertToolChoice(toolChoice));
            }
        }
        return Jsons.bytes(out);
    }

    private static ArrayNode convertMessages(JsonNode system, JsonNode messages) {
        ArrayNode out = Jsons.array();
        String systemText = systemText(system);
        if (!systemText.isEmpty()) {
            ObjectNode m = out.addObject();
            m.put("role", "system");
            m.put("content", systemText);
        }
        for (JsonNode message : messages) {
            String role = message.path("role").asText("");
            JsonNode content = message.get("content");
            if (content == null) {
                continue;
            }
            if (content.isTextual()) {
                if (!content.textValue().isEmpty()) {
                    ObjectNode m = out.addObject();
                    m.put("role", role);
                    m.put("content", content.textValue());
                }
                continue;
            }
            JsonNode blocks = content;
            if (content.isObject()) {
                blocks = Jsons.array().add(content);
            }
            if (!blocks.isArray()) {
                continue;
            }
            if ("user".equals(role)) {
                convertUser(blocks, out);
            } else if ("assistant".equals(role)) {
                convertAssistant(blocks, out);
            }
        }
        return out;
    }

    /**
     * Tool results become {@code tool} messages placed before the user's content. Without images the user's
     * text blocks are concatenated into one string; with images the content is an array of OpenAI parts in
     * block order: {@code text} and {@code image_url} ({@code data:<media_type>;base64,<data>} for a base64
     * source, the URL itself for a {@code url} source). Dropped, because OpenAI chat completions has no
     * equivalent: {@code document} blocks (PDF, plain text), {@code file} sources (Anthropic's Files API),
     * {@code search_result}, {@code container_upload}, and images inside a tool result (a {@code tool}
     * message carries text only).
     */
    private static void convertUser(JsonNode blocks, ArrayNode out) {
        StringBuilder textParts = new StringBuilder();
        ArrayNode parts = Jsons.array();
        boolean images = false;
        for (JsonNode block : blocks) {
            if (!block.isObject()) {
                continue;
            }
            String type = block.path("type").asText("");
            if ("text".equals(type)) {
                String t = nonEmptyText(block.get("text"));
                if (t != null) {
                    textParts.append(t);
                    parts.addObject().put("type", "text").put("text", t);
                }
            } else if ("image".equals(type)) {
                String url = imageUrl(block.path("source"));
                if (url != null) {
                    images = true;
                    parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
                }
            } else if ("tool_result".equals(type)) {
                ObjectNode m = out.addObject();
                m.put("role", "tool");
                m.put("tool_call_id", block.path("tool_use_id").asText(""));
                m.put("content", toolResultContent(block));
            }
            // anything else is dropped (see above).
        }
        if (images) {
            ObjectNode m = out.addObject();
            m.put("role", "user");
            m.set("content", parts);
        } else if (!textParts.isEmpty()) {
            ObjectNode m = out.addObject();
            m.put("role", "user");
            m.put("content", textParts.toString());
        }
    }

    /** The OpenAI {@code image_url.url} for an Anthropic image source, or null when it has none. */
    static String imageUrl(JsonNode source) {
        String kind = source.path("type").asText("");
        if ("base64".equals(kind)) {
            String data = nonEmptyText(source.get("data"));
            if (data == null) {
                return null;
            }
            String media = nonEmptyText(source.get("media_type"));
            return "data:" + (media == null ? "image/png" : media) + ";base64," + data;
        }
        if ("url".equals(kind)) {
            return nonEmptyText(source.get("url"));
        }
        return null;
    }

    private static String toolResultContent(JsonNode block) {
        JsonNode c = block.get("content");
        String content;
        if (c == null || c.isNull()) {
            content = "";
        } else if (c.isTextual()) {
            content = c.textValue();
        } else {
            content = Jsons.string(c);
        }
        if (block.path("is_error").asBoolean(false) && !content.toLowerCase(Locale.ROOT).startsWith("error")) {
            content = "Error: " + content;
        }
        return content;
    }

    private static void convertAssistant(JsonNode blocks, ArrayNode out) {
        StringBuilder text = new StringBuilder();
        ArrayNode toolCalls = Jsons.array();
        for (JsonNode block : blocks) {
            if (!block.isObject()) {
                continue;
            }
            String type = block.path("type").asText("");
            if ("text".equals(type)) {
                String t = text(block.get("text"));
                if (t != null) {
                    text.append(t);
                }
            } else if ("tool_use".equals(type)) {
                String id = nonEmptyText(block.get("id"));
                String name = nonEmptyText(block.get("name"));
                if (id == null || name == null) {
                    continue;
                }
                JsonNode input = block.get("input");
                ObjectNode call = toolCalls.addObject();
                call.put("id", id);
                call.put("type", "function");
                ObjectNode fn = call.putObject("function");
                fn.put("name", name);
                fn.put("arguments", input == null || input.isNull() ? "{}" : Jsons.string(input));
            }
        }
        ObjectNode m = out.addObject();
        m.put("role", "assistant");
        if (!text.isEmpty()) {
            m.put("content", text.toString());
        } else if (!toolCalls.isEmpty()) {
            m.putNull("content");
        } else {
            m.put("content", "");
        }
        if (!toolCalls.isEmpty()) {
            m.set("tool_calls", toolCalls);
        }
    }

    private static JsonNode convertToolChoice(JsonNode choice) {
        String type = choice.isTextual() ? choice.textValue() : choice.isObject() ? text(choice.get("type")) : null;
        if (type == null) {
            return Jsons.NODES.textNode("auto");
        }
        switch (type) {
            case "any":
                return Jsons.NODES.textNode("required");
            case "none":
                return Jsons.NODES.textNode("none");
            case "tool":
                String name = choice.isObject() ? text(choice.get("name")) : null;
                if (name != null) {
                    ObjectNode fn = Jsons.object();
                    fn.put("type", "function");
                    fn.putObject("function").put("name", name);
                    return fn;
                }
                return Jsons.NODES.textNode("auto");
            default:
                return Jsons.NODES.textNode("auto");
        }
    }

    /** System prompt text: a string, or its text blocks concatenated without separator. */
    static String systemText(JsonNode system) {
        if (system == null) {
            return "";
        }
        if (system.isTextual()) {
            return system.textValue();
        }
        StringBuilder sb = new StringBuilder();
        if (system.isArray()) {
            for (JsonNode block : system) {
                if ("text".equals(text(block.get("type")))) {
                    String t = text(block.get("text"));
                    if (t != null) {
                        sb.append(t);
                    }
                }
            }
        }
        return sb.toString();
    }
}
