package dev.olla.endpoint;

import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Time and timers for the background services that watch endpoints (health probes, model
 * discovery, capacity polls): a monotonic nano clock, a wall clock, and "run this at time t" on one
 * thread, so a service's timer state needs no locks. {@link #system} is the real one (one daemon
 * thread); tests inject a manual one and move time forward instead of sleeping (gRPC's FakeClock,
 * Armeria's tests).
 */
public interface Scheduler {
    /** Monotonic time in nanoseconds (breakers, back-off, latency windows). */
    long nanoTime();

    /** Wall time (last/next check times shown in status). */
    Instant now();

    /**
     * Runs {@code task} on the scheduler's thread once {@code delayNanos} have passed (0: as soon as
     * possible). After {@link #close} nothing runs and the returned timer is inert.
     */
    Timer schedule(Runnable task, long delayNanos);

    /** Runs {@code task} on the scheduler's thread as soon as possible. */
    default void execute(Runnable task) {
        schedule(task, 0);
    }

    /** Stops every timer (a shared scheduler is closed by its owner only). */
    void close();

    /** A scheduled task. */
    @FunctionalInterface
    interface Timer {
        Timer NONE = () -> {};

        /** Cancels the task if it has not started. */
        void cancel();
    }

    /** The real scheduler: {@link System#nanoTime()}, {@link Instant#now()}, one daemon thread named {@code name}. */
    static Scheduler system(String name) {
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true);
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return new Scheduler() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Instant now() {
                return Instant.now();
            }

            @Override
            public Timer schedule(Runnable task, long delayNanos) {
                try {
                    ScheduledFuture<?> f = pool.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
                    return () -> f.cancel(false);
                } catch (RejectedExecutionException closed) {
                    return Timer.NONE;
                }
            }

            @Override
            public void close() {
                pool.shutdownNow();
            }
        };
    }
}
