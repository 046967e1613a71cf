package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

import static dev.olla.sim.Routes.find;
import static dev.olla.sim.Routes.modelNotFound;
import static dev.olla.sim.Routes.object;
import static dev.olla.sim.Routes.send;
import static dev.olla.sim.Routes.text;

/**
 * A generation request (OpenAI chat and completions, Ollama chat and generate) read as the flavour reads it:
 * its validation errors, the model it names (llama.cpp serves its one model whatever the name), a tool call
 * when tools are offered ({@link SimTools}), Ollama's load-only answer to an empty prompt; else a {@link Gen}
 * (token count, finish reason, stream flag) run by {@link Generation}. Event loop only.
 */
final class GenerationRequest {
    private static final int EMPTY_PROMPT_TOKENS = 1;

    private GenerationRequest() {
    }

    /** Answers a chat, completion or Ollama chat/generate request ({@code streamDefault}: Ollama's native routes). */
    static void answer(SimHandler h, SimRequest ex, Gen.Kind kind, boolean streamDefault) {
        SimulatedBackend sim = h.sim();
        SimFlavor f = sim.flavor();
        JsonNode j = object(h, ex);
        if (j == null) {
            return;
        }
        String requested = text(j, "model");
        SimModel model;
        String echo;
        if (f == SimFlavor.LLAMACPP) {
            if (kind == Gen.Kind.CHAT && !j.has("messages")) {
                h.sendError(400, "'messages' is required", null, null);
                return;
            }
            if (kind == Gen.Kind.COMPLETION && !j.has("prompt")) {
                h.sendError(400, "\"prompt\" must be provided", null, null);
                return;
            }
            SimModel found = requested == null ? null : find(sim, requested);
            List<SimModel> all = sim.models();
            model = found != null ? found : all.isEmpty() ? SimModel.of(requested == null ? "default" : requested) : all.get(0);
            echo = model.name();
        } else {
            if (requested == null || requested.isBlank()) {
                h.sendError(400, f == SimFlavor.OLLAMA && !ex.path.startsWith("/v1/") ? "model is required"
                        : "you must provide a model parameter", "model", null);
                return;
            }
            model = find(sim, requested);
            if (model == null) {
                modelNotFound(h, ex, requested);
                return;
            }
            echo = f == SimFlavor.OLLAMA ? requested : model.name();
        }
        if ((kind == Gen.Kind.OLLAMA_CHAT || kind == Gen.Kind.OLLAMA_GENERATE) && model.type() == SimModel.Type.EMBEDDINGS) {
            h.sendError(400, "\"" + requested + "\" does not support " + (kind == Gen.Kind.OLLAMA_CHAT ? "chat" : "generate"), null, null);
            return;
        }
        SimTools.Call call = kind == Gen.Kind.CHAT || kind == Gen.Kind.OLLAMA_CHAT ? SimTools.plan(j) : null;
        if (call != null) {
            if (kind == Gen.Kind.CHAT) {
                SimTools.openAi(h, j, echo, promptTokens(j), call);
            } else {
                SimTools.ollama(h, j, echo, call);
            }
            return;
        }
        if ((kind == Gen.Kind.OLLAMA_CHAT && j.path("messages").size() == 0)
                || (kind == Gen.Kind.OLLAMA_GENERATE && j.path("prompt").asText("").isEmpty())) {
            send(h, b -> AnswerWire.ollamaLoad(b, kind, echo));
            return;
        }
        int n = sim.tokens();
        String finish = "stop";
        int limit = firstPositive(j.get("max_tokens"), j.get("max_completion_tokens"), j.get("n_predict"),
                j.path("options").get("num_predict"));
        if (limit > 0 && limit <= n) {
            n = limit;
            finish = "length";
        }
        JsonNode s = j.get("stream");
        boolean stream = s == null || s.isNull() ? streamDefault : s.asBoolean(streamDefault);
        boolean includeUsage = j.path("stream_options").path("include_usage").asBoolean(false);
        Gen g = new Gen(f, kind, model, echo, promptTokens(j), n, finish, includeUsage, ex.path.startsWith("/api/v0/"));
        Generation.run(h, g, stream);
    }

    private static int firstPositive(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n != null && n.isNumber() && n.asInt() > 0) {
                return n.asInt();
            }
        }
        return 0;
    }

    /** A deterministic prompt-size estimate: about 4 characters a token, plus a few per message. */
    static int promptTokens(JsonNode j) {
        long chars = 0;
        int messages = 0;
        for (JsonNode m : j.path("messages")) {
            messages++;
            JsonNode c = m.path("content");
            if (c.isTextual()) {
                chars += c.asText().length();
            } else {
                for (JsonNode part : c) {
                    chars += part.path("text").asText("").length();
                }
            }
        }
        JsonNode p = j.get("prompt");
        if (p != null) {
            if (p.isArray()) {
                for (JsonNode e : p) {
                    chars += e.isTextual() ? e.asText().length() : 4;
                }
            } else {
                chars += p.asText("").length();
            }
        }
        chars += j.path("system").asText("").length();
        return (int) Math.max(EMPTY_PROMPT_TOKENS, chars / 4 + messages * 4L);
    }
}
