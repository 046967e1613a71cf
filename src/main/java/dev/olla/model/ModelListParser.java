package dev.olla.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses the model lists backends serve, by the profile's {@code request.response_format}:
 * <ul>
 * <li>{@code ollama}: {@code /api/tags} {@code {"models":[{name,size,digest,modified_at,details{...}}]}}</li>
 * <li>{@code lmstudio}: {@code /api/v0/models} {@code {"data":[{id,type,publisher,arch,quantization,state,max_context_length}]}}</li>
 * <li>{@code llamacpp}: {@code /v1/models} with both {@code models[]} (Ollama-like) and {@code data[]} ({@code meta.n_ctx_train})</li>
 * <li>{@code openai}, {@code vllm} ({@code max_model_len}), {@code sglang}, {@code lmdeploy}, {@code lemonade},
 * {@code docker-model-runner}, {@code vllm-mlx} and any unknown format: OpenAI {@code {"data":[{id,...}]}}</li>
 * <li>{@code auto}: the shape decides (endpoints of type {@code auto})</li>
 * </ul>
 * Entries without a name are skipped. A body that is not JSON, or lacks the list its format
 * promises, is a {@link ModelListException}.
 */
public final class ModelListParser {
    private ModelListParser() {}

    public static List<DiscoveredModel> parse(String format, byte[] body) throws ModelListException {
        JsonNode root;
        try {
            root = dev.olla.server.Json.tree(body);
        } catch (JsonProcessingException e) {
            throw new ModelListException("invalid JSON in model list: " + e.getOriginalMessage(), e);
        } catch (java.io.IOException e) {
            throw new ModelListException("unreadable model list: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelListException("model list is not a JSON object");
        }
        String f = format == null ? "openai" : format.strip().toLowerCase(Locale.ROOT);
        return switch (f) {
            case "ollama" -> ollama(root);
            case "lmstudio", "lm-studio", "lm_studio" -> lmStudio(root);
            case "llamacpp", "llama.cpp", "llama-cpp" -> llamaCpp(root);
            case "vllm", "vllm-mlx", "sglang", "lmdeploy" -> openAi(root, DiscoveredModel.LOADED);
            case "auto" -> auto(root);
            default -> openAi(root, DiscoveredModel.AVAILABLE);
        };
    }

    /** Guesses the format from the shape (for endpoints of type {@code auto}). */
    static List<DiscoveredModel> auto(JsonNode root) throws ModelListException {
        JsonNode data = root.get("data");
        JsonNode models = root.get("models");
        if (data != null && data.isArray() && models != null && models.isArray()) {
            return llamaCpp(root);
        }
        if (models != null && models.isArray()) {
            return ollama(root);
        }
        if (data != null && data.isArray()) {
            for (JsonNode e : data) {
                if (e.has("state") || e.has("arch") || e.has("max_context_length")) {
                    return lmStudio(root);
                }
            }
        }
        return openAi(root, DiscoveredModel.AVAILABLE);
    }

    static List<DiscoveredModel> ollama(JsonNode root) throws ModelListException {
        JsonNode models = array(root, "models", "ollama");
        List<DiscoveredModel> out = new ArrayList<>(models.size());
        for (JsonNode m : models) {
            String name = firstText(m, "name", "model");
            if (name == null) {
                continue;
            }
            JsonNode d = m.path("details");
            List<String> families = new ArrayList<>();
            for (JsonNode f : d.path("families")) {
                String s = text(f);
                if (s != null) {
                    families.add(s);
                }
            }
            out.add(new DiscoveredModel(name, ModelMeta.normalizeDigest(text(m.get("digest"))), number(m.get("size")),
                    text(m.get("modified_at")), text(d.get("family")), families, text(d.get("parameter_size")),
                    ModelMeta.normalizeQuantization(text(d.get("quantization_level"))), text(d.get("format")), null,
                    null, DiscoveredModel.AVAILABLE, 0));
        }
        return out;
    }

    static List<DiscoveredModel> lmStudio(JsonNode root) throws ModelListException {
        JsonNode data = array(root, "data", "lmstudio");
        List<DiscoveredModel> out = new ArrayList<>(data.size());
        for (JsonNode m : data) {
            String id = firstText(m, "id", "name");
            if (id == null) {
                continue;
            }
            String type = text(m.get("type"));
            if (type != null) {
                type = type.toLowerCase(Locale.ROOT);
                if (type.equals("embedding")) {
                    type = ModelMeta.TYPE_EMBEDDINGS;
                }
                if (!type.equals(ModelMeta.TYPE_LLM) && !type.equals(ModelMeta.TYPE_VLM)
                        && !type.equals(ModelMeta.TYPE_EMBEDDINGS)) {
                    type = null;
                }
            }
            String state = text(m.get("state"));
            state = state == null ? DiscoveredModel.AVAILABLE
                    : state.equalsIgnoreCase("loaded") ? DiscoveredModel.LOADED : DiscoveredModel.NOT_LOADED;
            String arch = text(m.get("arch"));
            out.add(new DiscoveredModel(id, null, -1, null, arch, arch == null ? List.of() : List.of(arch),
                    ModelMeta.guessParameterSize(id), ModelMeta.normalizeQuantization(text(m.get("quantization"))),
                    text(m.get("compatibility_type")), type, text(m.get("publisher")), state,
                    Math.max(0, number(m.get("max_context_length")))));
        }
        return out;
    }

    static List<DiscoveredModel> llamaCpp(JsonNode root) throws ModelListException {
        JsonNode data = root.get("data");
        JsonNode models = root.get("models");
        boolean hasData = data != null && data.isArray();
        boolean hasModels = models != null && models.isArray();
        if (!hasData && !hasModels) {
            throw new ModelListException("llamacpp model list has neither a \"data\" nor a \"models\" array");
        }
        Map<String, DiscoveredModel> out = new LinkedHashMap<>();
        if (hasData) {
            for (DiscoveredModel m : openAi(root, DiscoveredModel.LOADED)) {
                out.put(m.name(), m);
            }
        }
        if (hasModels) {
            for (JsonNode m : models) {
                String name = firstText(m, "name", "model");
                if (name == null) {
                    continue;
                }
                JsonNode d = m.path("details");
                DiscoveredModel prev = out.get(name);
                DiscoveredModel base = prev != null ? prev : DiscoveredModel.named(name).withState(DiscoveredModel.LOADED);
                out.put(name, new DiscoveredModel(name, base.digest() != null ? base.digest()
                        : ModelMeta.normalizeDigest(text(m.get("digest"))),
                        base.size() >= 0 ? base.size() : number(m.get("size")),
                        base.modifiedAt() != null ? base.modifiedAt() : text(m.get("modified_at")),
                        base.family() != null ? base.family() : text(d.get("family")), base.families(),
                        base.parameterSize() != null ? base.parameterSize() : text(d.get("parameter_size")),
                        base.quantization() != null ? base.quantization()
                                : ModelMeta.normalizeQuantization(text(d.get("quantization_level"))),
                        base.format() != null ? base.format() : text(d.get("format")), base.type(), base.publisher(),
                        base.state(), base.contextLength()));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** OpenAI {@code {"data":[{id,...}]}} with the extras other servers add. */
    static List<DiscoveredModel> openAi(JsonNode root, String defaultState) throws ModelListException {
        JsonNode data = array(root, "data", "OpenAI");
        List<DiscoveredModel> out = new ArrayList<>(data.size());
        for (JsonNode m : data) {
            String id = firstText(m, "id", "name", "model");
            if (id == null) {
                continue;
            }
            JsonNode meta = m.path("meta");
            long ctx = firstNumber(m.get("max_model_len"), m.get("context_length"), m.get("max_context_length"),
                    m.get("context_window"), meta.get("n_ctx_train"), meta.get("n_ctx"));
            String state = defaultState;
            JsonNode status = m.get("status");
            String statusValue = status == null ? null : status.isObject() ? text(status.get("value")) : text(status);
            if (statusValue != null) {
                String s = statusValue.toLowerCase(Locale.ROOT);
                if (s.equals("loaded") || s.equals("running")) {
                    state = DiscoveredModel.LOADED;
                } else if (s.equals("unloaded") || s.equals("not-loaded") || s.equals("stopped")) {
                    state = DiscoveredModel.NOT_LOADED;
                }
            }
            long params = number(meta.get("n_params"));
            String paramSize = params > 0 ? ModelMeta.formatParameterCount(params) : ModelMeta.guessParameterSize(id);
            String owner = text(m.get("owned_by"));
            out.add(new DiscoveredModel(id, null, number(meta.get("size")), null, null, List.of(), paramSize,
                    ModelMeta.normalizeQuantization(text(meta.get("ftype"))), null, null, owner, state, Math.max(ctx, 0)));
        }
        return out;
    }

    private static JsonNode array(JsonNode root, String field, String format) throws ModelListException {
        JsonNode a = root.get(field);
        if (a == null || !a.isArray()) {
            throw new ModelListException(format + " model list has no \"" + field + "\" array");
        }
        return a;
    }

    private static String text(JsonNode n) {
        if (n == null || !n.isValueNode() || n.isNull()) {
            return null;
        }
        String s = n.asText();
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static String firstText(JsonNode n, String... fields) {
        for (String f : fields) {
            String s = text(n.get(f));
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    private static long number(JsonNode n) {
        if (n == null || n.isNull()) {
            return -1;
        }
        if (n.isNumber()) {
            return n.asLong();
        }
        if (n.isTextual()) {
            try {
                return Long.parseLong(n.asText().strip());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    private static long firstNumber(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            long v = number(n);
            if (v > 0) {
                return v;
            }
        }
        return 0;
    }
}
