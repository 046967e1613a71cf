package dev.olla.endpoint;

/**
 * What the proxy tells the health side about live traffic. A connection failure marks the endpoint
 * unhealthy at once (and schedules a quick re-check); a success may close a half-open breaker.
 */
public interface HealthFeedback {
    void connectionFailed(EndpointState endpoint, String reason);

    void connectionSucceeded(EndpointState endpoint);

    /** True while the endpoint's circuit is open (a read-only check: it takes no trial permit). */
    default boolean circuitOpen(EndpointState endpoint) {
        return false;
    }

    /**
     * Whether the endpoint's circuit lets a request through now; in half-open state exactly one
     * caller gets true (the trial), so call it only for the endpoint actually chosen.
     */
    default boolean allowRequest(EndpointState endpoint) {
        return true;
    }
}
