package dev.olla.server;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Coarse deadlines for everything on one event loop (connection timeouts, proxy attempt
 * timeouts), checked by one periodic sweep instead of a scheduled task per request: arming or
 * moving a deadline is a field write, and a request that ends in time costs no timer at all.
 * Deadlines fire up to {@link #RESOLUTION_MILLIS} late. Single-threaded: use only on the loop.
 */
public final class Deadlines {
    /** Sweep period; every timeout Olla enforces is coarser than this. */
    public static final long RESOLUTION_MILLIS = 50;

    /** Something with a deadline; knows its own slot so adding and removing are O(1). */
    public abstract static class Entry {
        private int slot = -1;

        /** The current deadline ({@link System#nanoTime()} based), or {@link Long#MAX_VALUE} for none. */
        protected abstract long deadlineNanos();

        /** Called on the loop once the deadline has passed (again on later sweeps until it moves). */
        protected abstract void deadlineReached(long nowNanos);
    }

    private static final FastThreadLocal<Deadlines> PER_LOOP = new FastThreadLocal<>();

    private final EventLoop loop;
    private Entry[] items = new Entry[64];
    private int size;
    private boolean scheduled;

    private Deadlines(EventLoop loop) {
        this.loop = loop;
    }

    /** The instance for {@code loop}; call on that loop's thread. */
    public static Deadlines of(EventLoop loop) {
        Deadlines d = PER_LOOP.get();
        if (d == null || d.loop != loop) {
            d = new Deadlines(loop);
            PER_LOOP.set(d);
        }
        return d;
    }

    /** Starts watching {@code e} (no-op if already watched). */
    public void add(Entry e) {
        if (e.slot >= 0) {
            return;
        }
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        e.slot = size;
        items[size++] = e;
        if (!scheduled) {
            scheduled = true;
            loop.schedule(this::sweep, RESOLUTION_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops watching {@code e} (no-op if not watched). */
    public void remove(Entry e) {
        int i = e.slot;
        if (i < 0) {
            return;
        }
        int last = --size;
        Entry moved = items[last];
        items[i] = moved;
        moved.slot = i;
        items[last] = null;
        e.slot = -1;
    }

    public int size() {
        return size;
    }

    private void sweep() {
        long now = System.nanoTime();
        // Downwards, so an entry removing itself (swapped with an already-visited one) skips nobody.
        for (int i = size - 1; i >= 0; i--) {
            if (i >= size) {
                continue;
            }
            Entry e = items[i];
            long due = e.deadlineNanos();
            if (due != Long.MAX_VALUE && now - due >= 0) {
                e.deadlineReached(now);
            }
        }
        if (size > 0) {
            loop.schedule(this::sweep, RESOLUTION_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            scheduled = false;
        }
    }
}
