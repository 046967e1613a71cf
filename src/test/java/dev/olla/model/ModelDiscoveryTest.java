package dev.olla.model;

import static dev.olla.model.ModelTestKit.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.endpoint.ManualScheduler;
import dev.olla.model.ModelRouting.Decision;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimStats;
import dev.olla.sim.SimulatedBackend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Discovery against simulated backends on real sockets; its timers (refresh, cleanup, retries) and
 * the registry's clock on a {@link ManualScheduler}: the tests move time instead of sleeping.
 */
class ModelDiscoveryTest {
    private SimulatedBackend simA;
    private SimulatedBackend simB;
    private SimulatedBackend simC;
    private SimulatedBackend simD;
    private SimulatedBackend simE;
    private EndpointState a;
    private EndpointState b;
    private EndpointState c;
    private EndpointState d;
    private EndpointState e;
    private EndpointRegistry endpoints;
    private ModelRegistry registry;
    private ModelDiscovery discovery;
    private final ManualScheduler time = new ManualScheduler();

    @BeforeEach
    void start() {
        simA = ModelTestKit.sim(SimFlavor.OLLAMA, SimModel.of("llama3.2:3b"), SimModel.of("phi4:14b"));
        simB = ModelTestKit.sim(SimFlavor.OLLAMA, SimModel.of("llama3.2:3b"));
        simC = ModelTestKit.sim(SimFlavor.VLLM, SimModel.of("meta-llama/Llama-3.1-8B").withContextLength(131072));
        simD = ModelTestKit.sim(SimFlavor.LMSTUDIO, SimModel.of("qwen2.5-7b-instruct"),
                SimModel.of("llama-3.2-3b-instruct").withLoaded(false), SimModel.embedding("text-embedding-nomic-embed-text-v1.5"));
        simE = ModelTestKit.sim(SimFlavor.LLAMACPP, SimModel.of("tiny-llama"));
        a = ModelTestKit.state("ollama-a", simA.baseUrl(), "ollama");
        // b sends auth and a custom header, and excludes nothing
        b = ModelTestKit.healthy(new EndpointState(ModelTestKit.endpoint("ollama-b", simB.baseUrl(), "ollama", null,
                Map.of("Authorization", "Bearer s3cret", "X-Team", "ml"))));
        c = ModelTestKit.over("vllm-c", simC);
        d = ModelTestKit.over("lms-d", simD);
        e = ModelTestKit.over("llamacpp-e", simE);
        endpoints = ModelTestKit.registry(a, b, c, d, e);
        registry = new ModelRegistry(endpoints, true, time.clock());
        discovery = new ModelDiscovery(endpoints, registry, ModelTestKit.fastSettings(), time);
    }

    @AfterEach
    void stop() {
        discovery.close();
        for (SimulatedBackend s : List.of(simA, simB, simC, simD, simE)) {
            s.close();
        }
    }

    @Test
    void discoversEveryFormatAndUnifiesOverlaps() throws Exception {
        assertThat(discovery.runInitialPass(Duration.ofSeconds(5))).isTrue();

        assertThat(registry.models()).extracting(UnifiedModel::id).containsExactly("llama-3.2-3b-instruct",
                "llama3.2:3b", "meta-llama/Llama-3.1-8B", "phi4:14b", "qwen2.5-7b-instruct",
                "text-embedding-nomic-embed-text-v1.5", "tiny-llama");
        UnifiedModel llama = registry.find("llama3.2:3b").orElseThrow();
        assertThat(llama.sources()).extracting(UnifiedModel.Source::endpointName).containsExactly("ollama-a", "ollama-b");
        assertThat(llama.family()).isEqualTo("llama");
        assertThat(llama.parameterSize()).isEqualTo("3.0B");
        assertThat(llama.quantization()).isEqualTo("Q4_K_M");
        assertThat(llama.digest()).isEqualTo(SimModel.of("llama3.2:3b").digest());
        assertThat(llama.diskSize()).isEqualTo(2 * SimModel.of("llama3.2:3b").sizeBytes());

        assertThat(registry.find("meta-llama/Llama-3.1-8B").orElseThrow().contextLength()).isEqualTo(131072);
        UnifiedModel notLoaded = registry.find("llama-3.2-3b-instruct").orElseThrow();
        assertThat(notLoaded.sources().get(0).state()).isEqualTo("not-loaded");
        assertThat(registry.find("qwen2.5-7b-instruct").orElseThrow().loaded()).isTrue();
        assertThat(registry.find("text-embedding-nomic-embed-text-v1.5").orElseThrow().type()).isEqualTo("embeddings");
        assertThat(registry.find("tiny-llama").orElseThrow().contextLength()).isEqualTo(8192);

        // request details: UA, Accept, auth and custom headers
        SimStats.RecordedRequest req = simB.stats().lastRequest("/api/tags");
        assertThat(req.header("User-Agent")).startsWith("olla-Discovery/");
        assertThat(req.header("Accept")).isEqualTo("application/json");
        assertThat(req.header("Authorization")).isEqualTo("Bearer s3cret");
        assertThat(req.header("X-Team")).isEqualTo("ml");
        assertThat(simD.stats().lastRequest().path()).isEqualTo("/api/v0/models");
        assertThat(discovery.lastSuccess(a)).isNotNull();
        // the version, where the profile names a minimum (Ollama's Anthropic passthrough), with the same headers
        assertThat(registry.version(a)).isEqualTo(simA.version());
        assertThat(simB.stats().lastRequest("/api/version").header("Authorization")).isEqualTo("Bearer s3cret");
    }

