package dev.olla.balance;

import static dev.olla.health.TestEndpoints.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.olla.config.OllaConfig.LoadBalancer;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BalancersTest {
    private final SplittableRandom random = new SplittableRandom(42);

    private Balancer balancer(LoadBalancer kind) {
        return Balancers.create(kind, random::nextDouble);
    }

    /** One snapshot per endpoint (breakers closed). */
    static List<Candidate> snap(List<EndpointState> list) {
        return list.stream().map(s -> Candidate.of(s, true)).toList();
    }

    static Candidate snap(EndpointState s) {
        return Candidate.of(s, true);
    }

    private static Map<String, Integer> pick(Balancer b, List<EndpointState> list, int n, boolean shuffle) {
        Map<String, Integer> counts = new HashMap<>();
        List<Candidate> candidates = new ArrayList<>(snap(list));
        Random shuffler = new Random(7);
        for (int i = 0; i < n; i++) {
            if (shuffle) {
                Collections.shuffle(candidates, shuffler);
            }
            counts.merge(b.choose(candidates).name(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void emptyGivesNullAndOneGivesThatOne() {
        EndpointState a = state("a", 100, EndpointStatus.HEALTHY);
        for (LoadBalancer kind : LoadBalancer.values()) {
            Balancer b = Balancers.create(kind);
            assertThat(b.choose(List.of())).isNull();
            assertThat(b.choose(List.of(snap(a))).endpoint()).isSameAs(a);
        }
    }

    @Test
    void roundRobinIsEvenRegardlessOfListOrder() {
        List<EndpointState> eps = List.of(state("c", 100, EndpointStatus.HEALTHY),
                state("a", 100, EndpointStatus.HEALTHY), state("b", 100, EndpointStatus.HEALTHY));
        Map<String, Integer> counts = pick(balancer(LoadBalancer.ROUND_ROBIN), eps, 3000, true);
        assertThat(counts).hasSize(3);
        counts.values().forEach(c -> assertThat(c).isBetween(990, 1010));
    }

    @Test
    void roundRobinRotatesInNameOrder() {
        List<EndpointState> eps = List.of(state("c", 100, EndpointStatus.HEALTHY),
                state("a", 100, EndpointStatus.HEALTHY), state("b", 100, EndpointStatus.HEALTHY));
        Balancer b = balancer(LoadBalancer.ROUND_ROBIN);
        String first = b.choose(snap(eps)).name();
        String second = b.choose(snap(eps)).name();
        String third = b.choose(snap(eps)).name();
        String order = first + second + third;
        assertThat("abcabc").contains(order);
    }

    @Test
    void roundRobinSkipsBusyWhileAHealthyOneExists() {
        EndpointState busy = state("busy", 100, EndpointStatus.BUSY);
        List<EndpointState> eps = List.of(state("a", 100, EndpointStatus.HEALTHY), busy,
                state("b", 100, EndpointStatus.HEALTHY));
        Map<String, Integer> counts = pick(balancer(LoadBalancer.ROUND_ROBIN), eps, 1000, false);
        assertThat(counts).doesNotContainKey("busy").containsEntry("a", 500).containsEntry("b", 500);

        List<EndpointState> onlyBusy = List.of(busy, state("busy2", 100, EndpointStatus.BUSY),
                state("down", 100, EndpointStatus.OFFLINE));
        counts = pick(balancer(LoadBalancer.ROUND_ROBIN), onlyBusy, 1000, false);
        assertThat(counts).containsEntry("busy", 500).containsEntry("busy2", 500);
    }

    @Test
    void priorityPicksTheTopTierAndWeightsBusyAtAboutThirtyPercent() {
        List<EndpointState> eps = List.of(state("low", 50, EndpointStatus.HEALTHY),
                state("top-healthy", 100, EndpointStatus.HEALTHY), state("top-busy", 100, EndpointStatus.BUSY),
                state("top-down", 100, EndpointStatus.OFFLINE));
        int n = 20_000;
        Map<String, Integer> counts = pick(balancer(LoadBalancer.PRIORITY), eps, n, true);
        assertThat(counts).doesNotContainKeys("low", "top-down");
        double busyShare = counts.get("top-busy") / (double) n;
        assertThat(busyShare).isCloseTo(0.3 / 1.3, within(0.015));
    }

    @Test
    void priorityFallsToTheNextTierWhenTheTopIsNotRoutable() {
        List<EndpointState> eps = List.of(state("top", 100, EndpointStatus.OFFLINE),
                state("mid1", 80, EndpointStatus.HEALTHY), state("mid2", 80, EndpointStatus.HEALTHY),
                state("low", 10, EndpointStatus.HEALTHY));
        Map<String, Integer> counts = pick(balancer(LoadBalancer.PRIORITY), eps, 4000, true);
        assertThat(counts).containsOnlyKeys("mid1", "mid2");
        assertThat(counts.get("mid1")).isBetween(1800, 2200);
    }

    @Test
    void leastConnectionsPrefersTheIdleEndpoint() {
        EndpointState a = state("a", 100, EndpointStatus.HEALTHY);
        EndpointState b = state("b", 100, EndpointStatus.HEALTHY);
        EndpointState c = state("c", 100, EndpointStatus.HEALTHY);
        b.attemptStarted();
        b.attemptStarted();
        c.attemptStarted();
        Balancer lc = balancer(LoadBalancer.LEAST_CONNECTIONS);
        for (int i = 0; i < 100; i++) {
            assertThat(lc.choose(snap(List.of(c, b, a))).endpoint()).isSameAs(a);
        }
        a.attemptStarted();
        a.attemptStarted();
        assertThat(lc.choose(snap(List.of(c, b, a))).endpoint()).isSameAs(c);
    }

    @Test
    void leastConnectionsBreaksTiesByPriorityThenRotation() {
        EndpointState low = state("low", 10, EndpointStatus.HEALTHY);
        EndpointState hi1 = state("hi1", 100, EndpointStatus.HEALTHY);
        EndpointState hi2 = state("hi2", 100, EndpointStatus.HEALTHY);
        Map<String, Integer> counts = pick(balancer(LoadBalancer.LEAST_CONNECTIONS), List.of(low, hi1, hi2), 1000,
                true);
        assertThat(counts).containsOnlyKeys("hi1", "hi2");
        assertThat(counts.get("hi1")).isEqualTo(500);
    }

    @Test
    void leastConnectionsUsesBusyOnlyWhenNoHealthyIsLeft() {
        EndpointState busy = state("busy", 100, EndpointStatus.BUSY);
        EndpointState healthy = state("healthy", 100, EndpointStatus.HEALTHY);
        for (int i = 0; i < 5; i++) {
            healthy.attemptStarted();
        }
        Balancer lc = balancer(LoadBalancer.LEAST_CONNECTIONS);
        assertThat(lc.choose(snap(List.of(busy, healthy))).endpoint()).isSameAs(healthy);
        assertThat(lc.choose(snap(List.of(busy, state("down", 100, EndpointStatus.OFFLINE)))).endpoint())
                .isSameAs(busy);
    }

    @Test
    void leastConnectionsSpreadsConcurrentLoad() {
        // Simulate requests that stay in flight: each pick starts an attempt that is not ended.
        List<EndpointState> eps = List.of(state("a", 100, EndpointStatus.HEALTHY),
                state("b", 100, EndpointStatus.HEALTHY), state("c", 100, EndpointStatus.HEALTHY));
        Balancer lc = balancer(LoadBalancer.LEAST_CONNECTIONS);
        for (int i = 0; i < 30; i++) {
            lc.choose(snap(eps)).endpoint().attemptStarted(); // the next pick sees a new snapshot
        }
        eps.forEach(s -> assertThat(s.inFlight()).isEqualTo(10));
    }

    @Test
    void manyCandidatesStillRotateEvenly() {
        List<EndpointState> eps = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            eps.add(state("ep" + i, 100, EndpointStatus.HEALTHY));
        }
        Map<String, Integer> counts = pick(balancer(LoadBalancer.ROUND_ROBIN), eps, 4000, true);
        assertThat(counts).hasSize(40);
        counts.values().forEach(c -> assertThat(c).isEqualTo(100));
    }
}
