package dev.olla.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Model lists in the shapes clients parse: Olla's unified format, OpenAI ({@code object:"list"},
 * {@code data[].id/object/created/owned_by}), Ollama {@code /api/tags} ({@code models[].name/model/
 * modified_at/size/digest/details}), LM Studio {@code /api/v0/models} and vLLM (OpenAI plus
 * {@code max_model_len}). Built from a registry snapshot; pure functions.
 *
 * <p>A {@link Scope} says which endpoints' copies count (a provider prefix's types) and whether copies
 * on unroutable endpoints do ({@code include_unavailable}); models without a counted copy are left out.
 * Aggregated lists show one entry per unified model (its id); provider lists ({@code nativeNames})
 * show every distinct name the provider's endpoints use, as a real server of that kind would.
 */
public final class ModelListings {
    private ModelListings() {}

    /** The formats {@code /olla/models?format=} accepts, in the order the error message lists them. */
    public static final List<String> FORMATS = List.of("unified", "openai", "ollama", "lmstudio", "lemonade", "lmdeploy",
            "sglang", "vllm", "vllm-mlx", "llamacpp", "docker-model-runner");

    public static final String OWNER = "olla";

    /** Which copies count. */
    public record Scope(Predicate<UnifiedModel.Source> sources, boolean includeUnavailable) {
        public static final Scope ALL = new Scope(s -> true, false);

        public static Scope ofTypes(Set<String> types, boolean includeUnavailable) {
            return new Scope(s -> types.contains(s.endpointType()), includeUnavailable);
        }

        public boolean counts(UnifiedModel.Source s) {
            return (includeUnavailable || s.endpoint().routable()) && sources.test(s);
        }

        public List<UnifiedModel.Source> visible(UnifiedModel m) {
            List<UnifiedModel.Source> out = new ArrayList<>(m.sources().size());
            for (UnifiedModel.Source s : m.sources()) {
                if (counts(s)) {
                    out.add(s);
                }
            }
            return out;
        }
    }

    /** A format name as given in {@code ?format=} in canonical spelling, or null if unsupported. */
    public static String normalizeFormat(String format) {
        if (format == null || format.isBlank()) {
            return "unified";
        }
        String f = format.strip().toLowerCase(Locale.ROOT);
        f = switch (f) {
            case "lm-studio", "lm_studio" -> "lmstudio";
            case "dmr", "docker_model_runner" -> "docker-model-runner";
            case "vllm_mlx" -> "vllm-mlx";
            case "openai-compatible", "openai_compatible" -> "openai";
            default -> f;
        };
        return FORMATS.contains(f) ? f : null;
    }

    /** A list in {@code format} (canonical, see {@link #normalizeFormat}). */
    public static Map<String, Object> format(String format, List<UnifiedModel> models, Scope scope, boolean nativeNames) {
        return switch (format) {
            case "unified" -> unified(models, scope);
            case "ollama" -> ollamaTags(models, scope);
            case "lmstudio", "lm-studio" -> lmStudio(models, scope, nativeNames);
            case "vllm", "vllm-mlx", "sglang", "lmdeploy" -> vllm(models, scope, nativeNames);
            default -> openAi(models, scope, nativeNames);
        };
    }

    // ------------------------------------------------------------------ entries

    /** One list entry: a name and the copies it stands for. */
    private record Item(String id, UnifiedModel model, List<UnifiedModel.Source> sources) {}

    private static List<Item> items(List<UnifiedModel> models, Scope scope, boolean nativeNames) {
        List<Item> out = new ArrayList<>(models.size());
        Set<String> seen = new LinkedHashSet<>();
        for (UnifiedModel m : models) {
            List<UnifiedModel.Source> visible = scope.visible(m);
            if (visible.isEmpty()) {
                continue;
            }
            if (!nativeNames) {
                if (seen.add(m.id())) {
                    out.add(new Item(m.id(), m, visible));
                }
                continue;
            }
            Map<String, List<UnifiedModel.Source>> byName = new LinkedHashMap<>();
            for (UnifiedModel.Source s : visible) {
                byName.computeIfAbsent(s.nativeName(), k -> new ArrayList<>()).add(s);
            }
            byName.forEach((name, sources) -> {
                if (seen.add(name)) {
                    out.add(new Item(name, m, sources));
                }
            });
        }
        return out;
    }

    private static long created(UnifiedModel m) {
        return m.firstSeen() == null ? 0 : m.firstSeen().getEpochSecond();
    }

