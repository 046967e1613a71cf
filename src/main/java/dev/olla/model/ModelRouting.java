package dev.olla.model;

import dev.olla.endpoint.EndpointState;
import java.util.List;
import java.util.Map;

/**
 * Chooses the endpoints that may serve a request for a model (routing strategy, aliases). Called
 * once per proxied request that names a model, on an event loop: it must not block (a
 * "discovery" refresh on a miss is asynchronous, see {@link #routeAsync}).
 */
public interface ModelRouting {

    /**
     * The outcome of routing, reported in {@code X-Olla-Routing-Strategy/-Decision/-Reason}.
     *
     * @param endpoints     the endpoints allowed to serve the request (empty when rejected)
     * @param strategy      {@code strict}, {@code optimistic}, {@code discovery} or {@code alias}
     * @param action        {@code routed}, {@code fallback} or {@code rejected}
     * @param reason        machine-readable reason, e.g. {@code model_found}, {@code model_not_found}
     * @param rejectStatus  HTTP status when rejected (404 unknown model, 503 known but unavailable)
     * @param rejectMessage the error message when rejected (names the model and where to list models)
     * @param rewrite       endpoint name -> the model name that endpoint knows, when it differs from
     *                      the requested one (aliases); only the body's {@code model} field changes
     * @param reserve       endpoints that serve the model but were not routable when routed (the
     *                      proxy's last resort and panic routing may still try them)
     */
    record Decision(List<EndpointState> endpoints, String strategy, String action, String reason,
            int rejectStatus, String rejectMessage, Map<String, String> rewrite, List<EndpointState> reserve) {
        public Decision(List<EndpointState> endpoints, String strategy, String action, String reason,
                int rejectStatus, String rejectMessage, Map<String, String> rewrite) {
            this(endpoints, strategy, action, reason, rejectStatus, rejectMessage, rewrite, List.of());
        }

        public boolean rejected() {
            return "rejected".equals(action);
        }
    }

    /**
     * Routes synchronously. {@code candidates} are the endpoints compatible with the request's route
     * (any health status); {@code model} is the routing name (trimmed, lower-cased).
     */
    Decision route(String model, List<EndpointState> candidates);

    /**
     * Whether the name is one Olla knows: a model some endpoint serves (any status) or a configured
     * alias. Per-model statistics keep their own row only for such names.
     */
    boolean knows(String model);

    /**
     * Routes, possibly after an asynchronous refresh (the {@code discovery} strategy). The default
     * completes at once with {@link #route}.
     */
    default java.util.concurrent.CompletionStage<Decision> routeAsync(String model, List<EndpointState> candidates) {
        return java.util.concurrent.CompletableFuture.completedFuture(route(model, candidates));
    }
}
