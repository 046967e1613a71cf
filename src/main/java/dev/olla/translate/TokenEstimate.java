package dev.olla.translate;

import static dev.olla.translate.Jsons.text;
import static dev.olla.translate.Jsons.utf8Length;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The original's character-based token estimate (chars/4, at least 1), with chars counted as UTF-8 bytes like Go's
 * {@code len}: system text, message text and content blocks (text, tool_use name + input JSON, tool_result content),
 * and tools (name, description, input_schema JSON).
 */
final class TokenEstimate {
    private TokenEstimate() {}

    static int ofRequest(JsonNode request) {
        long chars = utf8Length(AnthropicTranslator.systemText(request.get("system")));
        JsonNode messages = request.get("messages");
        if (messages != null && messages.isArray()) {
            for (JsonNode message : messages) {
                chars += contentChars(message.get("content"), 0);
            }
        }
        JsonNode tools = request.get("tools");
        if (tools != null && tools.isArray()) {
            for (JsonNode tool : tools) {
                chars += lengthOf(text(tool.get("name")));
                chars += lengthOf(text(tool.get("description")));
                JsonNode schema = tool.get("input_schema");
                if (schema != null && !schema.isNull()) {
                    chars += utf8Length(Jsons.string(schema));
                }
            }
        }
        return tokens(chars);
    }

    static int tokens(long chars) {
        long t = chars / 4;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, t));
    }

    private static long contentChars(JsonNode content, int depth) {
        if (content == null || depth > 8) {
            return 0;
        }
        if (content.isTextual()) {
            return utf8Length(content.textValue());
        }
        long chars = 0;
        if (content.isArray()) {
            for (JsonNode block : content) {
                chars += blockChars(block, depth);
            }
        } else if (content.isObject()) {
            chars += blockChars(content, depth);
        }
        return chars;
    }

    private static long blockChars(JsonNode block, int depth) {
        String type = text(block.get("type"));
        if (type == null) {
            return 0;
        }
        switch (type) {
            case "text":
                return lengthOf(text(block.get("text")));
            case "tool_use": {
                long chars = lengthOf(text(block.get("name")));
                JsonNode input = block.get("input");
                if (input != null && input.isObject()) {
                    chars += utf8Length(Jsons.string(input));
                }
                return chars;
            }
            case "tool_result":
                return contentChars(block.get("content"), depth + 1);
            default:
                return 0;
        }
    }

    private static long lengthOf(String s) {
        return s == null ? 0 : utf8Length(s);
    }
}