    @Test
    void garbageOrErrorsKeepPreviousModelsAndOtherEndpoints() throws Exception {
        discovery.discoverAll().get(5, TimeUnit.SECONDS);
        simA.faults().garbageModels(true);
        simC.faults().httpError(500);
        simA.setModels(List.of(SimModel.of("other:1b")));
        discovery.discoverAll().get(5, TimeUnit.SECONDS);

        assertThat(discovery.lastError(a)).contains("invalid JSON");
        assertThat(discovery.lastError(c)).isEqualTo("HTTP 500");
        assertThat(discovery.lastError(b)).isNull();
        // a keeps phi4 and llama (until stale), c keeps its model, the rest as before
        assertThat(registry.sourcesFor("phi4:14b")).extracting(UnifiedModel.Source::endpointName).containsExactly("ollama-a");
        assertThat(registry.sourcesFor("llama3.2:3b")).hasSize(2);
        assertThat(registry.knows("meta-llama/Llama-3.1-8B")).isTrue();
        assertThat(registry.knows("other:1b")).isFalse();
        assertThatThrownBy(() -> discovery.discover(a).get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ModelListException.class);

        simA.faults().reset();
        discovery.discover(a).get(5, TimeUnit.SECONDS);
        assertThat(discovery.lastError(a)).isNull();
        assertThat(registry.knows("other:1b")).isTrue();
        assertThat(registry.knows("phi4:14b")).isFalse(); // a fresh list replaces the old one at once
    }

    @Test
    void unroutableEndpointsAreSkippedAndRecoveryRediscovers() throws Exception {
        ModelTestKit.set(a, EndpointStatus.OFFLINE);
        discovery.discoverAll().get(5, TimeUnit.SECONDS);
        assertThat(registry.knows("phi4:14b")).isFalse();
        assertThat(simA.stats().requests("/api/tags")).isZero();

        ModelTestKit.set(a, EndpointStatus.HEALTHY);
        discovery.onRecovered(a);
        assertThat(ModelTestKit.await(Duration.ofSeconds(5), () -> registry.knows("phi4:14b"))).isTrue();

        // unknown -> routable (not a "recovery") is also discovered through the status listener hook
        simB.setModels(List.of(SimModel.of("late:1b")));
        discovery.onStatusChanged(b, EndpointStatus.UNKNOWN, EndpointStatus.HEALTHY, "ok");
        assertThat(ModelTestKit.await(Duration.ofSeconds(5), () -> registry.knows("late:1b"))).isTrue();
        discovery.onStatusChanged(b, EndpointStatus.HEALTHY, EndpointStatus.BUSY, "slow"); // no-op
    }

    @Test
    void modelFiltersApply() throws Exception {
        EndpointState filtered = ModelTestKit.healthy(new EndpointState(ModelTestKit.endpoint("filtered",
                simD.baseUrl(), "lm-studio", new OllaConfig.Filter(List.of("*instruct*", "text-*"),
                        List.of("LLAMA*")), Map.of())));
        EndpointRegistry one = ModelTestKit.registry(filtered);
        ModelRegistry reg = new ModelRegistry(one, true);
        try (ModelDiscovery disc = new ModelDiscovery(one, reg, ModelTestKit.fastSettings(), time)) {
            disc.discover(filtered).get(5, TimeUnit.SECONDS);
        }
        assertThat(reg.models()).extracting(UnifiedModel::id)
                .containsExactly("qwen2.5-7b-instruct", "text-embedding-nomic-embed-text-v1.5");
    }

