package dev.olla.balance;

import dev.olla.config.OllaConfig;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The load balancers behind {@code proxy.load_balancer}. All are cheap and non-blocking (they run
 * per request on event loops; smooth weighted round-robin holds a monitor for a few arithmetic
 * steps), and never depend on the order of the candidate list (rotation and tie-breaks use endpoint
 * names). All of them read what the backends report ({@link dev.olla.endpoint.BackendLoad}): a
 * candidate whose slots are all busy is passed over while another has one free.
 *
 * <ul>
 *   <li>{@code priority}: the highest-priority tier among the routable candidates, then weighted
 *       random within it by {@link dev.olla.endpoint.EndpointStatus#weight()} (healthy 1.0, busy
 *       0.3, warming 0.1). Lower tiers only when the top tier is not among the candidates.</li>
 *   <li>{@code round-robin}: even rotation over the candidates sorted by name, one atomic counter
 *       (starting at a random value). Busy/warming endpoints are skipped while any healthy
 *       candidate exists, and rotated over only when none does.</li>
 *   <li>{@code least-connections}: fewest connections per weight (Olla's in-flight plus the slots the
 *       backend reports busy with other clients' work); ties broken by higher priority, then by
 *       rotation (by name). Busy/warming endpoints are used only when no healthy candidate exists.</li>
 *   <li>{@code capacity}: warm and free, then warm and busy (shortest queue), then cold; by priority,
 *       ties by least load ({@link CapacityBalancer}).</li>
 * </ul>
 * Weights ({@code weight} per endpoint): round-robin becomes smooth weighted round-robin, least-connections
 * and capacity compare load per weight, priority multiplies its random share.
 *
 * When no candidate is routable at all (the caller normally filters them out), every balancer
 * falls back to choosing among all candidates rather than returning null; null is returned only
 * for an empty list.
 */
public final class Balancers {
    private Balancers() {}

    public static Balancer create(OllaConfig.LoadBalancer kind) {
        return create(kind, Balancers::threadLocalRandom);
    }

    /** @param random uniform doubles in [0, 1) (injected for tests; must be thread-safe in production) */
    public static Balancer create(OllaConfig.LoadBalancer kind, DoubleSupplier random) {
        Objects.requireNonNull(random, "random");
        return switch (Objects.requireNonNull(kind, "kind")) {
            case PRIORITY -> new PriorityBalancer(random);
            case ROUND_ROBIN -> new RoundRobinBalancer(random);
            case LEAST_CONNECTIONS -> new LeastConnectionsBalancer(random);
            case CAPACITY -> new CapacityBalancer(random);
        };
    }

    static double threadLocalRandom() {
        return ThreadLocalRandom.current().nextDouble();
    }
}
