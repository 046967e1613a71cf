package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Tool calling, as a model that always uses the tools it is offered: when a chat request carries
 * {@code tools} (and {@code tool_choice} is not {@code none}) and its last message is not a tool
 * result, the answer is one call of the first tool (or the one {@code tool_choice} names), with
 * arguments made from the tool's JSON schema (string {@code "sim"}, numbers {@code 1}, booleans
 * {@code true}). After a tool result the model answers with text as usual. OpenAI chat completions
 * (plain and streamed, any flavour) and Ollama's {@code /api/chat}.
 */
final class SimTools {
    private SimTools() {
    }

    /** The tool to call: its name and JSON arguments. */
    record Call(String id, String name, ObjectNode arguments) {
        String argumentsJson() {
            return arguments.toString();
        }
    }

    /** The tool call this OpenAI or Ollama chat request gets, or null for a text answer. */
    static Call plan(JsonNode req) {
        JsonNode tools = req.path("tools");
        if (!tools.isArray() || tools.isEmpty()) {
            return null;
        }
        JsonNode choice = req.get("tool_choice");
        if (choice != null && choice.isTextual() && choice.asText().equals("none")) {
            return null;
        }
        JsonNode messages = req.path("messages");
        if (messages.isArray() && !messages.isEmpty() && "tool".equals(messages.get(messages.size() - 1).path("role").asText())) {
            return null;
        }
        String wanted = choice != null && choice.isObject() ? choice.path("function").path("name").asText(null) : null;
        JsonNode pick = null;
        for (JsonNode t : tools) {
            JsonNode fn = t.has("function") ? t.get("function") : t;
            if (pick == null || fn.path("name").asText("").equals(wanted)) {
                pick = fn;
            }
        }
        if (pick == null || pick.path("name").asText("").isEmpty()) {
            return null;
        }
        JsonNode schema = pick.has("parameters") ? pick.get("parameters") : pick.path("input_schema");
        return new Call("call_" + Gen.randomAlnum(24), pick.path("name").asText(), arguments(schema));
    }

    /** Arguments for a JSON schema: every property with a value of its type. */
    static ObjectNode arguments(JsonNode schema) {
        ObjectNode args = Wire.MAPPER.createObjectNode();
        JsonNode props = schema.path("properties");
        props.fieldNames().forEachRemaining(name -> {
            switch (props.path(name).path("type").asText("string")) {
                case "integer", "number" -> args.put(name, 1);
                case "boolean" -> args.put(name, true);
                case "array" -> args.putArray(name);
                case "object" -> args.putObject(name);
                default -> args.put(name, "sim");
            }
        });
        return args;
    }

    /** Answers an OpenAI chat completion request with the tool call (streamed as chunks when asked). */
    static void openAi(SimHandler h, JsonNode req, String model, int promptTokens, Call call) {
        String id = "chatcmpl-" + Gen.randomAlnum(29);
        long created = System.currentTimeMillis() / 1000;
        boolean stream = req.path("stream").asBoolean(false);
        if (!stream) {
            ObjectNode out = base(id, "chat.completion", created, model);
            ObjectNode choice = out.putArray("choices").addObject();
            choice.put("index", 0);
            ObjectNode msg = choice.putObject("message");
            msg.put("role", "assistant");
            msg.putNull("content");
            ObjectNode tc = msg.putArray("tool_calls").addObject();
            tc.put("id", call.id());
            tc.put("type", "function");
            tc.putObject("function").put("name", call.name()).put("arguments", call.argumentsJson());
            choice.put("finish_reason", "tool_calls");
            usage(out.putObject("usage"), promptTokens);
            h.sendFull(200, Wire.jsonType(h.sim().flavor()), utf8(h, out.toString()), false);
            return;
        }
        List<String> pieces = new ArrayList<>();
        ObjectNode first = base(id, "chat.completion.chunk", created, model);
        ObjectNode d0 = first.putArray("choices").addObject().put("index", 0).putObject("delta");
        d0.put("role", "assistant");
        ObjectNode tc0 = d0.putArray("tool_calls").addObject();
        tc0.put("index", 0).put("id", call.id()).put("type", "function");
        tc0.putObject("function").put("name", call.name()).put("arguments", "");
        ((ObjectNode) first.path("choices").get(0)).putNull("finish_reason");
        pieces.add(sse(first));
        String args = call.argumentsJson();
        int half = args.length() / 2;
        for (String part : new String[] {args.substring(0, half), args.substring(half)}) {
            ObjectNode c = base(id, "chat.completion.chunk", created, model);
            ObjectNode ch = c.putArray("choices").addObject().put("index", 0);
            ch.putObject("delta").putArray("tool_calls").addObject().put("index", 0)
                    .putObject("function").put("arguments", part);
            ch.putNull("finish_reason");
            pieces.add(sse(c));
        }
        ObjectNode last = base(id, "chat.completion.chunk", created, model);
        ObjectNode lc = last.putArray("choices").addObject().put("index", 0);
        lc.putObject("delta");
        lc.put("finish_reason", "tool_calls");
        pieces.add(sse(last));
        if (req.path("stream_options").path("include_usage").asBoolean(false)) {
            ObjectNode u = base(id, "chat.completion.chunk", created, model);
            u.putArray("choices");
            usage(u.putObject("usage"), promptTokens);
            pieces.add(sse(u));
        }
        pieces.add("data: [DONE]\n\n");
        h.sendPieces("text/event-stream", pieces);
    }

    /** Answers an Ollama {@code /api/chat} request with the tool call (NDJSON when streamed, Ollama's default). */
    static void ollama(SimHandler h, JsonNode req, String model, Call call) {
        boolean stream = req.path("stream").asBoolean(true);
        ObjectNode msg = Wire.MAPPER.createObjectNode();
        msg.put("role", "assistant").put("content", "");
        ObjectNode fn = msg.putArray("tool_calls").addObject().putObject("function");
        fn.put("name", call.name());
        fn.set("arguments", call.arguments());
        ObjectNode done = Wire.MAPPER.createObjectNode();
        done.put("model", model).put("created_at", java.time.Instant.now().toString());
        if (!stream) {
            done.set("message", msg);
            done.put("done_reason", "stop").put("done", true);
            h.sendFull(200, "application/json; charset=utf-8", utf8(h, done.toString()), false);
            return;
        }
        ObjectNode part = done.deepCopy();
        part.set("message", msg);
        part.put("done", false);
        done.putObject("message").put("role", "assistant").put("content", "");
        done.put("done_reason", "stop").put("done", true);
        h.sendPieces("application/x-ndjson", List.of(part + "\n", done + "\n"));
    }

    private static ObjectNode base(String id, String object, long created, String model) {
        ObjectNode o = Wire.MAPPER.createObjectNode();
        o.put("id", id).put("object", object).put("created", created).put("model", model);
        return o;
    }

    private static void usage(ObjectNode u, int promptTokens) {
        u.put("prompt_tokens", promptTokens).put("completion_tokens", 8).put("total_tokens", promptTokens + 8);
    }

    static String sse(JsonNode event) {
        return "data: " + event + "\n\n";
    }

    static io.netty.buffer.ByteBuf utf8(SimHandler h, String s) {
        io.netty.buffer.ByteBuf b = h.buffer();
        b.writeCharSequence(s, java.nio.charset.StandardCharsets.UTF_8);
        return b;
    }
}
