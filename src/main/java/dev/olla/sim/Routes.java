package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a request to its answer, per flavour: the injected HTTP errors, each flavour's route table (health,
 * model lists, details), unknown routes and preflights; generations and embeddings are read by
 * {@link GenerationRequest} and {@link EmbeddingRequest}. Runs on the connection's event loop.
 */
final class Routes {
    private Routes() {
    }

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
            case "/api/chat" -> GenerationRequest.answer(h, ex, Gen.Kind.OLLAMA_CHAT, true);
            case "/api/generate" -> GenerationRequest.answer(h, ex, Gen.Kind.OLLAMA_GENERATE, true);
            case "/api/embed" -> EmbeddingRequest.answer(h, ex, EmbeddingRequest.Style.OLLAMA);
            case "/api/embeddings" -> EmbeddingRequest.answer(h, ex, EmbeddingRequest.Style.OLLAMA_LEGACY);
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
                case "/api/v0/chat/completions" -> GenerationRequest.answer(h, ex, Gen.Kind.CHAT, false);
                case "/api/v0/completions" -> GenerationRequest.answer(h, ex, Gen.Kind.COMPLETION, false);
                case "/api/v0/embeddings" -> EmbeddingRequest.answer(h, ex, EmbeddingRequest.Style.OPENAI);
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
            case "/v1/chat/completions", "/chat/completions" -> GenerationRequest.answer(h, ex, Gen.Kind.CHAT, false);
            case "/v1/completions", "/completions" -> GenerationRequest.answer(h, ex, Gen.Kind.COMPLETION, false);
            case "/v1/embeddings" -> EmbeddingRequest.answer(h, ex, EmbeddingRequest.Style.OPENAI);
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
            case "/v1/chat/completions" -> GenerationRequest.answer(h, ex, Gen.Kind.CHAT, false);
            case "/v1/completions" -> GenerationRequest.answer(h, ex, Gen.Kind.COMPLETION, false);
            case "/v1/embeddings" -> EmbeddingRequest.answer(h, ex, EmbeddingRequest.Style.OPENAI);
            default -> {
                return false;
            }
        }
        return true;
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

    static String text(JsonNode j, String field) {
        JsonNode n = j.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    /** The request body as a JSON object, or null after answering the flavour's parse error. */
    static JsonNode object(SimHandler h, SimRequest ex) {
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

    static void modelNotFound(SimHandler h, SimRequest ex, String model) {
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

    interface Writer {
        void write(ByteBuf b);
    }

    static void send(SimHandler h, Writer w) {
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
