package dev.olla.state;

import dev.olla.endpoint.EndpointState;
import dev.olla.health.CircuitBreaker;
import dev.olla.health.CircuitBreaker.Permit;
import dev.olla.health.HealthFeedback;
import java.util.function.Function;

/**
 * The proxy's {@link HealthFeedback} (the endpoint's one breaker) with breaker openings shared: when
 * a proxied answer or failure opens an endpoint's breaker here (consecutive 5xx, failure threshold),
 * the other instances are told ({@link Observation.Kind#OPENED}) and open theirs too, so none keeps
 * sending traffic to a backend one of them has seen fail. Status changes (down/up) are shared from
 * the health monitor's status listener; everything else passes straight through.
 */
public final class SharedFeedback implements HealthFeedback {
    private final HealthFeedback local;
    private final Function<EndpointState, CircuitBreaker> breakers;
    private final SharedState state;

    public SharedFeedback(HealthFeedback local, Function<EndpointState, CircuitBreaker> breakers, SharedState state) {
        this.local = local;
        this.breakers = breakers;
        this.state = state;
    }

    private boolean open(EndpointState e) {
        CircuitBreaker b = breakers.apply(e);
        return b != null && b.state() != CircuitBreaker.State.CLOSED;
    }

    private void tellIfOpened(EndpointState e, boolean before, String reason) {
        if (!before && open(e)) {
            state.publish(new Observation(state.instanceId(), e.name(), Observation.Kind.OPENED, reason));
        }
    }

    @Override
    public boolean admits(EndpointState endpoint) {
        return local.admits(endpoint);
    }

    @Override
    public Permit acquire(EndpointState endpoint) {
        return local.acquire(endpoint);
    }

    @Override
    public void succeeded(EndpointState endpoint, Permit permit, int status) {
        boolean before = open(endpoint);
        local.succeeded(endpoint, permit, status);
        tellIfOpened(endpoint, before, "HTTP " + status + " answers");
    }

    @Override
    public void connectionFailed(EndpointState endpoint, Permit permit, String reason) {
        boolean before = open(endpoint);
        local.connectionFailed(endpoint, permit, reason);
        tellIfOpened(endpoint, before, reason);
    }

    @Override
    public void attemptFailed(EndpointState endpoint, Permit permit, String reason) {
        boolean before = open(endpoint);
        local.attemptFailed(endpoint, permit, reason);
        tellIfOpened(endpoint, before, reason);
    }

    @Override
    public void ignored(EndpointState endpoint, Permit permit) {
        local.ignored(endpoint, permit);
    }
}
