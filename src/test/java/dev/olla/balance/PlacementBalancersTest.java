package dev.olla.balance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig.LoadBalancer;
import dev.olla.endpoint.BackendLoad;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Weights, reported occupancy and residency in the balancers' choices. */
class PlacementBalancersTest {
    private final SplittableRandom random = new SplittableRandom(42);

    static EndpointState ep(String name, int priority, int weight, int maxConcurrent) {
        Endpoint e = new Endpoint(name, URI.create("http://" + name + ":1"), "llamacpp", priority, false,
                URI.create("http://" + name + ":1/health"), URI.create("http://" + name + ":1/v1/models"),
                Duration.ofSeconds(5), Duration.ofSeconds(1), dev.olla.config.OllaConfig.Filter.ALL, Map.of(), java.util.Set.of(),
                weight, maxConcurrent);
        EndpointState s = new EndpointState(e);
        s.status(EndpointStatus.HEALTHY, "test");
        return s;
    }

    static void slots(EndpointState s, int total, int busy, String... loaded) {
        Map<String, Instant> m = null;
        if (loaded.length > 0) {
            m = new HashMap<>();
            for (String l : loaded) {
                if (!l.isEmpty()) {
                    m.put(l, Instant.MAX);
                }
            }
        }
        s.load(new BackendLoad(total, busy, -1, m, 0, Instant.now(), null));
    }

    static EndpointState pick(Balancer b, List<EndpointState> eps) {
        return pick(b, eps, null);
    }

    static EndpointState pick(Balancer b, List<EndpointState> eps, String model) {
        Candidate c = b.choose(eps.stream().map(s -> Candidate.of(s, true)).toList(), model);
        return c == null ? null : c.endpoint();
    }

    private Balancer balancer(LoadBalancer kind) {
        return Balancers.create(kind, random::nextDouble);
    }

