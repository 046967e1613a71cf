package dev.olla.balance;

import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The highest-priority tier among the routable candidates, weighted random within the tier by
 * {@link Candidate#weight()} (healthy 1.0, busy 0.3, warming 0.1) times the endpoint's configured
 * {@code weight}. A candidate whose slots are all busy is passed over while another has one free.
 * With no routable candidate: uniform over the highest tier of all candidates.
 */
final class PriorityBalancer implements Balancer {
    private final DoubleSupplier random;

    PriorityBalancer(DoubleSupplier random) {
        this.random = random;
    }

    @Override
    public Candidate choose(List<Candidate> all) {
        List<Candidate> candidates = Ranks.withoutFull(all);
        int n = candidates.size();
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return candidates.get(0);
        }
        int top = Integer.MIN_VALUE;
        boolean anyRoutable = false;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (c.routable()) {
                if (!anyRoutable || c.priority() > top) {
                    top = c.priority();
                }
                anyRoutable = true;
            } else if (!anyRoutable && c.priority() > top) {
                top = c.priority();
            }
        }
        double total = 0;
        int count = 0;
        Candidate only = null;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (inTier(c, top, anyRoutable)) {
                total += weight(c, anyRoutable);
                count++;
                only = c;
            }
        }
        if (count == 1) {
            return only;
        }
        double r = random.getAsDouble() * total;
        Candidate last = null;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            if (!inTier(c, top, anyRoutable)) {
                continue;
            }
            last = c;
            r -= weight(c, anyRoutable);
            if (r < 0) {
                return c;
            }
        }
        return last; // rounding
    }

    private static boolean inTier(Candidate c, int top, boolean routableOnly) {
        return c.priority() == top && (!routableOnly || c.routable());
    }

    private static double weight(Candidate c, boolean routableOnly) {
        return routableOnly ? c.weight() * c.share() : 1.0;
    }

    @Override
    public String toString() {
        return "priority";
    }
}