    private static Map<String, Object> openAiEntry(Item it) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("id", it.id());
        e.put("object", "model");
        e.put("created", created(it.model()));
        e.put("owned_by", OWNER);
        return e;
    }

    private static Map<String, Object> list(List<Map<String, Object>> data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        return body;
    }

    // ------------------------------------------------------------------ formats

    /** OpenAI {@code GET /v1/models}. */
    public static Map<String, Object> openAi(List<UnifiedModel> models, Scope scope, boolean nativeNames) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Item it : items(models, scope, nativeNames)) {
            data.add(openAiEntry(it));
        }
        return list(data);
    }

    /** vLLM's {@code /v1/models}: OpenAI plus {@code root}, {@code max_model_len}, {@code permission}. */
    public static Map<String, Object> vllm(List<UnifiedModel> models, Scope scope, boolean nativeNames) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Item it : items(models, scope, nativeNames)) {
            Map<String, Object> e = openAiEntry(it);
            e.put("root", it.id());
            if (it.model().contextLength() > 0) {
                e.put("max_model_len", it.model().contextLength());
            }
            e.put("permission", List.of());
            data.add(e);
        }
        return list(data);
    }

    /** Olla's unified list: OpenAI entries plus an {@code olla} object per model. */
    public static Map<String, Object> unified(List<UnifiedModel> models, Scope scope) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Item it : items(models, scope, false)) {
            UnifiedModel m = it.model();
            Map<String, Object> e = openAiEntry(it);
            Map<String, Object> olla = new LinkedHashMap<>();
            olla.put("family", m.family());
            olla.put("parameter_size", m.parameterSize());
            olla.put("quantization", m.quantization());
            olla.put("type", m.type());
            olla.put("format", m.format());
            olla.put("aliases", m.aliases().stream().map(UnifiedModel.Alias::name).toList());
            List<Map<String, Object>> availability = new ArrayList<>();
            for (UnifiedModel.Source s : it.sources()) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("endpoint", s.endpointName());
                a.put("state", s.endpoint().routable() ? s.state() : "offline");
                a.put("loaded", s.endpoint().loaded(s.nativeName())); // live residency; null = not published
                availability.add(a);
            }
            olla.put("availability", availability);
            olla.put("capabilities", m.capabilities());
            if (m.contextLength() > 0) {
                olla.put("max_context_length", m.contextLength());
            }
            if (m.diskSize() > 0) {
                olla.put("disk_size", m.diskSize());
            }
            e.put("olla", olla);
            data.add(e);
        }
        return list(data);
    }

    /**
     * Ollama {@code GET /api/tags}: every name an Ollama endpoint in scope uses (other backends' models
     * are not Ollama models and are left out).
     */
    public static Map<String, Object> ollamaTags(List<UnifiedModel> models, Scope scope) {
        Scope ollamaOnly = new Scope(s -> "ollama".equals(s.endpointType()) && scope.sources().test(s),
                scope.includeUnavailable());
        List<Map<String, Object>> out = new ArrayList<>();
        for (Item it : items(models, ollamaOnly, true)) {
            out.add(ollamaEntry(it));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("models", out);
        return body;
    }

    private static Map<String, Object> ollamaEntry(Item it) {
        UnifiedModel m = it.model();
        DiscoveredModel copy = it.sources().get(0).model();
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", it.id());
        e.put("model", it.id());
        String modified = copy.modifiedAt() != null ? copy.modifiedAt() : m.modifiedAt();
        if (modified == null) {
            modified = (m.firstSeen() == null ? Instant.EPOCH : m.firstSeen()).toString();
        }
        e.put("modified_at", modified);
        long size = copy.size() > 0 ? copy.size() : 0;
        e.put("size", size);
        String digest = copy.digest() != null ? copy.digest() : m.digest();
        e.put("digest", digest == null ? "" : digest);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("parent_model", "");
        d.put("format", nz(copy.format() != null ? copy.format() : m.format(), "gguf"));
        String family = copy.family() != null ? copy.family() : m.family();
        d.put("family", nz(family, ""));
        List<String> families = !copy.families().isEmpty() ? copy.families() : family == null ? null : List.of(family);
        d.put("families", families);
        d.put("parameter_size", nz(copy.parameterSize() != null ? copy.parameterSize() : m.parameterSize(), ""));
        d.put("quantization_level", nz(copy.quantization() != null ? copy.quantization() : m.quantization(), ""));
        e.put("details", d);
        return e;
    }

    /** LM Studio {@code GET /api/v0/models}. */
    public static Map<String, Object> lmStudio(List<UnifiedModel> models, Scope scope, boolean nativeNames) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Item it : items(models, scope, nativeNames)) {
            UnifiedModel m = it.model();
            boolean loaded = false;
            String publisher = null;
            String compat = null;
            for (UnifiedModel.Source s : it.sources()) {
                loaded |= DiscoveredModel.LOADED.equals(s.state());
                publisher = publisher != null ? publisher : s.model().publisher();
                compat = compat != null ? compat : s.model().format();
            }
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", it.id());
            e.put("object", "model");
            e.put("type", m.type());
            e.put("publisher", publisher != null ? publisher : m.publisher());
            e.put("arch", m.family());
            e.put("compatibility_type", compat != null ? compat : m.format());
            e.put("quantization", m.quantization());
            e.put("state", loaded ? "loaded" : "not-loaded");
            if (m.contextLength() > 0) {
                e.put("max_context_length", m.contextLength());
            }
            data.add(e);
        }
        return list(data);
    }

    // ------------------------------------------------------------------ single model and status

    /** {@code GET /olla/models/{id}}. */
    public static Map<String, Object> summary(UnifiedModel m) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("id", m.id());
        e.put("object", "model");
        e.put("type", m.type());
        e.put("family", m.family());
        e.put("parameter_size", m.parameterSize());
        e.put("quantization", m.quantization());
        e.put("format", m.format());
        e.put("total_disk_size", Math.max(0, m.diskSize()));
        e.put("last_seen", m.lastSeen() == null ? null : m.lastSeen().toString());
        e.put("aliases", m.aliases().stream().map(UnifiedModel.Alias::name).toList());
        Set<String> endpoints = new LinkedHashSet<>();
        Set<String> loaded = new LinkedHashSet<>();
        List<Map<String, Object>> availability = new ArrayList<>();
        for (UnifiedModel.Source s : m.sources()) {
            endpoints.add(s.endpointName());
            if (DiscoveredModel.LOADED.equals(s.state())) {
                loaded.add(s.endpointName());
            }
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("endpoint", s.endpointName());
            a.put("type", s.endpointType());
            a.put("name", s.nativeName());
            a.put("state", s.state());
            a.put("endpoint_status", s.endpoint().status().wire());
            a.put("loaded", s.endpoint().loaded(s.nativeName()));
            availability.add(a);
        }
        e.put("endpoints", List.copyOf(endpoints));
        e.put("loaded_endpoints", List.copyOf(loaded));
        e.put("availability", availability);
        e.put("available", m.available());
        e.put("capabilities", m.capabilities());
        e.put("parameter_count", m.parameterCount());
        if (m.contextLength() > 0) {
            e.put("max_context_length", m.contextLength());
        }
        return e;
    }

    /** {@code GET /internal/status/models}: every known model (any endpoint status). */
    public static Map<String, Object> status(List<UnifiedModel> models, Instant now, boolean groupByFamily) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());
        Map<String, List<String>> byFamily = new TreeMap<>();
        Set<String> endpoints = new LinkedHashSet<>();
        for (UnifiedModel m : models) {
            byFamily.computeIfAbsent(m.family() == null ? "unknown" : m.family(), k -> new ArrayList<>()).add(m.id());
            m.sources().forEach(s -> endpoints.add(s.endpointName()));
        }
        body.put("models_by_family", byFamily);
        List<UnifiedModel> recent = new ArrayList<>(models);
        recent.sort(Comparator.comparing((UnifiedModel m) -> m.lastSeen() == null ? Instant.EPOCH : m.lastSeen())
                .reversed().thenComparing(UnifiedModel::id));
        List<Map<String, Object>> items = new ArrayList<>();
        for (UnifiedModel m : recent.subList(0, Math.min(10, recent.size()))) {
            items.add(statusItem(m));
        }
        body.put("recent_models", items);
        if (groupByFamily) {
            Map<String, List<Map<String, Object>>> groups = new TreeMap<>();
            for (UnifiedModel m : models) {
                groups.computeIfAbsent(m.family() == null ? "unknown" : m.family(), k -> new ArrayList<>())
                        .add(statusItem(m));
            }
            body.put("model_groups", groups);
        }
        body.put("total_models", models.size());
        body.put("total_families", byFamily.size());
        body.put("total_endpoints", endpoints.size());
        return body;
    }

    private static Map<String, Object> statusItem(UnifiedModel m) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", m.id());
        e.put("type", m.type());
        e.put("family", m.family());
        if (m.diskSize() > 0) {
            e.put("size", humanBytes(m.diskSize()));
        }
        e.put("params", m.parameterSize());
        e.put("quant", m.quantization());
        e.put("last_seen", m.lastSeen() == null ? null : m.lastSeen().toString());
        Set<String> endpoints = new LinkedHashSet<>();
        m.sources().forEach(s -> endpoints.add(s.endpointName()));
        e.put("endpoints", List.copyOf(endpoints));
        if (m.aliases().size() > 1) {
            e.put("aliases", m.aliases().stream().map(UnifiedModel.Alias::name).toList());
        }
        e.put("capabilities", m.capabilities());
        return e;
    }

    /** {@code 512 B}, {@code 1.20 MB}... (binary multiples, as the original prints sizes). */
    public static String humanBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB", "PB", "EB"};
        double v = b;
        int exp = -1;
        while (v >= 1024 && exp < units.length - 1) {
            v /= 1024;
            exp++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[exp]);
    }

    private static String nz(String s, String dflt) {
        return s == null ? dflt : s;
    }
}
