package dev.olla.health;

import java.time.Instant;

/**
 * Time as the health side sees it: a monotonic nano clock (breakers, probe latency, back-off
 * windows) and a wall clock (last/next check times shown in status). Tests inject a fake one;
 * probe scheduling itself always runs on real time.
 */
public interface HealthClock {
    HealthClock SYSTEM = new HealthClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Instant now() {
            return Instant.now();
        }
    };

    long nanoTime();

    Instant now();
}
