package dev.olla.state;

import java.util.concurrent.ThreadLocalRandom;

/** Instance ids: short random hex, different for every process. */
final class Instances {
    private Instances() {}

    static String newId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    }
}
