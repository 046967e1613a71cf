package dev.olla.health;

import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status changes of endpoints: each one made by one atomic compare-and-set, so it is logged exactly
 * once ({@code endpoint gpu1 healthy -> offline: connection refused}; WARN when the new status is
 * not routable, INFO otherwise) and announced once to the listeners. Recovery listeners run when an
 * endpoint goes from a non-routable status other than {@code unknown} to a routable one. Listeners
 * run on the thread that made the change and must not block.
 */
final class StatusTransitions {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    private final List<HealthMonitor.StatusListener> statusListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<EndpointState>> recoveryListeners = new CopyOnWriteArrayList<>();

    void addStatusListener(HealthMonitor.StatusListener listener) {
        statusListeners.add(Objects.requireNonNull(listener));
    }

    void addRecoveryListener(Consumer<EndpointState> listener) {
        recoveryListeners.add(Objects.requireNonNull(listener));
    }

    /** Sets the status; exactly one caller wins each change. Returns whether the status changed. */
    boolean transition(EndpointState s, EndpointStatus next, String reason) {
        for (;;) {
            EndpointStatus prev = s.status();
            if (prev == next) {
                if (!Objects.equals(reason, s.statusReason())) {
                    s.statusReason(reason);
                }
                return false;
            }
            if (s.compareAndSetStatus(prev, next, reason)) {
                announce(s, prev, next, reason);
                return true;
            }
        }
    }

    private void announce(EndpointState s, EndpointStatus prev, EndpointStatus next, String reason) {
        if (next.routable()) {
            LOG.info("endpoint {} {} -> {}: {}", s.name(), prev.wire(), next.wire(), reason);
        } else {
            LOG.warn("endpoint {} {} -> {}: {}", s.name(), prev.wire(), next.wire(), reason);
        }
        for (HealthMonitor.StatusListener l : statusListeners) {
            try {
                l.statusChanged(s, prev, next, reason);
            } catch (RuntimeException e) {
                LOG.warn("status listener failed for endpoint {}", s.name(), e);
            }
        }
        if (next.routable() && !prev.routable() && prev != EndpointStatus.UNKNOWN) {
            for (Consumer<EndpointState> l : recoveryListeners) {
                try {
                    l.accept(s);
                } catch (RuntimeException e) {
                    LOG.warn("recovery listener failed for endpoint {}", s.name(), e);
                }
            }
        }
    }
}
