package dev.olla.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * {@code load_balancer: capacity}: places a request where its model is loaded and a slot is free.
 * Candidates fall into three classes, tried in order:
 * <ol>
 *   <li><b>warm and free</b>: the model is loaded (or the backend does not say: unknown is not cold)
 *       and a slot is free (or the backend publishes no slots: unknown is not busy);</li>
 *   <li><b>warm and busy</b>: loaded, but every slot busy (or requests already wait inside it):
 *       the shortest queue first;</li>
 *   <li><b>cold</b>: the backend reports the model is not loaded (a load takes seconds to a minute).</li>
 * </ol>
 * Within a class: higher priority first, then the least load ({@link Candidate#busy()} per
 * {@code weight}), then rotation by name. Healthy endpoints before busy/warming ones, as everywhere.
 */
final class CapacityBalancer implements Balancer {
    private final AtomicInteger cursor;

    CapacityBalancer(DoubleSupplier random) {
        this.cursor = new AtomicInteger((int) (random.getAsDouble() * Integer.MAX_VALUE));
    }

    @Override
    public Candidate choose(List<Candidate> candidates) {
        return choose(candidates, null);
    }

    /** 0 = warm and free, 1 = warm and busy, 2 = cold. */
    static int placement(Candidate s, String model) {
        if (Boolean.FALSE.equals(s.loaded(model))) {
            return 2;
        }
        boolean busy = s.full() || (s.freeSlots() < 0 && s.backendQueue() > 0);
        return busy ? 1 : 0;
    }

    /** Requests ahead of a new one here: waiting inside the backend plus Olla's beyond its free slots. */
    static long queue(Candidate s) {
        long q = s.backendQueue();
        int total = s.load().slotsTotal();
        if (total > 0) {
            q += Math.max(0, s.busy() - total);
        }
        return q;
    }

    @Override
    public Candidate choose(List<Candidate> candidates, String model) {
        int n = candidates.size();
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return candidates.get(0);
        }
        int level = Ranks.bestLevel(candidates);
        Candidate best = null;
        int bestClass = Integer.MAX_VALUE;
        long bestQueue = 0;
        int bestPriority = 0;
        long bestLoad = 0;
        long bestWeight = 1;
        List<Candidate> ties = null;
        for (int i = 0; i < n; i++) {
            Candidate s = candidates.get(i);
            if (s.level() != level) {
                continue;
            }
            int c = placement(s, model);
            long q = c == 1 ? queue(s) : 0;
            int p = s.priority();
            long load = s.busy();
            long w = s.share();
            int cmp;
            if (best == null) {
                cmp = -1;
            } else if (c != bestClass) {
                cmp = Integer.compare(c, bestClass);
            } else if (q != bestQueue) {
                cmp = Long.compare(q, bestQueue);
            } else if (p != bestPriority) {
                cmp = Integer.compare(bestPriority, p);
            } else {
                cmp = Long.compare(load * bestWeight, bestLoad * w);
            }
            if (cmp < 0) {
                best = s;
                bestClass = c;
                bestQueue = q;
                bestPriority = p;
                bestLoad = load;
                bestWeight = w;
                if (ties != null) {
                    ties.clear();
                }
            } else if (cmp == 0) {
                if (ties == null) {
                    ties = new ArrayList<>(4);
                }
                if (ties.isEmpty()) {
                    ties.add(best);
                }
                ties.add(s);
            }
        }
        if (ties == null || ties.isEmpty()) {
            return best;
        }
        return Ranks.rotate(ties, cursor.getAndIncrement());
    }

    @Override
    public String toString() {
        return "capacity";
    }
}
