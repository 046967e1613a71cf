package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Maps a request to its answer, per flavour. Runs on the connection's event loop. */
final class Routes {
    private Routes() {
    }

    private static final int EMPTY_PROMPT_TOKENS = 1;

    static void dispatch(SimHandler h, SimRequest ex) {
        SimulatedBackend sim = h.sim();
        SimFlavor f = sim.flavor();
        String method = ex.method;
        String path = ex.path;
        boolean get = method.equals("GET") || method.equals("HEAD");
        boolean post = method.equals("POST");

        if (f == SimFlavor.LLAMACPP && method.equals("OPTIONS")) {
            preflight(h, ex);
            return;
        }
        SimFaults faults = sim.faults();
        boolean health = get && f.isHealthRoute(path);
        if (health && faults.healthStatus() != 0) {
            int s = faults.healthStatus();
            if (f == SimFlavor.VLLM) {
                h.sendFull(s, null, h.buffer(), false);
            } else {
                h.sendError(s, Wire.faultMessage(f, s), null, null);
            }
            return;
        }
        if (!health && faults.httpError() != 0) {
            int s = faults.httpError();
            h.sendError(s, Wire.faultMessage(f, s), null, null);
            return;
        }

        if (SimMessages.dispatch(h, ex)) {
            return;
        }
        boolean handled = switch (f) {
            case OLLAMA -> ollama(h, ex, get, post) || openAi(h, ex, get, post);
            case OPENAI -> (get && path.equals("/health") && json(h, "{\"status\":\"ok\"}")) || openAi(h, ex, get, post);
            case VLLM -> vllm(h, ex, get) || openAi(h, ex, get, post);
            case LMSTUDIO -> lmStudio(h, ex, get, post) || openAi(h, ex, get, post);
            case LLAMACPP -> llamaCpp(h, ex, get, post);
        };
        if (!handled) {
            unknownRoute(h, ex);
        }
    }

    // ------------------------------------------------------------------------------------------ per flavour

