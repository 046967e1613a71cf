package dev.olla.balance;

import dev.olla.endpoint.EndpointState;
import java.util.List;

/**
 * Picks one endpoint among candidates. Candidates are already filtered (type, model, routable,
 * circuit closed); implementations must be thread-safe and cheap (they run on event loops per
 * request). Returns null only for an empty list.
 */
public interface Balancer {
    EndpointState choose(List<EndpointState> candidates);
}
