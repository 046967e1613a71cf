package dev.olla.balance;

import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Allocation-free helpers over a candidate list (which may be any List implementation). */
final class Candidates {
    static final int ANY = Integer.MIN_VALUE;
    /** Up to this many matches, the n-th by name is found by ranking in place (no array, no sort). */
    private static final int RANK_IN_PLACE_LIMIT = 32;
    private static final Comparator<EndpointState> BY_NAME = Comparator.comparing(EndpointState::name);

    private Candidates() {}

    /** 2 = healthy, 1 = routable but not healthy (busy, warming), 0 = not routable. */
    static int level(EndpointStatus s) {
        if (s == EndpointStatus.HEALTHY) {
            return 2;
        }
        return s.routable() ? 1 : 0;
    }

    static int bestLevel(List<EndpointState> list) {
        int best = 0;
        for (int i = 0, n = list.size(); i < n; i++) {
            int l = level(list.get(i).status());
            if (l > best) {
                best = l;
                if (best == 2) {
                    break;
                }
            }
        }
        return best;
    }

    /** Whether {@code s} passes the filters ({@link #ANY} = no filter for that field). */
    static boolean matches(EndpointState s, int level, int inFlight, int priority) {
        return (level == ANY || level(s.status()) == level)
                && (inFlight == ANY || s.inFlight() == inFlight)
                && (priority == ANY || s.endpoint().priority() == priority);
    }

    /**
     * The {@code index}-th (0-based) of the {@code count} matching candidates in name order. If the
     * live values moved between the caller's count and this pass, returns any match (or the first
     * candidate).
     */
    static EndpointState nthByName(List<EndpointState> list, int level, int inFlight, int priority, int index,
            int count) {
        int n = list.size();
        if (count <= RANK_IN_PLACE_LIMIT) {
            EndpointState any = null;
            for (int i = 0; i < n; i++) {
                EndpointState a = list.get(i);
                if (!matches(a, level, inFlight, priority)) {
                    continue;
                }
                any = a;
                int rank = 0;
                String name = a.name();
                for (int j = 0; j < n; j++) {
                    EndpointState b = list.get(j);
                    if (j != i && matches(b, level, inFlight, priority) && b.name().compareTo(name) < 0) {
                        rank++;
                    }
                }
                if (rank == index) {
                    return a;
                }
            }
            return any != null ? any : list.get(0);
        }
        EndpointState[] m = new EndpointState[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            EndpointState a = list.get(i);
            if (matches(a, level, inFlight, priority)) {
                m[k++] = a;
            }
        }
        if (k == 0) {
            return list.get(0);
        }
        Arrays.sort(m, 0, k, BY_NAME);
        return m[Math.min(index, k - 1)];
    }
}
