package dev.olla.balance;

import dev.olla.endpoint.EndpointState;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The highest-priority tier among the routable candidates, weighted random within the tier by
 * status weight (healthy 1.0, busy 0.3, warming 0.1). With no routable candidate: uniform over the
 * highest tier of all candidates.
 */
final class PriorityBalancer implements Balancer {
    private final DoubleSupplier random;

    PriorityBalancer(DoubleSupplier random) {
        this.random = random;
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
        int top = Integer.MIN_VALUE;
        boolean anyRoutable = false;
        for (int i = 0; i < n; i++) {
            EndpointState s = candidates.get(i);
            if (s.status().routable()) {
                if (!anyRoutable || s.endpoint().priority() > top) {
                    top = s.endpoint().priority();
                }
                anyRoutable = true;
            } else if (!anyRoutable && s.endpoint().priority() > top) {
                top = s.endpoint().priority();
            }
        }
        double total = 0;
        int count = 0;
        EndpointState only = null;
        for (int i = 0; i < n; i++) {
            EndpointState s = candidates.get(i);
            if (inTier(s, top, anyRoutable)) {
                total += weight(s, anyRoutable);
                count++;
                only = s;
            }
        }
        if (count == 1) {
            return only;
        }
        double r = random.getAsDouble() * total;
        EndpointState last = null;
        for (int i = 0; i < n; i++) {
            EndpointState s = candidates.get(i);
            if (!inTier(s, top, anyRoutable)) {
                continue;
            }
            last = s;
            r -= weight(s, anyRoutable);
            if (r < 0) {
                return s;
            }
        }
        return last; // rounding, or weights that moved under us
    }

    private static boolean inTier(EndpointState s, int top, boolean routableOnly) {
        return s.endpoint().priority() == top && (!routableOnly || s.status().routable());
    }

    private static double weight(EndpointState s, boolean routableOnly) {
        return routableOnly ? s.status().weight() : 1.0;
    }

    @Override
    public String toString() {
        return "priority";
    }
}
