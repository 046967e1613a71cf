package dev.olla.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Fewest in-flight requests (from the snapshot). Ties go to the higher priority, then rotate (by
 * name). Busy/warming candidates only when no healthy one exists.
 */
final class LeastConnectionsBalancer implements Balancer {
    private final AtomicInteger cursor;

    LeastConnectionsBalancer(DoubleSupplier random) {
        this.cursor = new AtomicInteger((int) (random.getAsDouble() * Integer.MAX_VALUE));
    }

    @Override
    public Candidate choose(List<Candidate> candidates) {
        int n = candidates.size();
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return candidates.get(0);
        }
        int level = Ranks.bestLevel(candidates);
        int minInFlight = Integer.MAX_VALUE;
        int bestPriority = Integer.MIN_VALUE;
        int ties = 0;
        Candidate best = null;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (c.level() != level) {
                continue;
            }
            int f = c.inFlight();
            int p = c.priority();
            if (f < minInFlight || (f == minInFlight && p > bestPriority)) {
                minInFlight = f;
                bestPriority = p;
                best = c;
                ties = 1;
            } else if (f == minInFlight && p == bestPriority) {
                ties++;
            }
        }
        if (ties <= 1) {
            return best;
        }
        int index = (cursor.getAndIncrement() & Integer.MAX_VALUE) % ties;
        return Ranks.nthByName(candidates, level, minInFlight, bestPriority, index, ties);
    }

    @Override
    public String toString() {
        return "least-connections";
    }
}