    @Test
    void smoothWeightedRoundRobinHonoursWeightsWithinTwoPercentOver10000() {
        List<EndpointState> eps = List.of(ep("a", 100, 5, 0), ep("b", 100, 3, 0), ep("c", 100, 2, 0));
        Balancer b = balancer(LoadBalancer.ROUND_ROBIN);
        Map<String, Integer> counts = new HashMap<>();
        String previous = null;
        int longestRun = 0;
        int run = 0;
        for (int i = 0; i < 10_000; i++) {
            String n = pick(b, eps).name();
            counts.merge(n, 1, Integer::sum);
            run = n.equals(previous) ? run + 1 : 1;
            longestRun = Math.max(longestRun, run);
            previous = n;
        }
        assertThat(counts.get("a") / 10_000.0).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02 * 0.5));
        assertThat(counts.get("b") / 10_000.0).isCloseTo(0.3, org.assertj.core.data.Offset.offset(0.02 * 0.3));
        assertThat(counts.get("c") / 10_000.0).isCloseTo(0.2, org.assertj.core.data.Offset.offset(0.02 * 0.2));
        assertThat(longestRun).as("smooth: no bursts").isLessThanOrEqualTo(2);
    }

    @Test
    void leastConnectionsHonoursWeightsWithinTwoPercentOver10000() {
        // a steady state of 10,000 requests of equal length: each pick holds a connection for 400 picks
        List<EndpointState> eps = List.of(ep("a", 100, 3, 0), ep("b", 100, 1, 0));
        Balancer b = balancer(LoadBalancer.LEAST_CONNECTIONS);
        Map<String, Integer> counts = new HashMap<>();
        java.util.ArrayDeque<EndpointState> held = new java.util.ArrayDeque<>();
        for (int i = 0; i < 10_000; i++) {
            EndpointState s = pick(b, eps);
            counts.merge(s.name(), 1, Integer::sum);
            s.tryAttemptStarted();
            held.add(s);
            if (held.size() > 400) {
                held.poll().attemptEnded(false, 0, 0);
            }
        }
        assertThat(counts.get("a") / 10_000.0).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.02 * 0.75));
        assertThat(counts.get("b") / 10_000.0).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.02 * 0.25));
    }

    @Test
    void leastConnectionsCountsSlotsTheBackendReportsBusy() {
        EndpointState a = ep("a", 100, 1, 0);
        EndpointState b = ep("b", 100, 1, 0);
        slots(a, 4, 3); // three slots busy with other clients' work
        slots(b, 4, 0);
        b.tryAttemptStarted();
        b.tryAttemptStarted(); // two of ours
        assertThat(pick(balancer(LoadBalancer.LEAST_CONNECTIONS), List.of(a, b))).isSameAs(b);
        assertThat(a.busy()).isEqualTo(3);
        assertThat(b.busy()).isEqualTo(2);
    }

    @Test
    void priorityAndRoundRobinPassOverAFullCandidateWhileAnotherHasAFreeSlot() {
        EndpointState top = ep("top", 100, 1, 0);
        EndpointState low = ep("low", 10, 1, 0);
        slots(top, 2, 2);
        slots(low, 2, 0);
        for (LoadBalancer kind : List.of(LoadBalancer.PRIORITY, LoadBalancer.ROUND_ROBIN)) {
            Balancer b = balancer(kind);
            for (int i = 0; i < 50; i++) {
                assertThat(pick(b, List.of(top, low)).name()).as(kind.name()).isEqualTo("low");
            }
        }
        slots(low, 2, 2); // both full: the usual order again
        assertThat(pick(balancer(LoadBalancer.PRIORITY), List.of(top, low))).isSameAs(top);
        slots(top, -1, -1); // unknown is not busy
        assertThat(pick(balancer(LoadBalancer.PRIORITY), List.of(top, low))).isSameAs(top);
    }

    @Test
    void capacityPrefersWarmAndFreeThenWarmWithTheShortestQueueThenCold() {
        EndpointState coldTop = ep("cold", 200, 1, 0);
        EndpointState warmBusy = ep("busy", 100, 1, 0);
        EndpointState warmFree = ep("free", 50, 1, 0);
        slots(coldTop, -1, -1, ""); // publishes residency: nothing loaded
        slots(warmBusy, 2, 2, "m");
        slots(warmFree, 2, 1, "m");
        Balancer b = balancer(LoadBalancer.CAPACITY);
        assertThat(pick(b, List.of(coldTop, warmBusy, warmFree), "m")).isSameAs(warmFree);
        slots(warmFree, 2, 2, "m");
        warmFree.load(new BackendLoad(2, 2, 3, Map.of("m", Instant.MAX), 0, Instant.now(), null)); // 3 waiting inside
        assertThat(pick(b, List.of(coldTop, warmBusy, warmFree), "m")).as("shortest queue").isSameAs(warmBusy);
        assertThat(pick(b, List.of(coldTop), "m")).isSameAs(coldTop);
        assertThat(pick(b, List.of(coldTop, warmFree), "other")).as("cold everywhere: by priority").isSameAs(coldTop);
        // unknown residency is not cold
        EndpointState unknown = ep("unknown", 10, 1, 0);
        assertThat(pick(b, List.of(coldTop, unknown), "m")).isSameAs(unknown);
    }

    @Test
    void capacityBreaksTiesByLeastLoadPerWeight() {
        EndpointState big = ep("big", 100, 4, 0);
        EndpointState small = ep("small", 100, 1, 0);
        slots(big, 8, 0, "m");
        slots(small, 2, 0, "m");
        Balancer b = balancer(LoadBalancer.CAPACITY);
        Map<String, Integer> counts = new HashMap<>();
        List<EndpointState> held = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            EndpointState s = pick(b, List.of(big, small), "m");
            counts.merge(s.name(), 1, Integer::sum);
            s.tryAttemptStarted();
            held.add(s);
        }
        assertThat(counts).containsEntry("big", 8).containsEntry("small", 2);
    }

    @Test
    void theCapIsMaxConcurrentElseTheSlotsElseUnlimited() {
        EndpointState s = ep("s", 100, 1, 0);
        assertThat(s.cap()).isEqualTo(Integer.MAX_VALUE);
        slots(s, 4, 0);
        assertThat(s.cap()).isEqualTo(4);
        EndpointState fixed = ep("f", 100, 1, 2);
        slots(fixed, 4, 0);
        assertThat(fixed.cap()).isEqualTo(2);
        assertThat(fixed.tryAttemptStarted()).isTrue();
        assertThat(fixed.tryAttemptStarted()).isTrue();
        assertThat(fixed.tryAttemptStarted()).isFalse();
        assertThat(fixed.full()).isTrue();
        fixed.load(fixed.load().failed(Instant.now(), "timeout"));
        assertThat(s.load().slotsTotal()).isEqualTo(4);
    }
}
