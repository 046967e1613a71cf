package dev.olla.health;

import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status changes of endpoints: each one made by one atomic compare-and-set, so it is logged exactly
 * once ({@code endpoint gpu1 healthy -> offline: connection refused}; WARN when the new status is
 * not routable, INFO otherwise) and announced once to the listeners. Recovery listeners run when an
 * endpoint goes from a non-routable status other than {@code unknown} to a routable one. Listeners
 * run on the thread that made the change and must not block. Proxied attempts that fail on an
 * endpoint already out of rotation (panic, last resort) are not logged one by one: they are counted
 * and the count goes into the endpoint's next transition line.
 */
final class StatusTransitions {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    private final List<HealthMonitor.StatusListener> statusListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<EndpointState>> recoveryListeners = new CopyOnWriteArrayList<>();
    private final Map<EndpointState, AtomicLong> failedWhileDown = new ConcurrentHashMap<>();

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

    /** A proxied attempt failed on an endpoint already out of rotation: counted, not logged. */
    void failedWhileDown(EndpointState s) {
        failedWhileDown.computeIfAbsent(s, k -> new AtomicLong()).incrementAndGet();
    }

    private void announce(EndpointState s, EndpointStatus prev, EndpointStatus next, String reason) {
        AtomicLong quiet = failedWhileDown.get(s);
        long n = quiet == null ? 0 : quiet.getAndSet(0);
        String extra = n == 0 ? "" : " (" + n + " request(s) tried while " + prev.wire() + " failed)";
        if (next.routable()) {
            LOG.info("endpoint {} {} -> {}: {}{}", s.name(), prev.wire(), next.wire(), reason, extra);
        } else {
            LOG.warn("endpoint {} {} -> {}: {}{}", s.name(), prev.wire(), next.wire(), reason, extra);
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
