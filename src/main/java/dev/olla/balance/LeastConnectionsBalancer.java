package dev.olla.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Fewest connections per unit of weight: {@link Candidate#busy()} (Olla's exact in-flight count plus
 * the busy slots the backend reports for work that did not come through Olla: other clients, another
 * Olla) divided by the endpoint's {@code weight}. Ties go to the higher priority, then rotate (by
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
        long bestLoad = 0;
        long bestWeight = 1;
        int bestPriority = Integer.MIN_VALUE;
        Candidate best = null;
        int ties = 0;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (c.level() != level) {
                continue;
            }
            long load = c.busy();
            long w = c.share();
            int p = c.priority();
            // load / w against bestLoad / bestWeight, without division
            int cmp = best == null ? -1 : Long.compare(load * bestWeight, bestLoad * w);
            if (cmp < 0 || (cmp == 0 && p > bestPriority)) {
                best = c;
                bestLoad = load;
                bestWeight = w;
                bestPriority = p;
                ties = 1;
            } else if (cmp == 0 && p == bestPriority) {
                ties++;
            }
        }
        if (ties <= 1) {
            return best;
        }
        List<Candidate> tied = new ArrayList<>(ties);
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (c.level() == level && c.priority() == bestPriority
                    && (long) c.busy() * bestWeight == bestLoad * c.share()) {
                tied.add(c);
            }
        }
        return Ranks.rotate(tied, cursor.getAndIncrement());
    }

    @Override
    public String toString() {
        return "least-connections";
    }
}
