package dev.olla.health;

import dev.olla.endpoint.EndpointState;
import dev.olla.health.CircuitBreaker.Permit;

/**
 * What the proxy asks and tells the health side about live traffic: the endpoint's one circuit
 * breaker (a read-only {@link #admits} for the snapshot, a {@link #acquire permit} for the endpoint
 * actually tried) and how each attempt ended. Every permit is settled exactly once, by
 * {@link #succeeded}, {@link #connectionFailed}, {@link #attemptFailed} or {@link #ignored}.
 * All methods are cheap and non-blocking (event loops call them).
 */
public interface HealthFeedback {
    /** Whether the endpoint's breaker would admit a call now; takes no permit. */
    boolean admits(EndpointState endpoint);

    /**
     * A permit for one call, or null when the breaker refuses (open, or half-open with its trial
     * taken). When the open window is over, exactly one caller gets the trial permit.
     */
    Permit acquire(EndpointState endpoint);

    /**
     * The backend answered completely with {@code status}. A 5xx counts as a failure in the
     * endpoint's statistics and toward {@code consecutive_5xx} ejection when that is on.
     */
    void succeeded(EndpointState endpoint, Permit permit, int status);

    /**
     * No connection, or it broke before any response byte: the endpoint goes offline at once, the
     * failure counts toward its breaker, and a probe goes out now.
     */
    void connectionFailed(EndpointState endpoint, Permit permit, String reason);

    /** The attempt failed after connecting (timeout, broken or invalid response): counts, probes now. */
    void attemptFailed(EndpointState endpoint, Permit permit, String reason);

    /** The attempt ended without a verdict (the client went away, or the permit was not used). */
    void ignored(EndpointState endpoint, Permit permit);

    /** No breakers, no feedback (tests, tools). */
    HealthFeedback NONE = new HealthFeedback() {
        @Override
        public boolean admits(EndpointState endpoint) {
            return true;
        }

        @Override
        public Permit acquire(EndpointState endpoint) {
            return Permit.CLOSED;
        }

        @Override
        public void succeeded(EndpointState endpoint, Permit permit, int status) {}

        @Override
        public void connectionFailed(EndpointState endpoint, Permit permit, String reason) {}

        @Override
        public void attemptFailed(EndpointState endpoint, Permit permit, String reason) {}

        @Override
        public void ignored(EndpointState endpoint, Permit permit) {}
    };
}
