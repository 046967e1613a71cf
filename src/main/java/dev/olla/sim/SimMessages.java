package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The Anthropic Messages API of the servers that have one ({@link SimulatedBackend#speaksMessages()}:
 * Ollama from 0.14.0, vLLM from 0.11.1, llama.cpp), as llama.cpp's captured answers show it
 * ({@code ../shared/fixtures/llamacpp/v1_messages*}): {@code POST /v1/messages} plain and streamed
 * (text, or a {@code tool_use} block when tools are offered, see {@link SimTools}); llama.cpp also
 * {@code /v1/messages/count_tokens}, {@code /tokenize} and {@code /apply-template}.
 */
final class SimMessages {
    /** What llama.cpp's chat template adds around a conversation, in tokens (the capture: 22 + 1 for "Hello"). */
    static final int TEMPLATE_TOKENS = 22;

    private static final String EVENT_STREAM = "text/event-stream";

    private SimMessages() {
    }

    /** Handles the request when it is one of these routes; false otherwise. */
    static boolean dispatch(SimHandler h, SimRequest ex) {
        SimulatedBackend sim = h.sim();
        if (!ex.method.equals("POST")) {
            return false;
        }
        boolean llama = sim.flavor() == SimFlavor.LLAMACPP;
        switch (ex.path) {
            case "/v1/messages" -> {
                if (!sim.speaksMessages()) {
                    return false;
                }
                messages(h, ex);
            }
            case "/v1/messages/count_tokens" -> {
                if (!llama) {
                    return false;
                }
                JsonNode j = body(h, ex);
                if (j != null) {
                    reply(h, "{\"input_tokens\":" + (TEMPLATE_TOKENS + Math.max(1, GenerationRequest.promptTokens(j) - 4 * j.path("messages").size())) + "}");
                }
            }
            case "/tokenize" -> {
                if (!llama) {
                    return false;
                }
                JsonNode j = body(h, ex);
                if (j != null) {
                    ObjectNode out = Wire.MAPPER.createObjectNode();
                    var tokens = out.putArray("tokens");
                    String text = j.path("content").asText("");
                    for (int i = 0; i < Math.max(text.isEmpty() ? 0 : 1, text.length() / 4); i++) {
                        tokens.add(100 + i);
                    }
                    reply(h, out.toString());
                }
            }
            case "/apply-template" -> {
                if (!llama) {
                    return false;
                }
                JsonNode j = body(h, ex);
                if (j != null) {
                    StringBuilder prompt = new StringBuilder();
                    for (JsonNode m : j.path("messages")) {
                        prompt.append("<|im_start|>").append(m.path("role").asText()).append('\n')
                                .append(m.path("content").asText("")).append("<|im_end|>\n");
                    }
                    prompt.append("<|im_start|>assistant\n");
                    reply(h, Wire.MAPPER.createObjectNode().put("prompt", prompt.toString()).toString());
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void messages(SimHandler h, SimRequest ex) {
        SimulatedBackend sim = h.sim();
        JsonNode j = body(h, ex);
        if (j == null) {
            return;
        }
        String requested = j.path("model").asText("");
        SimModel model = Routes.find(sim, requested);
        if (model == null && sim.flavor() == SimFlavor.LLAMACPP && !sim.models().isEmpty()) {
            model = sim.models().get(0);
        }
        if (model == null) {
            error(h, 404, "not_found_error", "model '" + requested + "' not found");
            return;
        }
        if (!j.path("messages").isArray() || !j.path("max_tokens").canConvertToInt()) {
            error(h, 400, "invalid_request_error", "messages and max_tokens are required");
            return;
        }
        String name = sim.flavor() == SimFlavor.OLLAMA ? requested : model.name();
        int n = sim.tokens();
        String stop = "end_turn";
        int max = j.path("max_tokens").asInt();
        if (max > 0 && max <= n) {
            n = max;
            stop = "max_tokens";
        }
        int input = GenerationRequest.promptTokens(j);
        String id = (sim.flavor() == SimFlavor.LLAMACPP ? "chatcmpl-" : "msg_") + Gen.randomAlnum(24);
        SimTools.Call call = toolCall(j);
        boolean stream = j.path("stream").asBoolean(false);
        String fault = errorJson("api_error", Wire.generationFaultMessage(sim.flavor()));
        if (call == null && sim.faults().takeErrorBody200()) {
            // a 200 whose body is the Messages API's error object, streamed or not
            sim.stats().faultInjected();
            h.sendFull(200, "application/json; charset=utf-8", SimTools.utf8(h, fault), false);
            return;
        }
        if (!stream) {
            ObjectNode out = Wire.MAPPER.createObjectNode();
            out.put("id", id).put("type", "message").put("role", "assistant");
            var content = out.putArray("content");
            if (call != null) {
                content.addObject().put("type", "tool_use").put("id", call.id()).put("name", call.name())
                        .set("input", call.arguments());
                stop = "tool_use";
            } else {
                content.addObject().put("type", "text").put("text", SimulatedBackend.expectedText(n));
            }
            out.put("model", name).put("stop_reason", stop).putNull("stop_sequence");
            out.putObject("usage").put("input_tokens", input).put("output_tokens", n);
            h.sendFull(200, "application/json; charset=utf-8", SimTools.utf8(h, out.toString()), false);
            return;
        }
        List<String> events = new ArrayList<>();
        ObjectNode start = Wire.MAPPER.createObjectNode().put("type", "message_start");
        ObjectNode msg = start.putObject("message");
        msg.put("id", id).put("type", "message").put("role", "assistant");
        msg.putArray("content");
        msg.put("model", name).putNull("stop_reason").putNull("stop_sequence");
        msg.putObject("usage").put("input_tokens", input).put("output_tokens", 0);
        events.add(event(start));
        ObjectNode blockStart = Wire.MAPPER.createObjectNode().put("type", "content_block_start").put("index", 0);
        if (call != null) {
            blockStart.putObject("content_block").put("type", "tool_use").put("id", call.id()).put("name", call.name())
                    .putObject("input");
            events.add(event(blockStart));
            String args = call.argumentsJson();
            int half = args.length() / 2;
            for (String part : new String[] {args.substring(0, half), args.substring(half)}) {
                ObjectNode d = Wire.MAPPER.createObjectNode().put("type", "content_block_delta").put("index", 0);
                d.putObject("delta").put("type", "input_json_delta").put("partial_json", part);
                events.add(event(d));
            }
            stop = "tool_use";
        } else {
            blockStart.putObject("content_block").put("type", "text").put("text", "");
            events.add(event(blockStart));
            for (int i = 0; i < n; i++) {
                ObjectNode d = Wire.MAPPER.createObjectNode().put("type", "content_block_delta").put("index", 0);
                d.putObject("delta").put("type", "text_delta").put("text", SimulatedBackend.tokenText(i));
                events.add(event(d));
            }
        }
        events.add(event(Wire.MAPPER.createObjectNode().put("type", "content_block_stop").put("index", 0)));
        ObjectNode delta = Wire.MAPPER.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stop).putNull("stop_sequence");
        delta.putObject("usage").put("output_tokens", n);
        events.add(event(delta));
        events.add(event(Wire.MAPPER.createObjectNode().put("type", "message_stop")));
        // text answers take the stream faults: message_start is the "role" piece, the deltas are the tokens
        h.sendEvents(call != null ? PieceStream.Script.plain(EVENT_STREAM, events)
                : new PieceStream.Script(EVENT_STREAM, events, 2, "event: error\ndata: " + fault + "\n\n"));
    }

    /** The Messages API's error object: {@code {"type":"error","error":{"type":...,"message":...}}}. */
    private static String errorJson(String type, String message) {
        ObjectNode out = Wire.MAPPER.createObjectNode().put("type", "error");
        out.putObject("error").put("type", type).put("message", message);
        return out.toString();
    }

    /** A tool call when the request offers tools and its last message carries no tool result. */
    private static SimTools.Call toolCall(JsonNode j) {
        JsonNode messages = j.path("messages");
        if (messages.isArray() && !messages.isEmpty()) {
            JsonNode content = messages.get(messages.size() - 1).path("content");
            if (content.isArray()) {
                for (JsonNode block : content) {
                    if ("tool_result".equals(block.path("type").asText())) {
                        return null;
                    }
                }
            }
        }
        JsonNode choice = j.get("tool_choice");
        if (choice != null && "none".equals(choice.path("type").asText())) {
            return null;
        }
        ObjectNode offered = Wire.MAPPER.createObjectNode();
        offered.set("tools", j.path("tools"));
        SimTools.Call c = SimTools.plan(offered);
        return c == null ? null : new SimTools.Call("toolu_" + Gen.randomAlnum(24), c.name(), c.arguments());
    }

    private static String event(ObjectNode e) {
        return "event: " + e.path("type").asText() + "\ndata: " + e + "\n\n";
    }

    private static JsonNode body(SimHandler h, SimRequest ex) {
        if (ex.json == null || !ex.json.isObject()) {
            error(h, 400, "invalid_request_error", ex.jsonError != null ? "invalid JSON: " + ex.jsonError
                    : "request body must be a JSON object");
            return null;
        }
        return ex.json;
    }

    private static void reply(SimHandler h, String json) {
        h.sendFull(200, "application/json; charset=utf-8", SimTools.utf8(h, json), false);
    }

    private static void error(SimHandler h, int status, String type, String message) {
        h.sendFull(status, "application/json; charset=utf-8", SimTools.utf8(h, errorJson(type, message)), false);
    }

    /** True when {@code version} is at least {@code minimum} (numeric parts in order; unknown = false). */
    static boolean atLeast(String version, String minimum) {
        if (version == null) {
            return false;
        }
        String[] v = version.replaceFirst("^[vV]", "").split("[^0-9]+");
        String[] m = minimum.split("\\.");
        for (int i = 0; i < m.length; i++) {
            long a = i < v.length && !v[i].isEmpty() ? Long.parseLong(v[i]) : 0;
            long b = Long.parseLong(m[i]);
            if (a != b) {
                return a > b;
            }
        }
        return true;
    }
}