    private static boolean ollama(SimHandler h, SimRequest ex, boolean get, boolean post) {
        List<SimModel> models = h.sim().models();
        String p = ex.path;
        if (get) {
            switch (p) {
                case "/" -> {
                    h.sendFull(200, "text/plain; charset=utf-8", ascii(h, "Ollama is running"), false);
                    return true;
                }
                case "/api/tags" -> {
                    modelList(h, b -> ModelListWire.ollamaTags(b, models));
                    return true;
                }
                case "/api/ps" -> {
                    modelList(h, b -> ModelListWire.ollamaPs(b, models));
                    return true;
                }
                case "/api/version" -> {
                    return json(h, "{\"version\":\"" + h.sim().version() + "\"}");
                }
                default -> {
                    return false;
                }
            }
        }
        if (!post) {
            return false;
        }
        switch (p) {
            case "/api/chat" -> completion(h, ex, Gen.Kind.OLLAMA_CHAT, true);
            case "/api/generate" -> completion(h, ex, Gen.Kind.OLLAMA_GENERATE, true);
            case "/api/embed" -> embeddings(h, ex, Embed.OLLAMA);
            case "/api/embeddings" -> embeddings(h, ex, Embed.OLLAMA_LEGACY);
            case "/api/show" -> {
                JsonNode j = object(h, ex);
                if (j == null) {
                    return true;
                }
                String name = text(j, "model");
                if (name == null) {
                    name = text(j, "name");
                }
                SimModel m = name == null ? null : find(h.sim(), name);
                if (m == null) {
                    h.sendError(404, "model '" + name + "' not found", null, null);
                } else {
                    send(h, b -> ModelListWire.ollamaShow(b, m));
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static boolean vllm(SimHandler h, SimRequest ex, boolean get) {
        if (!get) {
            return false;
        }
        switch (ex.path) {
            case "/health" -> {
                h.sendFull(200, null, h.buffer(), false);
                return true;
            }
            case "/version" -> {
                return json(h, "{\"version\":\"" + h.sim().version() + "\"}");
            }
            case "/metrics" -> {
                ByteBuf b = h.buffer();
                SlotWire.vllmMetrics(b, h.sim().slots(), h.sim().models());
                h.sendFull(200, "text/plain; version=0.0.4; charset=utf-8", b, false);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static boolean lmStudio(SimHandler h, SimRequest ex, boolean get, boolean post) {
        String p = ex.path;
        List<SimModel> models = h.sim().models();
        if (get && p.equals("/api/v0/models")) {
            modelList(h, b -> ModelListWire.lmStudioV0Models(b, models));
            return true;
        }
        if (get && p.startsWith("/api/v0/models/")) {
            String id = p.substring("/api/v0/models/".length());
            SimModel m = find(h.sim(), id);
            if (m == null) {
                modelNotFound(h, ex, id);
            } else {
                send(h, b -> ModelListWire.lmStudioV0Model(b, m));
            }
            return true;
        }
        if (post) {
            switch (p) {
                case "/api/v0/chat/completions" -> completion(h, ex, Gen.Kind.CHAT, false);
                case "/api/v0/completions" -> completion(h, ex, Gen.Kind.COMPLETION, false);
                case "/api/v0/embeddings" -> embeddings(h, ex, Embed.OPENAI);
                default -> {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean llamaCpp(SimHandler h, SimRequest ex, boolean get, boolean post) {
        String p = ex.path;
        List<SimModel> models = h.sim().models();
        if (get) {
            switch (p) {
                case "/health", "/v1/health" -> {
                    return json(h, "{\"status\":\"ok\"}");
                }
                case "/models", "/v1/models" -> {
                    modelList(h, b -> ModelListWire.openAiModels(b, SimFlavor.LLAMACPP, models));
                    return true;
                }
                case "/props" -> {
                    SimModel m = models.isEmpty() ? SimModel.of("model") : models.get(0);
                    send(h, b -> SlotWire.llamaProps(b, m, h.sim().slots().total()));
                    return true;
                }
                case "/slots" -> {
                    SimSlots slots = h.sim().slots();
                    if (ex.uri.contains("fail_on_no_slot=1") && slots.total() > 0 && slots.busy() >= slots.total()) {
                        // key order as captured (slots--all-busy-fail-on-no-slot)
                        h.sendFull(503, Wire.jsonType(SimFlavor.LLAMACPP), utf8(h,
                                "{\"error\":{\"code\":503,\"message\":\"no slot available\",\"type\":\"unavailable_error\"}}"),
                                false);
                        return true;
                    }
                    SimModel m = models.isEmpty() ? SimModel.of("model") : models.get(0);
                    send(h, b -> SlotWire.llamaSlots(b, slots, m));
                    return true;
                }
                case "/metrics" -> {
                    ByteBuf b = h.buffer();
                    SlotWire.llamaMetrics(b, h.sim().slots());
                    h.sendFull(200, "text/plain; version=0.0.4", b, false,
                            Map.of("Process-Start-Time-Unix", String.valueOf(h.sim().startedAtEpochSeconds())));
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }
        if (!post) {
            return false;
        }
        switch (p) {
            case "/v1/chat/completions", "/chat/completions" -> completion(h, ex, Gen.Kind.CHAT, false);
            case "/v1/completions", "/completions" -> completion(h, ex, Gen.Kind.COMPLETION, false);
            case "/v1/embeddings" -> embeddings(h, ex, Embed.OPENAI);
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The OpenAI-compatible routes every flavour but llama.cpp shares. */
    private static boolean openAi(SimHandler h, SimRequest ex, boolean get, boolean post) {
        String p = ex.path;
        SimulatedBackend sim = h.sim();
        if (get && p.equals("/v1/models")) {
            modelList(h, b -> ModelListWire.openAiModels(b, sim.flavor(), sim.models()));
            return true;
        }
        if (get && p.startsWith("/v1/models/")) {
            String id = p.substring("/v1/models/".length());
            SimModel m = find(sim, id);
            if (m == null) {
                modelNotFound(h, ex, id);
            } else {
                send(h, b -> ModelListWire.openAiModel(b, sim.flavor(), m));
            }
            return true;
        }
        if (!post) {
            return false;
        }
        switch (p) {
            case "/v1/chat/completions" -> completion(h, ex, Gen.Kind.CHAT, false);
            case "/v1/completions" -> completion(h, ex, Gen.Kind.COMPLETION, false);
            case "/v1/embeddings" -> embeddings(h, ex, Embed.OPENAI);
            default -> {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ completions

    static void completion(SimHandler h, SimRequest ex, Gen.Kind kind, boolean streamDefault) {
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

    // ------------------------------------------------------------------------------------------ embeddings

    private enum Embed { OPENAI, OLLAMA, OLLAMA_LEGACY }

    private static void embeddings(SimHandler h, SimRequest ex, Embed style) {
        SimulatedBackend sim = h.sim();
        SimFlavor f = sim.flavor();
        JsonNode j = object(h, ex);
        if (j == null) {
            return;
        }
        String requested = text(j, "model");
        String echo;
        if (f == SimFlavor.LLAMACPP) {
            SimModel em = sim.models().stream().filter(m -> m.type() == SimModel.Type.EMBEDDINGS).findFirst().orElse(null);
            if (em == null) {
                h.sendError(501, "This server does not support embeddings. Start it with `--embeddings`", null, null);
                return;
            }
            echo = em.name();
        } else {
            if (requested == null || requested.isBlank()) {
                h.sendError(400, f == SimFlavor.OLLAMA && style != Embed.OPENAI ? "model is required"
                        : "you must provide a model parameter", "model", null);
                return;
            }
            SimModel m = find(sim, requested);
            if (m == null) {
                modelNotFound(h, ex, requested);
                return;
            }
            echo = f == SimFlavor.OLLAMA ? requested : m.name();
        }
        if (style == Embed.OLLAMA_LEGACY) {
            String prompt = j.path("prompt").asText("");
            send(h, b -> EmbeddingWire.ollamaLegacyEmbedding(b, prompt));
            return;
        }
        List<String> inputs = new ArrayList<>();
        JsonNode in = j.get("input");
        if (in == null || in.isNull()) {
            if (style == Embed.OLLAMA) {
                send(h, b -> EmbeddingWire.ollamaEmbed(b, echo, List.of(), 0, 0));
            } else {
                h.sendError(400, f == SimFlavor.LLAMACPP ? "\"input\" must be provided" : "'input' is a required property", "input", null);
            }
            return;
        }
        if (in.isTextual()) {
            inputs.add(in.asText());
        } else if (in.isArray()) {
            boolean tokens = in.size() > 0 && in.get(0).isNumber();
            if (tokens) {
                inputs.add(in.toString());
            } else {
                for (JsonNode e : in) {
                    inputs.add(e.isTextual() ? e.asText() : e.toString());
                }
            }
        } else {
            h.sendError(400, "invalid input type", "input", null);
            return;
        }
        int tokens = 0;
        for (String s : inputs) {
            tokens += Math.max(1, s.length() / 4);
        }
        int promptTokens = tokens;
        long start = System.nanoTime();
        if (style == Embed.OLLAMA) {
            send(h, b -> EmbeddingWire.ollamaEmbed(b, echo, inputs, promptTokens, System.nanoTime() - start));
        } else {
            boolean base64 = "base64".equals(j.path("encoding_format").asText(""));
            send(h, b -> EmbeddingWire.openAiEmbeddings(b, f, echo, inputs, promptTokens, base64));
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** The served model with this name (Ollama also matches an implicit {@code :latest} tag), or null. */
    static SimModel find(SimulatedBackend sim, String name) {
        List<SimModel> models = sim.models();
        for (SimModel m : models) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        if (sim.flavor() == SimFlavor.OLLAMA) {
            String alt = name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name.contains(":") ? null : name + ":latest";
            if (alt != null) {
                for (SimModel m : models) {
                    if (m.name().equals(alt)) {
                        return m;
                    }
                }
            }
        }
        return null;
    }

    private static String text(JsonNode j, String field) {
        JsonNode n = j.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    /** The request body as a JSON object, or null after answering the flavour's parse error. */
    private static JsonNode object(SimHandler h, SimRequest ex) {
        SimFlavor f = h.sim().flavor();
        if (ex.jsonError != null) {
            if (f == SimFlavor.LLAMACPP) {
                h.sendError(500, "[json.exception.parse_error.101] parse error: " + ex.jsonError, null, null);
            } else if (f == SimFlavor.OLLAMA && !ex.path.startsWith("/v1/")) {
                h.sendError(400, "invalid character in JSON input: " + ex.jsonError, null, null);
            } else if (f == SimFlavor.VLLM) {
                h.sendError(400, "JSON decode error: " + ex.jsonError, null, null);
            } else {
                h.sendError(400, "We could not parse the JSON body of your request. (" + ex.jsonError + ")", null, null);
            }
            return null;
        }
        if (ex.json == null || !ex.json.isObject()) {
            h.sendError(400, f == SimFlavor.OLLAMA && !ex.path.startsWith("/v1/") ? "missing request body"
                    : "request body must be a JSON object", null, null);
            return null;
        }
        return ex.json;
    }

    private static void modelNotFound(SimHandler h, SimRequest ex, String model) {
        switch (h.sim().flavor()) {
            case OLLAMA -> h.sendError(404, "model \"" + model + "\" not found, try pulling it first", null, null);
            case OPENAI -> h.sendError(404, "The model `" + model + "` does not exist or you do not have access to it.",
                    null, "model_not_found");
            case VLLM -> h.sendError(404, "The model `" + model + "` does not exist.", "model", null);
            case LMSTUDIO -> h.sendError(404, "Model \"" + model + "\" not found. Please specify a valid downloaded model.",
                    "model", "model_not_found");
            case LLAMACPP -> h.sendError(404, "model '" + model + "' not found", null, null);
        }
    }

    private static void unknownRoute(SimHandler h, SimRequest ex) {
        SimFlavor f = h.sim().flavor();
        switch (f) {
            case OLLAMA -> h.sendFull(404, "text/plain", ascii(h, "404 page not found"), false);
            case VLLM -> h.sendFull(404, "application/json", ascii(h, "{\"detail\":\"Not Found\"}"), false);
            case LMSTUDIO -> h.sendFull(404, Wire.jsonType(f),
                    utf8(h, "{\"error\":\"Unexpected endpoint or method. (" + ex.method + " " + jsonEscape(ex.path) + ")\"}"), false);
            case OPENAI -> h.sendError(404, "Invalid URL (" + ex.method + " " + ex.path + ")", null, null);
            case LLAMACPP -> h.sendError(404, "File Not Found", null, null);
        }
    }

    private static void preflight(SimHandler h, SimRequest ex) {
        Map<String, String> extra = new LinkedHashMap<>();
        if (ex.origin != null) {
            extra.put("Access-Control-Allow-Credentials", "true");
            extra.put("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
            extra.put("Access-Control-Allow-Headers", "*");
        }
        h.sendFull(200, "text/html", h.buffer(), false, extra);
    }

    private interface Writer {
        void write(ByteBuf b);
    }

    private static void send(SimHandler h, Writer w) {
        ByteBuf b = h.buffer();
        try {
            w.write(b);
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
        h.sendFull(200, Wire.jsonType(h.sim().flavor()), b, false);
    }

    private static void modelList(SimHandler h, Writer w) {
        if (h.sim().faults().garbageModels()) {
            send(h, ModelListWire::garbage);
        } else {
            send(h, w);
        }
    }

    private static boolean json(SimHandler h, String body) {
        h.sendFull(200, Wire.jsonType(h.sim().flavor()), utf8(h, body), false);
        return true;
    }

    private static ByteBuf ascii(SimHandler h, String s) {
        ByteBuf b = h.buffer();
        b.writeCharSequence(s, StandardCharsets.US_ASCII);
        return b;
    }

    private static ByteBuf utf8(SimHandler h, String s) {
        ByteBuf b = h.buffer();
        b.writeCharSequence(s, StandardCharsets.UTF_8);
        return b;
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
