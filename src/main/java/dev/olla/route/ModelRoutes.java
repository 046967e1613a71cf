package dev.olla.route;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.model.ModelDiscovery;
import dev.olla.model.ModelListings;
import dev.olla.model.ModelListings.Scope;
import dev.olla.model.ModelMeta;
import dev.olla.model.ModelRegistry;
import dev.olla.model.UnifiedModel;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import dev.olla.server.ApiError;
import dev.olla.server.Exchange;
import dev.olla.server.Router;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The model listings Olla answers itself, from the {@link ModelRegistry}:
 * <ul>
 * <li>{@code GET /olla/models} ({@code ?format=unified|openai|ollama|lmstudio|vllm|...}, filters {@code endpoint},
 * {@code family}, {@code type}, {@code capability}, {@code available}, {@code include_unavailable}) and
 * {@code GET /olla/models/{id-or-alias}} (the whole rest of the path, so ids with {@code /} work);</li>
 * <li>{@code GET /internal/status/models} (ETag, gzip); {@code GET /olla/proxy/v1/models} (OpenAI, all endpoints);</li>
 * <li>for every routing prefix {@code P}: {@code /olla/P/v1/models} (OpenAI; {@code openai} and
 * {@code openai-compatible} cover every OpenAI-compatible type, other prefixes their own type only) and
 * the profile's {@code model_discovery_path} in that backend's own format ({@code /olla/ollama/api/tags},
 * {@code /olla/lmstudio/api/v0/models}, {@code /olla/lemonade/api/v1/models}, {@code /olla/dmr/engines/v1/models}
 * ...; the original answers 500 for some of these); LM Studio also {@code /api/v1/models} (OpenAI);</li>
 * <li>Ollama: {@code GET /api/ps} merged from the Ollama endpoints' own {@code /api/ps}; model management
 * ({@code pull, push, create, copy, delete}) and {@code api/list} answer 501 in Ollama's error shape;
 * {@code api/show} is proxied to an endpoint that has the model ({@link ProxyRoutes}).</li>
 * </ul>
 * These are exact routes, so they win over the proxy's {@code /olla/<prefix>/} catch-alls. Lists show
 * only models with a copy on a routable endpoint unless {@code include_unavailable=true}.
 */
public final class ModelRoutes {
    private static final Set<String> OPENAI_PREFIXES = Set.of("openai", "openai-compatible");
    private static final Set<String> RESERVED = Set.of("proxy", "models", "anthropic");
    private static final Duration PS_TIMEOUT = Duration.ofSeconds(5);

    private final ModelRegistry models;
    private final EndpointRegistry endpoints;
    private final ModelDiscovery discovery;

    private ModelRoutes(ModelRegistry models, EndpointRegistry endpoints, ModelDiscovery discovery) {
        this.models = models;
        this.endpoints = endpoints;
        this.discovery = discovery;
    }

