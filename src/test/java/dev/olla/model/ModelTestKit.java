package dev.olla.model;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Fixtures for the model tests: endpoints of any type (over simulated backends or nowhere), statuses, waits. */
public final class ModelTestKit {
    public static final ProfileRegistry PROFILES = ProfileRegistry.builtIn();

    private ModelTestKit() {}

    /** An endpoint of {@code type} at {@code url}, model URL from the type's profile. */
    public static Endpoint endpoint(String name, String url, String type, OllaConfig.Filter filter,
            Map<String, String> headers) {
        Profile p = PROFILES.forType(type);
        URI u = URI.create(url);
        return new Endpoint(name, u, type, 100, false, URI.create(url + p.healthCheckPath()),
                URI.create(url + p.modelDiscoveryPath()), Duration.ofSeconds(5), Duration.ofSeconds(2),
                filter == null ? OllaConfig.Filter.ALL : filter, Map.copyOf(headers), Set.of());
    }

    public static EndpointState state(String name, String url, String type) {
        return healthy(new EndpointState(endpoint(name, url, type, null, Map.of())));
    }

    /** An endpoint nothing listens on (for registry/router unit tests). */
    public static EndpointState offline(String name, String type) {
        return healthy(new EndpointState(endpoint(name, "http://127.0.0.1:9", type, null, Map.of())));
    }

    public static EndpointState healthy(EndpointState s) {
        set(s, EndpointStatus.HEALTHY);
        return s;
    }

    public static void set(EndpointState s, EndpointStatus status) {
        s.compareAndSetStatus(s.status(), status, "test");
    }

    public static EndpointRegistry registry(EndpointState... states) {
        return new EndpointRegistry(List.of(states), PROFILES);
    }

    public static SimulatedBackend sim(SimFlavor flavor, SimModel... models) {
        return SimulatedBackend.builder(flavor).models(List.of(models)).build().start();
    }

    public static String type(SimFlavor f) {
        return switch (f) {
            case OLLAMA -> "ollama";
            case VLLM -> "vllm";
            case LMSTUDIO -> "lm-studio";
            case LLAMACPP -> "llamacpp";
            case OPENAI -> "openai-compatible";
        };
    }

    public static EndpointState over(String name, SimulatedBackend sim) {
        return state(name, sim.baseUrl(), type(sim.flavor()));
    }

    /** Quick settings for tests: short timeout, one attempt, long interval (tests trigger discovery). */
    public static ModelDiscovery.Settings fastSettings() {
        return new ModelDiscovery.Settings(true, Duration.ofMinutes(10), Duration.ofSeconds(2), 4, 1, Duration.ZERO,
                Duration.ofHours(1), Duration.ofMinutes(10));
    }

    public static DiscoveredModel named(String name) {
        return DiscoveredModel.named(name);
    }

    public static DiscoveredModel withDigest(String name, String digest) {
        return new DiscoveredModel(name, digest, 1000, null, null, List.of(), null, null, null, null, null,
                DiscoveredModel.AVAILABLE, 0);
    }

    public static List<String> names(List<EndpointState> states) {
        List<String> out = new ArrayList<>();
        states.forEach(s -> out.add(s.name()));
        return out;
    }

    public static boolean await(Duration timeout, BooleanSupplier condition) {
        return dev.olla.health.TestEndpoints.await(timeout, condition);
    }
}
