package dev.olla.route;

import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.ProxyService;
import dev.olla.proxy.RouteTarget;
import dev.olla.server.ApiError;
import dev.olla.server.Router;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The proxy routes: {@code /olla/<prefix>/*} for every routing prefix of every loaded profile, and
 * {@code /olla/proxy/*} for any endpoint. {@code openai} and {@code openai-compatible} reach every
 * endpoint whose profile is OpenAI-compatible; every other prefix reaches only its own type. The Ollama
 * prefix answers Olla's own errors in Ollama's shape ({@link OllamaApi}).
 */
public final class ProxyRoutes {
    private static final Set<String> OPENAI_PREFIXES = Set.of("openai", "openai-compatible");

    private ProxyRoutes() {}

    public static void register(Router router, ProfileRegistry profiles, ProxyService proxy) {
        Set<String> openAiTypes = new LinkedHashSet<>();
        for (Profile p : profiles.all()) {
            if (p.openAiCompatible()) {
                openAiTypes.add(p.name());
            }
        }
        List<String> prefixes = new ArrayList<>();
        for (Profile p : profiles.all()) {
            for (String prefix : p.prefixes()) {
                Set<String> types = OPENAI_PREFIXES.contains(prefix) ? openAiTypes : Set.of(p.name());
                RouteTarget target = new RouteTarget("/olla/" + prefix, Set.copyOf(types), p.name(), true);
                String base = "/olla/" + prefix;
                router.prefix(base + "/", "ollama".equals(p.name())
                        ? proxy.route(target, ex -> OllamaApi.plan(ex, base)) : proxy.route(target), true);
                if ("ollama".equals(p.name())) {
                    OllamaApi.errorBodies(router, base);
                }
                prefixes.add(prefix);
            }
        }
        if (!prefixes.contains("openai-compatible")) {
            RouteTarget t = new RouteTarget("/olla/openai-compatible", Set.copyOf(openAiTypes), "openai-compatible", true);
            router.prefix("/olla/openai-compatible/", proxy.route(t), true);
            prefixes.add("openai-compatible");
        }
        RouteTarget any = RouteTarget.anyEndpoint("/olla/proxy");
        router.prefix("/olla/proxy/", proxy.route(any), true);

        List<String> sorted = prefixes.stream().sorted().toList();
        ApiError unknown = ApiError.notFound("Unknown provider prefix. Use /olla/proxy/ or one of: /olla/"
                + String.join("/, /olla/", sorted) + "/");
        router.prefix("/olla/", ex -> ex.error(unknown), false);
    }
}
