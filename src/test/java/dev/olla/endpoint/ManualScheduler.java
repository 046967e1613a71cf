package dev.olla.endpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A {@link Scheduler} whose time moves only when a test says so ({@link #advance}); due tasks run
 * on the test's thread, in time order. Tasks handed over from other threads ({@link #execute}, e.g.
 * a real HTTP call's completion) wait in a queue until the test {@link #runDue runs} them or
 * {@link #awaitRunning awaits} a condition.
 */
public final class ManualScheduler implements Scheduler {
    private record Task(long due, long seq, Runnable run, boolean[] cancelled) {}

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final Instant base = Instant.parse("2026-01-01T00:00:00Z");
    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final ConcurrentLinkedQueue<Task> handedOver = new ConcurrentLinkedQueue<>();
    private final AtomicLong seq = new AtomicLong();
    private final Thread owner = Thread.currentThread();
    private volatile boolean closed;

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public Instant now() {
        return base.plusNanos(nanos.get() - 1_000_000_000L);
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        if (closed) {
            return Timer.NONE;
        }
        boolean[] cancelled = new boolean[1];
        Task t = new Task(nanos.get() + Math.max(0, delayNanos), seq.incrementAndGet(), task, cancelled);
        if (Thread.currentThread() == owner) {
            synchronized (queue) {
                queue.add(t);
            }
        } else {
            handedOver.add(t);
        }
        return () -> cancelled[0] = true;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (queue) {
            queue.clear();
        }
        handedOver.clear();
    }

    /** The wall clock as a {@link java.time.Clock} (for parts that take one, e.g. the model registry). */
    public java.time.Clock clock() {
        return new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now();
            }
        };
    }

    /** Moves time forward by {@code d}, running every task that falls due on the way, in order. */
    public void advance(Duration d) {
        long target = nanos.get() + d.toNanos();
        for (;;) {
            drainHandedOver();
            Task next;
            synchronized (queue) {
                next = queue.peek();
                if (next == null || next.due > target) {
                    break;
                }
                queue.poll();
            }
            if (next.due > nanos.get()) {
                nanos.set(next.due);
            }
            if (!next.cancelled[0] && !closed) {
                next.run.run();
            }
        }
        nanos.set(target);
    }

    /** Runs what is due now (including tasks handed over from other threads). */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /**
     * Runs due tasks until {@code condition} holds (real I/O completing on other threads), waiting
     * at most {@code max} of real time. Time does not move.
     */
    public boolean awaitRunning(Duration max, BooleanSupplier condition) {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            runDue();
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** The delays (from now) of the pending timers, soonest first. */
    public List<Duration> pending() {
        drainHandedOver();
        List<Duration> out = new ArrayList<>();
        synchronized (queue) {
            queue.stream().filter(t -> !t.cancelled[0]).sorted(queue.comparator())
                    .forEach(t -> out.add(Duration.ofNanos(t.due - nanos.get())));
        }
        return out;
    }

    private void drainHandedOver() {
        Task t;
        while ((t = handedOver.poll()) != null) {
            // a task handed over is due when it arrives (its delay counts from the test's "now")
            synchronized (queue) {
                queue.add(t);
            }
        }
    }
}
