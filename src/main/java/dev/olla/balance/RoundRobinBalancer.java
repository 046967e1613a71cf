package dev.olla.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Even rotation over the candidates in name order with one atomic counter. Healthy candidates only
 * while any exists; busy/warming ones are rotated over only when no healthy one is left.
 */
final class RoundRobinBalancer implements Balancer {
    private final AtomicInteger counter;

    RoundRobinBalancer(DoubleSupplier random) {
        // Start at a random point so several Olla instances do not march in step.
        this.counter = new AtomicInteger((int) (random.getAsDouble() * Integer.MAX_VALUE));
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
        int count = 0;
        Candidate only = null;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (c.level() == level) {
                count++;
                only = c;
            }
        }
        if (count == 1) {
            return only;
        }
        int index = (counter.getAndIncrement() & Integer.MAX_VALUE) % count;
        return Ranks.nthByName(candidates, level, Ranks.ANY, Ranks.ANY, index, count);
    }

    @Override
    public String toString() {
        return "round-robin";
    }
}