    @Test
    void staleModelsDropWhileFreshOnesStay() throws Exception {
        discovery.close();
        discovery = new ModelDiscovery(endpoints, registry,
                ModelTestKit.fastSettings().withStale(Duration.ofMinutes(10), Duration.ofMinutes(1)), time);
        discovery.discoverAll().get(5, TimeUnit.SECONDS);
        simA.faults().httpError(503);
        discovery.start();
        // b keeps being rediscovered; a fails and its phi4 goes stale once unseen for more than 10 minutes
        for (int minute = 1; minute <= 10; minute++) {
            time.advance(Duration.ofMinutes(1));
            discovery.discover(b).get(5, TimeUnit.SECONDS);
            discovery.discover(a).exceptionally(x -> null).get(5, TimeUnit.SECONDS);
            assertThat(registry.knows("phi4:14b")).as("minute %d", minute).isTrue();
        }
        time.advance(Duration.ofMinutes(1)); // the cleanup at minute 11: last seen more than 10 minutes ago
        assertThat(registry.knows("phi4:14b")).isFalse();
        assertThat(registry.sourcesFor("llama3.2:3b")).extracting(UnifiedModel.Source::endpointName)
                .containsExactly("ollama-b");
    }

    @Test
    void periodicDiscoveryPicksUpChanges() throws Exception {
        discovery.close();
        discovery = new ModelDiscovery(endpoints, registry, ModelTestKit.fastSettings().withInterval(Duration.ofMinutes(5)),
                time);
        discovery.runInitialPass(Duration.ofSeconds(5));
        discovery.start();
        simC.setModels(List.of(SimModel.of("Qwen/Qwen2.5-72B")));
        time.advance(Duration.ofMinutes(4));
        assertThat(simC.stats().requests("/v1/models")).isEqualTo(1); // only the first pass so far
        time.advance(Duration.ofMinutes(1));
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> registry.knows("qwen/qwen2.5-72b"))).isTrue();
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> discovery.running() == 0)).isTrue();
        time.advance(Duration.ofMinutes(5));
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> simC.stats().requests("/v1/models") == 3)).isTrue();
    }

    @Test
    void retriesTransientFailuresWithDoublingBackOff() throws Exception {
        discovery.close();
        discovery = new ModelDiscovery(endpoints, registry,
                ModelTestKit.fastSettings().withRetries(3, Duration.ofMillis(200)), time);
        simA.faults().httpError(502);
        var pending = discovery.discover(a);
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> time.pending().contains(Duration.ofMillis(200))))
                .isTrue();
        time.advance(Duration.ofMillis(200)); // the second attempt fails too: the next waits twice as long
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> time.pending().contains(Duration.ofMillis(400))))
                .isTrue();
        assertThat(pending).isNotDone();
        simA.faults().reset();
        time.advance(Duration.ofMillis(400));
        pending.get(5, TimeUnit.SECONDS);
        assertThat(registry.knows("phi4:14b")).isTrue();
        assertThat(simA.stats().requests("/api/tags")).isEqualTo(3);

        // a 4xx or invalid JSON is not retried
        simA.faults().garbageModels(true);
        assertThatThrownBy(() -> discovery.discover(a).get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(simA.stats().requests("/api/tags")).isEqualTo(4);
        assertThat(time.pending()).doesNotContain(Duration.ofMillis(200));
    }

    @Test
    void discoveryStrategyFindsAModelAddedAtRuntime() throws Exception {
        discovery.discoverAll().get(5, TimeUnit.SECONDS);
        ModelRouter router = new ModelRouter(registry, new OllaConfig.RoutingStrategy(
                OllaConfig.RoutingStrategyType.DISCOVERY, new OllaConfig.RoutingOptions(
                        OllaConfig.FallbackBehavior.NONE, Duration.ofSeconds(2), true)), Map.of(), discovery::discover);
        List<EndpointState> ollamas = List.of(a, b);
        assertThat(router.route("mistral:7b", ollamas).rejected()).isTrue();

        simB.setModels(List.of(SimModel.of("llama3.2:3b"), SimModel.of("mistral:7b")));
        Decision d = router.routeAsync("mistral:7b", ollamas).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(d.action()).isEqualTo("routed");
        assertThat(d.reason()).isEqualTo("model_found_after_discovery");
        assertThat(names(d.endpoints())).containsExactly("ollama-b");

        // an endpoint that cannot answer the refresh: the others still count
        simA.faults().garbageModels(true);
        simB.setModels(List.of(SimModel.of("gemma:2b")));
        d = router.routeAsync("gemma:2b", ollamas).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(names(d.endpoints())).containsExactly("ollama-b");
    }
}
