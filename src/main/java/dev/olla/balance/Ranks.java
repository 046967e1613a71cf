package dev.olla.balance;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Allocation-free helpers over a candidate snapshot list (which may be any List implementation). */
final class Ranks {
    static final int ANY = Integer.MIN_VALUE;
    /** Up to this many matches, the n-th by name is found by ranking in place (no array, no sort). */
    private static final int RANK_IN_PLACE_LIMIT = 32;
    private static final Comparator<Candidate> BY_NAME = Comparator.comparing(Candidate::name);

    private Ranks() {}

    /**
     * The candidates that are not {@link Candidate#full() full}, when some are and some are not (the
     * balancers pass over a backend whose slots are all busy while another has one free); otherwise
     * the list itself.
     */
    static List<Candidate> withoutFull(List<Candidate> list) {
        int n = list.size();
        int full = 0;
        for (int i = 0; i < n; i++) {
            if (list.get(i).full()) {
                full++;
            }
        }
        if (full == 0 || full == n) {
            return list;
        }
        List<Candidate> out = new java.util.ArrayList<>(n - full);
        for (int i = 0; i < n; i++) {
            Candidate c = list.get(i);
            if (!c.full()) {
                out.add(c);
            }
        }
        return out;
    }

    /** Whether any candidate has a configured weight other than 1. */
    static boolean weighted(List<Candidate> list) {
        for (int i = 0, n = list.size(); i < n; i++) {
            if (list.get(i).share() != 1) {
                return true;
            }
        }
        return false;
    }

    /** The {@code index % size}-th of {@code ties} in name order. */
    static Candidate rotate(List<Candidate> ties, int index) {
        if (ties.size() == 1) {
            return ties.get(0);
        }
        ties.sort(BY_NAME);
        return ties.get((index & Integer.MAX_VALUE) % ties.size());
    }

    static int bestLevel(List<Candidate> list) {
        int best = 0;
        for (int i = 0, n = list.size(); i < n; i++) {
            int l = list.get(i).level();
            if (l > best) {
                best = l;
                if (best == 2) {
                    break;
                }
            }
        }
        return best;
    }

    /** Whether {@code c} passes the filters ({@link #ANY} = no filter for that field). */
    static boolean matches(Candidate c, int level, int inFlight, int priority) {
        return (level == ANY || c.level() == level)
                && (inFlight == ANY || c.inFlight() == inFlight)
                && (priority == ANY || c.priority() == priority);
    }

    /**
     * The {@code index}-th (0-based) of the {@code count} matching candidates in name order (the
     * snapshot does not move, so the caller's count holds).
     */
    static Candidate nthByName(List<Candidate> list, int level, int inFlight, int priority, int index, int count) {
        int n = list.size();
        if (count <= RANK_IN_PLACE_LIMIT) {
            Candidate any = null;
            for (int i = 0; i < n; i++) {
                Candidate a = list.get(i);
                if (!matches(a, level, inFlight, priority)) {
                    continue;
                }
                any = a;
                int rank = 0;
                String name = a.name();
                for (int j = 0; j < n; j++) {
                    Candidate b = list.get(j);
                    if (j != i && matches(b, level, inFlight, priority) && b.name().compareTo(name) < 0) {
                        rank++;
                    }
                }
                if (rank == index) {
                    return a;
                }
            }
            return any != null ? any : list.get(0); // duplicate names only
        }
        Candidate[] m = new Candidate[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            Candidate a = list.get(i);
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
