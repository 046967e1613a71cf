package dev.olla.model;

import static dev.olla.model.ModelTestKit.named;
import static dev.olla.model.ModelTestKit.names;
import static dev.olla.model.ModelTestKit.offline;
import static dev.olla.model.ModelTestKit.withDigest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig;
import dev.olla.config.OllaConfig.FallbackBehavior;
import dev.olla.config.OllaConfig.RoutingStrategyType;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.model.ModelRouting.Decision;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModelRouterTest {
    private EndpointState a;
    private EndpointState b;
    private EndpointState c;
    private ModelRegistry registry;
    private List<EndpointState> ollamas;
    private List<EndpointState> all;

    @BeforeEach
    void setUp() {
        a = offline("ollama-a", "ollama");
        b = offline("ollama-b", "ollama");
        c = offline("vllm-c", "vllm");
        registry = new ModelRegistry(ModelTestKit.registry(a, b, c), true);
        registry.replace(a, List.of(withDigest("llama3.2:3b", "d1"), withDigest("phi4:14b", "d2")));
        registry.replace(b, List.of(withDigest("llama3.2:3b", "d1"), withDigest("qwen:latest", "d3")));
        registry.replace(c, List.of(named("meta-llama/Llama-3.1-8B")));
        ollamas = List.of(a, b);
        all = List.of(a, b, c);
    }

    private static OllaConfig.RoutingStrategy strategy(RoutingStrategyType type, FallbackBehavior fb, boolean refresh) {
        return new OllaConfig.RoutingStrategy(type, new OllaConfig.RoutingOptions(fb, Duration.ofMillis(500), refresh));
    }

    private ModelRouter router(RoutingStrategyType type, FallbackBehavior fb) {
        return new ModelRouter(registry, strategy(type, fb, false), Map.of(), null);
    }

    private static void assertDecision(Decision d, String strategy, String action, String reason) {
        assertThat(d.strategy()).isEqualTo(strategy);
        assertThat(d.action()).isEqualTo(action);
        assertThat(d.reason()).isEqualTo(reason);
    }

    @Test
    void strictRoutesOnlyToEndpointsWithTheModel() {
        ModelRouter r = router(RoutingStrategyType.STRICT, FallbackBehavior.COMPATIBLE_ONLY);
        Decision both = r.route("llama3.2:3b", ollamas);
        assertDecision(both, "strict", "routed", "model_found");
        assertThat(names(both.endpoints())).containsExactly("ollama-a", "ollama-b");
        assertThat(both.rewrite()).isEmpty();

        assertThat(names(r.route("phi4:14b", ollamas).endpoints())).containsExactly("ollama-a");
        // case-insensitive through the unified catalogue, no rewrite for a case difference
        Decision upper = r.route("meta-llama/llama-3.1-8b", all);
        assertThat(names(upper.endpoints())).containsExactly("vllm-c");
        assertThat(upper.rewrite()).isEmpty();

        Decision unknown = r.route("gpt-9", ollamas);
        assertDecision(unknown, "strict", "rejected", "model_not_found");
        assertThat(unknown.rejectStatus()).isEqualTo(404);
        assertThat(unknown.rejectMessage()).contains("gpt-9").contains("/olla/models");
        assertThat(unknown.endpoints()).isEmpty();

        // known, but not on this route's candidates (vLLM model on the Ollama route)
        Decision elsewhere = r.route("meta-llama/llama-3.1-8b", ollamas);
        assertDecision(elsewhere, "strict", "rejected", "model_unavailable");
        assertThat(elsewhere.rejectStatus()).isEqualTo(503);

        // known, but its only endpoint is down
        ModelTestKit.set(a, EndpointStatus.OFFLINE);
        assertDecision(r.route("phi4:14b", ollamas), "strict", "rejected", "model_unavailable");
        assertThat(names(r.route("llama3.2:3b", ollamas).endpoints())).containsExactly("ollama-b");
    }

    @Test
    void optimisticFallbacks() {
        ModelTestKit.set(b, EndpointStatus.OFFLINE);
        ModelRouter all = router(RoutingStrategyType.OPTIMISTIC, FallbackBehavior.ALL);
        Decision d = all.route("unknown-model", ollamas);
        assertDecision(d, "optimistic", "fallback", "model_not_found_fallback");
        assertThat(names(d.endpoints())).containsExactly("ollama-a"); // routable candidates only
        d = all.route("qwen:latest", ollamas);
        assertDecision(d, "optimistic", "fallback", "all_healthy_fallback");
        assertThat(names(d.endpoints())).containsExactly("ollama-a");
        assertDecision(all.route("phi4:14b", ollamas), "optimistic", "routed", "model_found");

        ModelRouter none = router(RoutingStrategyType.OPTIMISTIC, FallbackBehavior.NONE);
        assertDecision(none.route("unknown-model", ollamas), "optimistic", "rejected", "model_not_found");
        d = none.route("qwen:latest", ollamas);
        assertDecision(d, "optimistic", "rejected", "model_unavailable_no_fallback");
        assertThat(d.rejectStatus()).isEqualTo(503);

        ModelRouter compatible = router(RoutingStrategyType.OPTIMISTIC, FallbackBehavior.COMPATIBLE_ONLY);
        assertThat(compatible.route("unknown-model", ollamas).rejectStatus()).isEqualTo(404);
        assertDecision(compatible.route("qwen:latest", ollamas), "optimistic", "rejected",
                "model_unavailable_compatible_only");
    }

    @Test
    void aliasesRouteAndRewritePerEndpoint() {
        registry.replace(c, List.of(named("meta-llama/Llama-3.1-8B"), named("Llama3.2-3B-Instruct")));
        Map<String, List<String>> aliases = Map.of("My-Llama", List.of("llama3.2:3b", "llama3.2-3b-instruct"),
                "ghost", List.of("does-not-exist"));
        ModelRouter r = new ModelRouter(registry, strategy(RoutingStrategyType.STRICT, FallbackBehavior.NONE, false),
                aliases, null);
        Decision d = r.route("my-llama", all);
        assertDecision(d, "alias", "routed", "alias \"My-Llama\" resolved to 3 endpoint(s)");
        assertThat(names(d.endpoints())).containsExactly("ollama-a", "ollama-b", "vllm-c");
        assertThat(d.rewrite()).containsExactly(Map.entry("ollama-a", "llama3.2:3b"), Map.entry("ollama-b", "llama3.2:3b"),
                Map.entry("vllm-c", "Llama3.2-3B-Instruct"));

        // only routable candidates of this route
        ModelTestKit.set(a, EndpointStatus.UNHEALTHY);
        d = r.route("my-llama", ollamas);
        assertThat(names(d.endpoints())).containsExactly("ollama-b");
        assertThat(d.reason()).isEqualTo("alias \"My-Llama\" resolved to 1 endpoint(s)");

        // an alias nothing serves is an ordinary (unknown) model: rejected with the strategy's headers
        Decision ghost = r.route("ghost", all);
        assertDecision(ghost, "strict", "rejected", "model_not_found");
        assertThat(ghost.rejectStatus()).isEqualTo(404);
        // targets known but down: unavailable (503), not unknown
        ModelTestKit.set(b, EndpointStatus.OFFLINE);
        Decision down = r.route("my-llama", ollamas);
        assertDecision(down, "strict", "rejected", "model_unavailable");
        assertThat(down.rejectStatus()).isEqualTo(503);
    }

    @Test
    void digestMergedCopyUnderAnotherNameIsRewritten() {
        registry.replace(b, List.of(withDigest("llama3.2:latest", "d1")));
        Decision d = router(RoutingStrategyType.STRICT, FallbackBehavior.NONE).route("llama3.2:3b", ollamas);
        assertThat(names(d.endpoints())).containsExactly("ollama-a", "ollama-b");
        assertThat(d.rewrite()).containsExactly(Map.entry("ollama-b", "llama3.2:latest"));
    }

    @Test
    void unifierOffMatchesNativeNamesIgnoringCaseOnly() {
        // routing names arrive lower-cased, so an exact-only lookup could never match "Llama"
        ModelRegistry exact = new ModelRegistry(ModelTestKit.registry(a, c), false);
        exact.replace(c, List.of(named("meta-llama/Llama-3.1-8B"), named("lower-case")));
        ModelRouter r = new ModelRouter(exact, null, null, null);
        assertThat(r.route("meta-llama/llama-3.1-8b", all).reason()).isEqualTo("model_found");
        assertThat(r.route("lower-case", all).reason()).isEqualTo("model_found");
        assertThat(r.route("meta-llama/llama-3.1", all).reason()).isEqualTo("model_not_found");
    }

    @Test
    void discoveryStrategyRefreshesAndRechecks() throws Exception {
        List<String> refreshed = new ArrayList<>();
        ModelRouter.Refresher refresher = s -> {
            synchronized (refreshed) {
                refreshed.add(s.name());
            }
            if (s == b) {
                registry.replace(b, List.of(named("new-model:1b")));
            }
            return CompletableFuture.completedFuture(null);
        };
        ModelRouter r = new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY, FallbackBehavior.NONE, true),
                Map.of(), refresher);
        assertDecision(r.routeAsync("phi4:14b", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS), "discovery",
                "routed", "model_found_no_refresh");
        assertThat(refreshed).isEmpty();

        Decision d = r.routeAsync("new-model:1b", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS);
        assertDecision(d, "discovery", "routed", "model_found_after_discovery");
        assertThat(names(d.endpoints())).containsExactly("ollama-b");
        assertThat(refreshed).containsExactlyInAnyOrder("ollama-a", "ollama-b");

        d = r.routeAsync("still-missing", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS);
        assertDecision(d, "discovery", "rejected", "model_unavailable_after_discovery");
        assertThat(d.rejectStatus()).isEqualTo(404);
        // route() never refreshes
        assertDecision(r.route("still-missing", ollamas), "discovery", "rejected", "model_unavailable_no_refresh");
    }

    @Test
    void discoveryStrategyFailuresTimeoutsAndFallbacks() throws Exception {
        ModelRouter.Refresher failing = s -> CompletableFuture.failedFuture(new RuntimeException("boom"));
        ModelRouter.Refresher hanging = s -> new CompletableFuture<>();
        assertDecision(new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY, FallbackBehavior.NONE, true),
                Map.of(), failing).routeAsync("x", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS),
                "discovery", "rejected", "discovery_failed_no_fallback");
        assertDecision(new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY,
                FallbackBehavior.COMPATIBLE_ONLY, true), Map.of(), failing).routeAsync("x", ollamas)
                .toCompletableFuture().get(2, TimeUnit.SECONDS), "discovery", "rejected", "discovery_failed_compatible_only");
        long t0 = System.nanoTime();
        Decision d = new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY, FallbackBehavior.ALL, true),
                Map.of(), hanging).routeAsync("x", ollamas).toCompletableFuture().get(3, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2)); // discovery_timeout 500ms
        assertDecision(d, "discovery", "fallback", "discovery_failed_all_fallback");
        assertThat(names(d.endpoints())).containsExactly("ollama-a", "ollama-b");

        ModelRouter.Refresher ok = s -> CompletableFuture.completedFuture(null);
        assertDecision(new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY, FallbackBehavior.ALL, true),
                Map.of(), ok).routeAsync("x", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS),
                "discovery", "fallback", "all_healthy_after_discovery");
        assertDecision(new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY, FallbackBehavior.ALL, false),
                Map.of(), ok).routeAsync("x", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS),
                "discovery", "rejected", "model_unavailable_no_refresh");
        ModelTestKit.set(a, EndpointStatus.OFFLINE);
        ModelTestKit.set(b, EndpointStatus.OFFLINE);
        assertDecision(new ModelRouter(registry, strategy(RoutingStrategyType.DISCOVERY, FallbackBehavior.ALL, true),
                Map.of(), ok).routeAsync("x", ollamas).toCompletableFuture().get(2, TimeUnit.SECONDS),
                "discovery", "rejected", "no_healthy_after_discovery");
    }
}
