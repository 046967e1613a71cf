package dev.olla.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The availability rules of the choose step, over one snapshot of the candidates:
 * <ul>
 *   <li>ordinary: the balancer picks among the routable candidates (routable status, breaker
 *       admits);</li>
 *   <li>panic ({@code proxy.panic_threshold}, percent, 0 = off; Envoy's healthy panic threshold):
 *       when fewer than that share of the candidates are routable, health is ignored for balancing
 *       and the balancer spreads over all of them, so a pool whose health view lags behind real
 *       recoveries is not squeezed onto the few it still trusts;</li>
 *   <li>last resort ({@code proxy.last_resort}): when no candidate is routable, the one most
 *       recently seen healthy (and not failed since) is tried anyway instead of refusing; on a
 *       connection failure the next, within {@code proxy.retry}.</li>
 * </ul>
 * The caller counts picks by {@link Mode}. Entering and leaving panic or last resort is logged once
 * per pool ({@link DegradedPools}), never per request. Thread-safe.
 */
public final class Chooser {
    /** How a pick was made. */
    public enum Mode { BALANCED, PANIC, LAST_RESORT }

    /** The picked candidate (null: nothing to try) and how it was picked. */
    public record Pick(Candidate candidate, Mode mode) {
        static final Pick NONE = new Pick(null, Mode.BALANCED);
    }

    private final boolean lastResort;
    private final int panicThreshold;
    private final DegradedPools log;

    /**
     * @param lastResort try the most recently healthy candidate when none is routable
     * @param panicThreshold percent of routable candidates below which health is ignored (0 = off)
     */
    public Chooser(boolean lastResort, int panicThreshold) {
        this(lastResort, panicThreshold, System::nanoTime);
    }

    Chooser(boolean lastResort, int panicThreshold, java.util.function.LongSupplier nanoClock) {
        if (panicThreshold < 0 || panicThreshold > 100) {
            throw new IllegalArgumentException("panic threshold must be 0..100: " + panicThreshold);
        }
        this.lastResort = lastResort;
        this.panicThreshold = panicThreshold;
        this.log = new DegradedPools(panicThreshold, nanoClock);
    }

    /**
     * Picks from {@code snapshot} (every candidate of the request, any health).
     *
     * @param balance the balancer (through session affinity) over a candidate list
     */
    public Pick choose(List<Candidate> snapshot, Function<List<Candidate>, Candidate> balance) {
        return choose(null, null, snapshot, balance);
    }

    /**
     * Picks from {@code snapshot} for a request for {@code model} (null: none) on {@code route} (the
     * names its panic / last-resort log lines use).
     */
    public Pick choose(String model, String route, List<Candidate> snapshot,
            Function<List<Candidate>, Candidate> balance) {
        int n = snapshot.size();
        if (n == 0) {
            return Pick.NONE;
        }
        List<Candidate> routable = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Candidate c = snapshot.get(i);
            if (c.routable()) {
                routable.add(c);
            }
        }
        Pick pick;
        if (routable.isEmpty()) {
            pick = lastResort ? new Pick(mostRecentlyHealthy(snapshot), Mode.LAST_RESORT)
                    : panicThreshold > 0 ? panic(snapshot, balance) : Pick.NONE;
        } else if ((long) routable.size() * 100 < (long) panicThreshold * n) {
            pick = panic(snapshot, balance);
        } else {
            pick = new Pick(balance.apply(routable), Mode.BALANCED);
        }
        if (model != null || route != null) {
            log.picked(model, route, pick, routable.size(), n);
        }
        return pick;
    }

    private Pick panic(List<Candidate> snapshot, Function<List<Candidate>, Candidate> balance) {
        List<Candidate> all = new ArrayList<>(snapshot.size());
        for (Candidate c : snapshot) {
            all.add(c.ignoringHealth());
        }
        return new Pick(balance.apply(all), Mode.PANIC);
    }

    /**
     * Whether a request whose candidates are all non-routable would still be tried (last resort on,
     * or panic routing on).
     */
    public boolean tries(List<?> candidates) {
        return !candidates.isEmpty() && (lastResort || panicThreshold > 0);
    }

    /**
     * Those not failed since last seen healthy first (a backend killed a moment ago was "healthy" most
     * recently, but its last word was a failure); then latest seen healthy; then higher priority;
     * then name.
     */
    static Candidate mostRecentlyHealthy(List<Candidate> list) {
        Candidate best = null;
        for (Candidate c : list) {
            if (best == null || better(c, best)) {
                best = c;
            }
        }
        return best;
    }

    private static boolean better(Candidate a, Candidate b) {
        if (a.failedSinceHealthy() != b.failedSinceHealthy()) {
            return !a.failedSinceHealthy();
        }
        if (a.lastHealthyNanos() != b.lastHealthyNanos()) {
            // MIN_VALUE = never: compare as "older than anything"
            if (a.lastHealthyNanos() == Long.MIN_VALUE) {
                return false;
            }
            if (b.lastHealthyNanos() == Long.MIN_VALUE) {
                return true;
            }
            return a.lastHealthyNanos() - b.lastHealthyNanos() > 0;
        }
        if (a.priority() != b.priority()) {
            return a.priority() > b.priority();
        }
        return a.name().compareTo(b.name()) < 0;
    }

    public boolean lastResort() {
        return lastResort;
    }

    public int panicThreshold() {
        return panicThreshold;
    }
}
