package dev.olla.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Even rotation over the candidates in name order with one atomic counter. Healthy candidates only
 * while any exists; busy/warming ones are rotated over only when no healthy one is left. A candidate
 * whose slots are all busy is passed over while another has one free. With weights other than 1,
 * smooth weighted round-robin (nginx's): each endpoint gets {@code weight / total} of the picks,
 * spread evenly rather than in bursts.
 */
final class RoundRobinBalancer implements Balancer {
    private final AtomicInteger counter;
    /** Smooth weighted round-robin state: endpoint name -> current weight (guarded by this). */
    private final java.util.Map<String, long[]> current = new java.util.HashMap<>();

    RoundRobinBalancer(DoubleSupplier random) {
        // Start at a random point so several Olla instances do not march in step.
        this.counter = new AtomicInteger((int) (random.getAsDouble() * Integer.MAX_VALUE));
    }

    @Override
    public Candidate choose(List<Candidate> all) {
        int n = all.size();
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return all.get(0);
        }
        List<Candidate> candidates = Ranks.withoutFull(all);
        n = candidates.size();
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
        if (Ranks.weighted(candidates)) {
            return smoothWeighted(candidates, level);
        }
        int index = (counter.getAndIncrement() & Integer.MAX_VALUE) % count;
        return Ranks.nthByName(candidates, level, Ranks.ANY, Ranks.ANY, index, count);
    }

    /** nginx's smooth weighted round-robin over the candidates of {@code level}. */
    private synchronized Candidate smoothWeighted(List<Candidate> candidates, int level) {
        long total = 0;
        Candidate best = null;
        long bestWeight = Long.MIN_VALUE;
        for (int i = 0, n = candidates.size(); i < n; i++) {
            Candidate c = candidates.get(i);
            if (c.level() != level) {
                continue;
            }
            int w = c.share();
            total += w;
            long[] cur = current.computeIfAbsent(c.name(), k -> new long[1]);
            cur[0] += w;
            if (cur[0] > bestWeight || (cur[0] == bestWeight && c.name().compareTo(best.name()) < 0)) {
                bestWeight = cur[0];
                best = c;
            }
        }
        current.get(best.name())[0] -= total;
        return best;
    }

    @Override
    public String toString() {
        return "round-robin";
    }
}
