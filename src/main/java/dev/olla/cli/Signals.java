package dev.olla.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SIGHUP} through {@code sun.misc.Signal} (module {@code jdk.unsupported}, present in every
 * JDK 21+ runtime and kept in the jlink image). The handler runs on the JVM's signal thread and only
 * queues work.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger("olla.reload");

    private Signals() {}

    /** Installs {@code action} for SIGHUP; false (logged) where the platform has no SIGHUP. */
    static boolean onHangup(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> action.run());
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            LOG.warn("reload: SIGHUP is not available here ({}); use reload.watch", e.toString());
            return false;
        }
    }
}
