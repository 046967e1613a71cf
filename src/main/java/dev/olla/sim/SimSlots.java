package dev.olla.sim;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The parallel slots of a simulated server, as llama.cpp's {@code -np N}: a generation holds one slot
 * from the moment it is accepted until its answer ends (or its client goes away). When every slot is
 * busy, new generations wait inside the server in arrival order ("deferred" in llama.cpp's metrics)
 * and start when a slot frees; they get no error. Zero slots = unlimited (nothing ever waits).
 *
 * <p>Shared by every connection of one backend (they may run on different event loops), so its
 * methods synchronise; the grant callbacks run outside the lock.
 */
public final class SimSlots {
    /** One slot as {@code /slots} shows it. */
    record View(int id, boolean processing, int task, int promptTokens, int decoded) {}

    /** A held or awaited slot; {@link #release()} is idempotent. */
    final class Lease {
        private final Runnable onGranted;
        private final int promptTokens;
        private int slot = -1;
        private boolean released;

        private Lease(Runnable onGranted, int promptTokens) {
            this.onGranted = onGranted;
            this.promptTokens = promptTokens;
        }

        /** Frees the slot (or leaves the wait line) and starts the next waiting generation, if any. */
        void release() {
            SimSlots.this.release(this);
        }

        /** Counts one generated token on the held slot (shown in {@code /slots}). */
        void decoded() {
            synchronized (SimSlots.this) {
                if (slot >= 0 && slot < decoded.length) {
                    decoded[slot]++;
                }
            }
        }
    }

    private final int total;
    private final Lease[] holders;
    private final int[] tasks;
    private final int[] decoded;
    private final ArrayDeque<Lease> waiting = new ArrayDeque<>();
    private int nextTask;
    private long processed;

    SimSlots(int total) {
        if (total < 0) {
            throw new IllegalArgumentException("slots < 0");
        }
        this.total = total;
        this.holders = new Lease[Math.max(total, 0)];
        this.tasks = new int[holders.length];
        this.decoded = new int[holders.length];
    }

    /** Configured slot count (0 = unlimited). */
    public int total() {
        return total;
    }

    /** Slots processing a generation now (with unlimited slots: generations running). */
    public synchronized int busy() {
        if (total == 0) {
            return unlimitedRunning;
        }
        int n = 0;
        for (Lease l : holders) {
            if (l != null) {
                n++;
            }
        }
        return n;
    }

    /** Generations waiting for a slot. */
    public synchronized int deferred() {
        return waiting.size();
    }

    private int unlimitedRunning;

    /**
     * A request for a slot, to be passed to {@link #acquire}. {@code onGranted} runs at once (on the caller's thread) when one is free, else
     * later on the thread that frees one; the caller must hop to its own event loop if it needs to.
     */
    Lease lease(Runnable onGranted, int promptTokens) {
        return new Lease(onGranted, promptTokens);
    }

    /** Queues {@code lease} for a slot (see {@link #lease}); runs its callback once granted. */
    void acquire(Lease lease) {
        Runnable onGranted = lease.onGranted;
        boolean now;
        synchronized (this) {
            now = grant(lease);
            if (!now) {
                waiting.add(lease);
            }
        }
        if (now) {
            onGranted.run();
        }
    }

    private boolean grant(Lease lease) {
        if (total == 0) {
            unlimitedRunning++;
            lease.slot = Integer.MAX_VALUE;
            return true;
        }
        for (int i = 0; i < holders.length; i++) {
            if (holders[i] == null) {
                holders[i] = lease;
                tasks[i] = nextTask++;
                decoded[i] = 0;
                lease.slot = i;
                return true;
            }
        }
        return false;
    }

    private void release(Lease lease) {
        Lease next = null;
        synchronized (this) {
            if (lease.released) {
                return;
            }
            lease.released = true;
            if (lease.slot < 0) {
                waiting.remove(lease);
                return;
            }
            processed++;
            if (lease.slot == Integer.MAX_VALUE) {
                unlimitedRunning--;
                return;
            }
            holders[lease.slot] = null;
            for (Iterator<Lease> it = waiting.iterator(); it.hasNext();) {
                Lease w = it.next();
                it.remove();
                if (!w.released && grant(w)) {
                    next = w;
                    break;
                }
            }
        }
        if (next != null) {
            next.onGranted.run();
        }
    }

    /** Generations that ended since the start. */
    public synchronized long processed() {
        return processed;
    }

    /** The slots as {@code /slots} lists them. */
    synchronized View[] views() {
        View[] v = new View[holders.length];
        for (int i = 0; i < holders.length; i++) {
            Lease l = holders[i];
            v[i] = l == null ? new View(i, false, -1, 0, 0) : new View(i, true, tasks[i], l.promptTokens, decoded[i]);
        }
        return v;
    }
}
