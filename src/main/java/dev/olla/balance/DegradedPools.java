package dev.olla.balance;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of the {@link Chooser}'s availability rules: ONE line when a pool (the candidates of a
 * model, or of a route when the request names none) enters panic routing or falls back to the last
 * resort, and one when it is back to ordinary balancing, with how long and how many picks it took;
 * never a line per request. A pool counts as back after ordinary picks only, for
 * {@link #SETTLE} (a retry that picks among fewer candidates does not end a panic).
 * Pools are tracked only while degraded (at most {@link #MAX_POOLS}; beyond that they share one
 * entry). Thread-safe; an ordinary pick with nothing degraded costs one map size check.
 */
final class DegradedPools {
    private static final Logger LOG = LoggerFactory.getLogger(Chooser.class);
    static final Duration SETTLE = Duration.ofSeconds(1);
    static final int MAX_POOLS = 256;
    private static final String OTHERS = "other models";

    private static final class Pool {
        final long since;
        final AtomicReference<Chooser.Mode> mode;
        final LongAdder panic = new LongAdder();
        final LongAdder lastResort = new LongAdder();
        volatile long lastDegraded;

        Pool(Chooser.Mode mode, long now) {
            this.since = now;
            this.mode = new AtomicReference<>(mode);
            this.lastDegraded = now;
        }
    }

    private final Map<String, Pool> degraded = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;
    private final int panicThreshold;

    DegradedPools(int panicThreshold, LongSupplier nanoClock) {
        this.panicThreshold = panicThreshold;
        this.nanoClock = nanoClock;
    }

    /**
     * A pick was made for {@code model} (null: none named) on {@code route}.
     *
     * @param routable how many of the {@code total} candidates were routable
     */
    void picked(String model, String route, Chooser.Pick pick, int routable, int total) {
        if (pick.mode() == Chooser.Mode.BALANCED) {
            if (!degraded.isEmpty()) {
                settled(key(model, route));
            }
            return;
        }
        if (pick.candidate() == null) {
            return;
        }
        long now = nanoClock.getAsLong();
        String key = key(model, route);
        Pool p = degraded.get(key);
        if (p == null) {
            if (degraded.size() >= MAX_POOLS) {
                key = OTHERS;
            }
            Pool fresh = new Pool(pick.mode(), now);
            p = degraded.putIfAbsent(key, fresh);
            if (p == null) {
                p = fresh;
                entered(key, pick, routable, total);
            }
        }
        Chooser.Mode was = p.mode.get();
        if (was != pick.mode() && p.mode.compareAndSet(was, pick.mode())) {
            entered(key, pick, routable, total);
        }
        (pick.mode() == Chooser.Mode.PANIC ? p.panic : p.lastResort).increment();
        p.lastDegraded = now;
    }

    private void settled(String key) {
        Pool p = degraded.get(key);
        if (p == null) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (now - p.lastDegraded < SETTLE.toNanos() || !degraded.remove(key, p)) {
            return;
        }
        LOG.info("{}: back to ordinary balancing after {}s ({} panic pick(s), {} last-resort pick(s))", key,
                String.format(Locale.ROOT, "%.1f", (p.lastDegraded - p.since) / 1e9), p.panic.sum(),
                p.lastResort.sum());
    }

    private void entered(String key, Chooser.Pick pick, int routable, int total) {
        if (pick.mode() == Chooser.Mode.PANIC) {
            LOG.warn("{}: panic routing, {} of {} endpoint(s) routable (below proxy.panic_threshold {}%): health"
                    + " ignored, spreading over all of them", key, routable, total, panicThreshold);
        } else {
            LOG.warn("{}: no routable endpoint; last resort: trying {} (the most recently healthy)", key,
                    pick.candidate().name());
        }
    }

    /** The pool's name for the log: the model (control characters removed, capped) or the route. */
    static String key(String model, String route) {
        if (model == null) {
            return "route " + (route == null ? "?" : route);
        }
        StringBuilder sb = new StringBuilder(Math.min(model.length(), 200) + 6).append("model ");
        for (int i = 0; i < model.length() && i < 200; i++) {
            char c = model.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }

    /** How many pools are degraded now (tests, status). */
    int size() {
        return degraded.size();
    }
}