    /**
     * Registers the model routes.
     *
     * @param discovery used for Ollama's {@code /api/ps} (fetched live from the Ollama endpoints); may be
     *                  null, then {@code /api/ps} lists nothing
     */
    public static void register(Router router, ModelRegistry models, EndpointRegistry endpoints,
            ProfileRegistry profiles, ModelDiscovery discovery) {
        ModelRoutes r = new ModelRoutes(models, endpoints, discovery);
        router.get("/olla/models", r::list);
        router.prefix("/olla/models/", r::one, false);
        router.get("/internal/status/models", ex -> {
            QueryStringDecoder q = query(ex);
            boolean group = "true".equalsIgnoreCase(param(q, "detailed")) || "family".equalsIgnoreCase(param(q, "group"));
            CacheableJson.send(ex, ModelListings.status(models.models(), Instant.now(), group));
        });
        router.get("/olla/proxy/v1/models", ex -> r.scoped(ex, "openai", null, false));
        router.prefix("/olla/proxy/v1/models/", ex -> r.retrieve(ex, "/olla/proxy/v1/models/", "openai", null, false),
                false);

        Set<String> openAiTypes = new LinkedHashSet<>();
        for (Profile p : profiles.all()) {
            if (p.openAiCompatible()) {
                openAiTypes.add(p.name());
            }
        }
        Set<String> registered = new HashSet<>();
        List<String> prefixes = new ArrayList<>();
        for (Profile p : profiles.all()) {
            for (String raw : p.prefixes()) {
                String prefix = raw.toLowerCase(Locale.ROOT);
                if (RESERVED.contains(prefix) || prefixes.contains(prefix)) {
                    continue;
                }
                prefixes.add(prefix);
                Set<String> types = OPENAI_PREFIXES.contains(prefix) ? Set.copyOf(openAiTypes) : Set.of(p.name());
                r.registerPrefix(router, registered, "/olla/" + raw, p, types);
            }
        }
        if (!prefixes.contains("openai-compatible")) {
            Profile fallback = profiles.forType(ProfileRegistry.FALLBACK);
            r.registerPrefix(router, registered, "/olla/openai-compatible", fallback, Set.copyOf(openAiTypes));
        }
    }

    private void registerPrefix(Router router, Set<String> registered, String base, Profile p, Set<String> types) {
        String format = p.responseFormat();
        String discoveryPath = p.modelDiscoveryPath();
        if (discoveryPath != null && discoveryPath.startsWith("/") && !discoveryPath.contains("?")) {
            get(router, registered, base + discoveryPath, ex -> scoped(ex, format, types, true));
        }
        if (p.openAiCompatible()) {
            get(router, registered, base + "/v1/models", ex -> scoped(ex, "openai", types, true));
            String one = base + "/v1/models/";
            String oneFormat = "/v1/models".equals(discoveryPath) ? format : "openai"; // as the list is
            if (registered.add(one)) {
                router.prefix(one, ex -> retrieve(ex, one, oneFormat, types, true), false);
            }
        }
        if ("lmstudio".equals(format) || "lm-studio".equals(p.name())) {
            get(router, registered, base + "/api/v0/models", ex -> scoped(ex, "lmstudio", types, true));
            get(router, registered, base + "/api/v1/models", ex -> scoped(ex, "openai", types, true));
        }
        if ("ollama".equals(format) || "ollama".equals(p.name())) {
            get(router, registered, base + "/api/tags", ex -> scoped(ex, "ollama", types, true));
            get(router, registered, base + "/api/ps", ex -> ollamaPs(ex, types));
            get(router, registered, base + "/api/list", ex -> OllamaApi.respond(ex, ApiError.of(501,
                    "running models list not supported in multi-instance proxy", "not_supported")));
            // /api/show names a model: the proxy route sends it to an endpoint that has it
            ApiError management = ApiError.of(501, "model management operations not supported by proxy",
                    "not_supported");
            for (String op : List.of("pull", "push", "create", "copy")) {
                exact(router, registered, base + "/api/" + op, HttpMethod.POST, ex -> OllamaApi.respond(ex, management));
            }
            exact(router, registered, base + "/api/delete", HttpMethod.DELETE, ex -> OllamaApi.respond(ex, management));
        }
    }

    private static void get(Router router, Set<String> registered, String path, dev.olla.server.Handler h) {
        if (registered.add(path)) {
            router.get(path, h);
        }
    }

    private static void exact(Router router, Set<String> registered, String path, HttpMethod method,
            dev.olla.server.Handler h) {
        if (registered.add(path)) {
            router.exact(path, Set.of(method), h);
        }
    }

    // ------------------------------------------------------------------ handlers

    /** A provider or aggregate list in a backend's format; {@code types} null = every endpoint. */
    private void scoped(Exchange ex, String format, Set<String> types, boolean nativeNames) {
        boolean includeUnavailable = "true".equalsIgnoreCase(param(query(ex), "include_unavailable"));
        Scope scope = types == null ? new Scope(s -> true, includeUnavailable) : Scope.ofTypes(types, includeUnavailable);
        String f = ModelListings.normalizeFormat(format);
        ex.json(HttpResponseStatus.OK, ModelListings.format(f == null ? "openai" : f, models.models(), scope, nativeNames));
    }

