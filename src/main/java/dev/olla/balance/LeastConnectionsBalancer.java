package dev.olla.balance;

import dev.olla.endpoint.EndpointState;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Fewest in-flight requests ({@link EndpointState#inFlight()}, exact per attempt). Ties go to the
 * higher priority, then rotate (by name). Busy/warming candidates only when no healthy one exists.
 */
final class LeastConnectionsBalancer implements Balancer {
    private final AtomicInteger cursor;

    LeastConnectionsBalancer(DoubleSupplier random) {
        this.cursor = new AtomicInteger((int) (random.getAsDouble() * Integer.MAX_VALUE));
    }

    @Override
    public EndpointState choose(List<EndpointState> candidates) {
        int n = candidates.size();
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return candidates.get(0);
        }
        int level = Candidates.bestLevel(candidates);
        int minInFlight = Integer.MAX_VALUE;
        int bestPriority = Integer.MIN_VALUE;
        int ties = 0;
        EndpointState best = null;
        for (int i = 0; i < n; i++) {
            EndpointState s = candidates.get(i);
            if (Candidates.level(s.status()) != level) {
                continue;
            }
            int f = s.inFlight();
            int p = s.endpoint().priority();
            if (f < minInFlight || (f == minInFlight && p > bestPriority)) {
                minInFlight = f;
                bestPriority = p;
                best = s;
                ties = 1;
            } else if (f == minInFlight && p == bestPriority) {
                ties++;
            }
        }
        if (ties <= 1) {
            return best;
        }
        int index = (cursor.getAndIncrement() & Integer.MAX_VALUE) % ties;
        return Candidates.nthByName(candidates, level, minInFlight, bestPriority, index, ties);
    }

    @Override
    public String toString() {
        return "least-connections";
    }
}
