package dev.olla.health;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Endpoint fixtures shared by the health, balance and route tests. */
public final class TestEndpoints {
    private TestEndpoints() {}

    public static EndpointState state(String name, int priority) {
        return new EndpointState(endpoint(name, "http://127.0.0.1:1", priority, "/", Duration.ofSeconds(5),
                Duration.ofSeconds(2), Map.of()));
    }

    public static EndpointState state(String name, int priority, EndpointStatus status) {
        EndpointState s = state(name, priority);
        s.compareAndSetStatus(EndpointStatus.UNKNOWN, status, "test");
        return s;
    }

    public static Endpoint endpoint(String name, String url, int priority, String healthPath, Duration interval,
            Duration timeout, Map<String, String> headers) {
        URI u = URI.create(url);
        URI health = URI.create(url.replaceAll("/+$", "") + healthPath);
        return new Endpoint(name, u, "ollama", priority, false, health, URI.create(url + "/api/tags"), interval,
                timeout, OllaConfig.Filter.ALL, Map.copyOf(headers), Set.of());
    }

    public static EndpointRegistry registry(EndpointState... states) {
        return new EndpointRegistry(List.of(states), null);
    }

    /** Polls until the condition holds or the timeout passes; returns whether it held. */
    public static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }
}