    /**
     * OpenAI {@code GET /v1/models/{id}}: the entry the route's {@code /v1/models} lists under that id
     * (or the model an alias or unified id names), answered from the registry; 404 in OpenAI's shape.
     */
    private void retrieve(Exchange ex, String base, String format, Set<String> types, boolean nativeNames) {
        if (ex.method() != HttpMethod.GET && ex.method() != HttpMethod.HEAD) {
            ex.error(ApiError.methodNotAllowed());
            return;
        }
        String id = decode(ex.path().substring(base.length()));
        Scope scope = types == null ? new Scope(s -> true, false) : Scope.ofTypes(types, false);
        String f = ModelListings.normalizeFormat(format);
        Map<String, Object> list = ModelListings.format(f == null ? "openai" : f, models.models(), scope, nativeNames);
        Object entry = entry(list, id);
        if (entry == null) {
            var found = models.find(id);
            if (found.isPresent()) {
                entry = entry(list, found.get().id());
                for (UnifiedModel.Source src : found.get().sources()) {
                    entry = entry != null ? entry : entry(list, src.nativeName());
                }
            }
        }
        if (entry == null) {
            ex.json(HttpResponseStatus.NOT_FOUND, Map.of("error", Map.of("message",
                    "The model '" + id + "' does not exist", "type", "invalid_request_error", "param", "model",
                    "code", "model_not_found")));
            return;
        }
        ex.json(HttpResponseStatus.OK, entry);
    }

    private static Object entry(Map<String, Object> list, String id) {
        if (list.get("data") instanceof List<?> data) {
            for (Object o : data) {
                if (o instanceof Map<?, ?> m && id.equals(m.get("id"))) {
                    return m;
                }
            }
        }
        return null;
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }

    private void list(Exchange ex) {
        QueryStringDecoder q = query(ex);
        String rawFormat = param(q, "format");
        String format = ModelListings.normalizeFormat(rawFormat);
        if (format == null) {
            ex.error(ApiError.badRequest("invalid query parameter format=" + rawFormat
                    + ": unsupported format. Supported formats: " + String.join(", ", ModelListings.FORMATS)));
            return;
        }
        String available = param(q, "available");
        Boolean wantLoaded = null;
        if (available != null && !available.isEmpty()) {
            if (available.equalsIgnoreCase("true")) {
                wantLoaded = Boolean.TRUE;
            } else if (available.equalsIgnoreCase("false")) {
                wantLoaded = Boolean.FALSE;
            } else {
                ex.error(ApiError.badRequest("invalid value for 'available' parameter. Use 'true' or 'false'"));
                return;
            }
        }
        boolean includeUnavailable = "true".equalsIgnoreCase(param(q, "include_unavailable"));
        Scope scope = new Scope(s -> true, includeUnavailable);
        Predicate<UnifiedModel> keep = modelFilter(q, scope, wantLoaded);
        List<UnifiedModel> selected = new ArrayList<>();
        for (UnifiedModel m : models.models()) {
            if (keep.test(m)) {
                selected.add(m);
            }
        }
        ex.json(HttpResponseStatus.OK, ModelListings.format(format, selected, scope, false));
    }

