package dev.olla.model;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model routing: which of the route's candidate endpoints may serve a model, per
 * {@code model_registry.routing_strategy} and {@code model_aliases}.
 *
 * <p>Lookup: with the unifier, every endpoint serving a unified model whose id or any alias equals
 * the name ignoring case; without it, the exact (case-sensitive) native name. Only routable
 * candidates are returned. "Unknown" means no endpoint at all (any type, any status) serves the name;
 * "unavailable" means known, but on no routable candidate of this route.
 *
 * <p>Aliases first: the key matches the request's (lower-cased) model ignoring case; each listed name
 * resolves to endpoints, the first listed name an endpoint serves wins for that endpoint, and the
 * decision's {@code rewrite} maps each endpoint to that endpoint's own name for it. An alias no
 * routable candidate serves is routed as an ordinary model name (counting as known if any endpoint
 * serves one of its targets), without rewriting.
 *
 * <p>Outside aliases the body is only rewritten when the unifier matched an endpoint's copy under a
 * different name (a digest-merged model, e.g. {@code llama3.2:latest} = {@code llama3.2:3b}): that
 * endpoint would not know the requested name. A copy that differs only in case is not rewritten.
 *
 * <p>Strategies and reasons (rejected: 404 when the model is unknown, else 503):
 * <ul>
 * <li>{@code strict}: routed {@code model_found}; rejected {@code model_not_found} / {@code model_unavailable}.</li>
 * <li>{@code optimistic}: routed {@code model_found}; unknown: {@code all} -> fallback
 * {@code model_not_found_fallback} (all routable candidates), else rejected {@code model_not_found};
 * unavailable: {@code none} -> rejected {@code model_unavailable_no_fallback}, {@code compatible_only} ->
 * rejected {@code model_unavailable_compatible_only}, {@code all} -> fallback {@code all_healthy_fallback}.</li>
 * <li>{@code discovery}: routed {@code model_found_no_refresh}; on a miss with
 * {@code discovery_refresh_on_miss: false} rejected {@code model_unavailable_no_refresh}; otherwise the
 * routable candidates are re-discovered (bounded by {@code discovery_timeout}) and the model looked
 * up again (the original never re-checks): routed {@code model_found_after_discovery}; still missing:
 * {@code all} -> fallback {@code all_healthy_after_discovery}, else rejected
 * {@code model_unavailable_after_discovery}; every refresh failed: {@code discovery_failed_no_fallback},
 * {@code discovery_failed_compatible_only} (rejected) or fallback {@code discovery_failed_all_fallback};
 * no routable candidate: rejected {@code no_healthy_after_discovery}. The refresh happens only in
 * {@link #routeAsync}; {@link #route} answers a miss as if refreshing were off.</li>
 * </ul>
 */
public final class ModelRouter implements ModelRouting {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRouter.class);
    static final String LIST_HINT = "list available models at /olla/models";

    /** Re-discovers one endpoint; completes exceptionally when that failed. */
    @FunctionalInterface
    public interface Refresher {
        CompletableFuture<Void> refresh(EndpointState endpoint);
    }

    private final ModelRegistry registry;
    private final OllaConfig.RoutingStrategyType strategy;
    private final String strategyName;
    private final OllaConfig.FallbackBehavior fallback;
    private final boolean refreshOnMiss;
    private final Duration discoveryTimeout;
    private final Map<String, Alias> aliases;
    private final Refresher refresher;

    private record Alias(String name, List<String> targets) {}

    /** Where a name is served among the candidates. */
    /** @param reserve endpoints serving the model that are not routable now */
    private record Lookup(boolean known, List<EndpointState> endpoints, Map<String, String> rewrite,
            List<EndpointState> reserve) {
        boolean found() {
            return !endpoints.isEmpty();
        }
    }

    /**
     * @param strategy  {@code model_registry.routing_strategy} (null = strict)
     * @param aliases   {@code model_aliases} (alias -> real names), may be null
     * @param refresher re-discovery for the {@code discovery} strategy (e.g. {@code discovery::discover}), may be null
     */
    public ModelRouter(ModelRegistry registry, OllaConfig.RoutingStrategy strategy, Map<String, List<String>> aliases,
            Refresher refresher) {
        this.registry = registry;
        OllaConfig.RoutingOptions o = strategy == null ? null : strategy.options();
        this.strategy = strategy == null || strategy.type() == null ? OllaConfig.RoutingStrategyType.STRICT
                : strategy.type();
        this.strategyName = this.strategy.name().toLowerCase(Locale.ROOT);
        this.fallback = o == null || o.fallbackBehavior() == null ? OllaConfig.FallbackBehavior.COMPATIBLE_ONLY
                : o.fallbackBehavior();
        this.refreshOnMiss = o != null && o.discoveryRefreshOnMiss();
        this.discoveryTimeout = o == null || o.discoveryTimeout() == null || o.discoveryTimeout().isZero()
                || o.discoveryTimeout().isNegative() ? Duration.ofSeconds(2) : o.discoveryTimeout();
        Map<String, Alias> a = new LinkedHashMap<>();
        if (aliases != null) {
            aliases.forEach((k, v) -> {
                if (k != null && !k.isBlank() && v != null && !v.isEmpty()) {
                    a.putIfAbsent(k.strip().toLowerCase(Locale.ROOT), new Alias(k.strip(), List.copyOf(v)));
                }
            });
        }
        this.aliases = Collections.unmodifiableMap(a);
        this.refresher = refresher;
    }

    /** The router for a configuration: strategy, aliases, and {@code discovery} as the refresher. */
    public static ModelRouter create(OllaConfig config, ModelRegistry registry, ModelDiscovery discovery) {
        return new ModelRouter(registry, config.modelRegistry() == null ? null : config.modelRegistry().routingStrategy(),
                config.modelAliases(), discovery == null ? null : discovery::discover);
    }

    public String strategyName() {
        return strategyName;
    }

    // ------------------------------------------------------------------ ModelRouting

    @Override
    public Decision route(String model, List<EndpointState> candidates) {
        Decision d = alias(model, candidates);
        if (d != null) {
            return d;
        }
        Lookup l = lookup(model, candidates);
        return switch (strategy) {
            case STRICT -> strict(model, l);
            case OPTIMISTIC -> optimistic(model, l, candidates);
            case DISCOVERY -> discoveryBeforeRefresh(model, l, candidates, false);
        };
    }

    @Override
    public boolean knows(String model) {
        return model != null && (aliases.containsKey(model.toLowerCase(Locale.ROOT)) || registry.knows(model));
    }

    @Override
    public CompletionStage<Decision> routeAsync(String model, List<EndpointState> candidates) {
        if (strategy != OllaConfig.RoutingStrategyType.DISCOVERY) {
            return CompletableFuture.completedFuture(route(model, candidates));
        }
        Decision d = alias(model, candidates);
        if (d != null) {
            return CompletableFuture.completedFuture(d);
        }
        Lookup l = lookup(model, candidates);
        Decision before = discoveryBeforeRefresh(model, l, candidates, true);
        if (before != null) {
            return CompletableFuture.completedFuture(before);
        }
        List<EndpointState> routable = routable(candidates);
        List<CompletableFuture<Void>> refreshes = new ArrayList<>(routable.size());
        for (EndpointState s : routable) {
            CompletableFuture<Void> f;
            try {
                f = refresher.refresh(s);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            refreshes.add(f);
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(
                refreshes.stream().map(f -> f.exceptionally(e -> null)).toArray(CompletableFuture[]::new));
        return all.completeOnTimeout(null, discoveryTimeout.toMillis(), TimeUnit.MILLISECONDS).thenApply(v -> {
            boolean anyOk = refreshes.stream().anyMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            if (!anyOk) {
                LOG.debug("model discovery refresh for \"{}\" failed or timed out on all {} endpoint(s)", ModelName.echo(model),
                        refreshes.size());
            }
            return afterRefresh(model, candidates, !anyOk);
        });
    }

    // ------------------------------------------------------------------ strategies

    private Decision strict(String model, Lookup l) {
        if (l.found()) {
            return routed(l, "model_found");
        }
        return reject(model, l, l.known() ? "model_unavailable" : "model_not_found");
    }

    private Decision optimistic(String model, Lookup l, List<EndpointState> candidates) {
        if (l.found()) {
            return routed(l, "model_found");
        }
        if (!l.known()) {
            return fallback == OllaConfig.FallbackBehavior.ALL
                    ? fallback(candidates, "model_not_found_fallback")
                    : reject(model, false, "model_not_found");
        }
        return switch (fallback) {
            case NONE -> reject(model, l, "model_unavailable_no_fallback");
            case COMPATIBLE_ONLY -> reject(model, l, "model_unavailable_compatible_only");
            case ALL -> fallback(candidates, "all_healthy_fallback");
        };
    }

    /** The discovery strategy's answer without refreshing; null when a refresh should run (async only). */
    private Decision discoveryBeforeRefresh(String model, Lookup l, List<EndpointState> candidates, boolean canRefresh) {
        if (l.found()) {
            return routed(l, "model_found_no_refresh");
        }
        if (!refreshOnMiss || refresher == null || !canRefresh) {
            return reject(model, l, "model_unavailable_no_refresh");
        }
        if (routable(candidates).isEmpty()) {
            return reject(model, l, "no_healthy_after_discovery");
        }
        return null;
    }

    private Decision afterRefresh(String model, List<EndpointState> candidates, boolean refreshFailed) {
        Decision d = alias(model, candidates);
        if (d != null) {
            return d;
        }
        Lookup l = lookup(model, candidates);
        if (l.found()) {
            return routed(l, "model_found_after_discovery");
        }
        if (routable(candidates).isEmpty()) {
            return reject(model, l, "no_healthy_after_discovery");
        }
        if (refreshFailed) {
            return switch (fallback) {
                case NONE -> reject(model, l, "discovery_failed_no_fallback");
                case COMPATIBLE_ONLY -> reject(model, l, "discovery_failed_compatible_only");
                case ALL -> fallback(candidates, "discovery_failed_all_fallback");
            };
        }
        return fallback == OllaConfig.FallbackBehavior.ALL
                ? fallback(candidates, "all_healthy_after_discovery")
                : reject(model, l, "model_unavailable_after_discovery");
    }

    // ------------------------------------------------------------------ aliases and lookup

    /** The alias decision, or null when the name is no alias or no routable candidate serves its targets. */
    private Decision alias(String model, List<EndpointState> candidates) {
        if (aliases.isEmpty() || model == null) {
            return null;
        }
        Alias a = aliases.get(model.toLowerCase(Locale.ROOT));
        if (a == null) {
            return null;
        }
        Map<EndpointState, Boolean> allowed = routableSet(candidates);
        Map<EndpointState, String> chosen = new IdentityHashMap<>();
        for (String target : a.targets()) {
            for (UnifiedModel.Source src : registry.sourcesFor(target)) {
                if (allowed.containsKey(src.endpoint())) {
                    chosen.putIfAbsent(src.endpoint(), src.nativeName());
                }
            }
        }
        if (chosen.isEmpty()) {
            return null;
        }
        List<EndpointState> endpoints = new ArrayList<>(chosen.size());
        Map<String, String> rewrite = new LinkedHashMap<>();
        for (EndpointState s : candidates) {
            String name = chosen.get(s);
            if (name != null) {
                endpoints.add(s);
                rewrite.put(s.name(), name);
            }
        }
        return new Decision(List.copyOf(endpoints), "alias", "routed",
                "alias \"" + a.name() + "\" resolved to " + endpoints.size() + " endpoint(s)", 0, null,
                Collections.unmodifiableMap(rewrite));
    }

    private Lookup lookup(String model, List<EndpointState> candidates) {
        List<UnifiedModel.Source> sources = registry.sourcesFor(model);
        boolean known = !sources.isEmpty();
        if (!known && !aliases.isEmpty() && model != null) {
            Alias a = aliases.get(model.toLowerCase(Locale.ROOT));
            if (a != null) {
                for (String t : a.targets()) {
                    if (registry.knows(t)) {
                        known = true;
                        break;
                    }
                }
            }
        }
        if (sources.isEmpty()) {
            return new Lookup(known, List.of(), Map.of(), List.of());
        }
        Map<EndpointState, String> serving = new IdentityHashMap<>();
        for (UnifiedModel.Source s : sources) {
            serving.putIfAbsent(s.endpoint(), s.nativeName());
        }
        List<EndpointState> out = new ArrayList<>(Math.min(serving.size(), candidates.size()));
        List<EndpointState> reserve = null;
        Map<String, String> rewrite = null;
        for (EndpointState c : candidates) {
            String nativeName = serving.get(c);
            if (nativeName != null) {
                if (c.routable()) {
                    out.add(c);
                } else {
                    if (reserve == null) {
                        reserve = new ArrayList<>(2);
                    }
                    reserve.add(c);
                }
                if (!nativeName.equalsIgnoreCase(model)) {
                    if (rewrite == null) {
                        rewrite = new LinkedHashMap<>();
                    }
                    rewrite.put(c.name(), nativeName);
                }
            }
        }
        return new Lookup(true, List.copyOf(out), rewrite == null ? Map.of() : Collections.unmodifiableMap(rewrite),
                reserve == null ? List.of() : List.copyOf(reserve));
    }

    private static List<EndpointState> routable(List<EndpointState> candidates) {
        List<EndpointState> out = new ArrayList<>(candidates.size());
        for (EndpointState s : candidates) {
            if (s.routable()) {
                out.add(s);
            }
        }
        return out;
    }

    private static Map<EndpointState, Boolean> routableSet(List<EndpointState> candidates) {
        Map<EndpointState, Boolean> m = new IdentityHashMap<>();
        for (EndpointState s : candidates) {
            if (s.routable()) {
                m.put(s, Boolean.TRUE);
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ decisions

    private Decision routed(Lookup l, String reason) {
        return new Decision(l.endpoints(), strategyName, "routed", reason, 0, null, l.rewrite(), l.reserve());
    }

    private Decision fallback(List<EndpointState> candidates, String reason) {
        return new Decision(List.copyOf(routable(candidates)), strategyName, "fallback", reason, 0, null, Map.of());
    }

    private Decision reject(String model, boolean known, String reason) {
        return reject(model, known, reason, Map.of(), List.of());
    }

    /** Rejected for now; the model's non-routable endpoints go along as the reserve. */
    private Decision reject(String model, Lookup l, String reason) {
        return reject(model, l.known(), reason, l.rewrite(), l.reserve());
    }

    private Decision reject(String requested, boolean known, String reason, Map<String, String> rewrite,
            List<EndpointState> reserve) {
        String model = ModelName.echo(requested);
        String message = known
                ? "model \"" + model + "\" is not available on any healthy endpoint for this route; " + LIST_HINT
                : "model \"" + model + "\" not found; " + LIST_HINT;
        return new Decision(List.of(), strategyName, "rejected", reason, known ? 503 : 404, message,
                rewrite, reserve);
    }
}