    private static Predicate<UnifiedModel> modelFilter(QueryStringDecoder q, Scope scope, Boolean wantLoaded) {
        Predicate<UnifiedModel> p = m -> true;
        String endpoint = param(q, "endpoint");
        if (endpoint != null && !endpoint.isBlank()) {
            String e = endpoint.strip();
            p = p.and(m -> scope.visible(m).stream().anyMatch(s -> s.endpointName().equalsIgnoreCase(e)));
        }
        String family = param(q, "family");
        if (family != null && !family.isBlank()) {
            String f = family.strip();
            p = p.and(m -> m.family() != null && m.family().equalsIgnoreCase(f));
        }
        String type = param(q, "type");
        if (type != null && !type.isBlank()) {
            String t = normalizeType(type);
            p = p.and(m -> t.equals(m.type()));
        }
        String capability = param(q, "capability");
        if (capability != null && !capability.isBlank()) {
            String c = capability.strip().toLowerCase(Locale.ROOT);
            if (c.equals(ModelMeta.TYPE_LLM) || c.equals(ModelMeta.TYPE_VLM) || c.equals(ModelMeta.TYPE_EMBEDDINGS)) {
                p = p.and(m -> c.equals(m.type())); // legacy: capability named a type
            } else {
                String cap = switch (c) {
                    case "embeddings" -> ModelMeta.CAP_EMBEDDING;
                    case "generate", "generation" -> ModelMeta.CAP_TEXT_GENERATION;
                    default -> c;
                };
                p = p.and(m -> m.hasCapability(cap));
            }
        }
        if (wantLoaded != null) {
            boolean want = wantLoaded;
            p = p.and(m -> scope.visible(m).stream().anyMatch(s -> "loaded".equals(s.state())) == want);
        }
        return p;
    }

    private static String normalizeType(String type) {
        String t = type.strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "embedding", "embed" -> ModelMeta.TYPE_EMBEDDINGS;
            case "vision" -> ModelMeta.TYPE_VLM;
            default -> t;
        };
    }

    private void one(Exchange ex) {
        if (ex.method() != HttpMethod.GET && ex.method() != HttpMethod.HEAD) {
            ex.error(ApiError.methodNotAllowed());
            return;
        }
        String rest = ex.path().substring("/olla/models/".length());
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.isEmpty()) {
            list(ex);
            return;
        }
        String id;
        try {
            id = URLDecoder.decode(rest.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            id = rest;
        }
        var found = models.find(id);
        if (found.isEmpty()) {
            ex.error(ApiError.of(404, "Model not found", "model_not_found"));
            return;
        }
        ex.json(HttpResponseStatus.OK, ModelListings.summary(found.get()));
    }

    /**
     * Ollama {@code /api/ps}: what the routable Ollama endpoints report as loaded, merged (first copy
     * of each name wins). Endpoints that fail or time out are left out.
     */
    private void ollamaPs(Exchange ex, Set<String> types) {
        List<EndpointState> targets = new ArrayList<>();
        for (EndpointState s : endpoints.all()) {
            if (s.routable() && types.contains(endpoints.profileOf(s).name())) {
                targets.add(s);
            }
        }
        if (discovery == null || targets.isEmpty()) {
            ex.json(HttpResponseStatus.OK, Map.of("models", List.of()));
            return;
        }
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>(targets.size());
        for (EndpointState s : targets) {
            calls.add(discovery.fetchJson(s, "/api/ps", PS_TIMEOUT).exceptionally(e -> null));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).whenComplete((v, err) ->
                ex.eventLoop().execute(() -> {
                    if (!ex.isOpen()) {
                        return;
                    }
                    Map<String, JsonNode> merged = new LinkedHashMap<>();
                    for (CompletableFuture<JsonNode> c : calls) {
                        JsonNode body = c.getNow(null);
                        if (body == null) {
                            continue;
                        }
                        for (JsonNode m : body.path("models")) {
                            String name = m.path("name").asText(m.path("model").asText(""));
                            if (!name.isEmpty()) {
                                merged.putIfAbsent(name, m);
                            }
                        }
                    }
                    ex.json(HttpResponseStatus.OK, Map.of("models", List.copyOf(merged.values())));
                }));
    }

    // ------------------------------------------------------------------ helpers

    private static QueryStringDecoder query(Exchange ex) {
        String q = ex.query();
        return new QueryStringDecoder(q == null || q.isEmpty() ? "/" : "/?" + q);
    }

    private static String param(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }
}
