package dev.olla.balance;

import java.util.List;

/**
 * Picks one endpoint among candidates. Candidates are one snapshot of each endpoint's state
 * ({@link Candidate}), already filtered by the caller (type, model, routable or panic); the choice
 * reads only the snapshot. Implementations must be thread-safe and cheap (they run on event loops
 * per request). Returns null only for an empty list.
 */
public interface Balancer {
    Candidate choose(List<Candidate> candidates);

    /**
     * The pick for a request for {@code model} (null = none named): balancers that know residency
     * ({@code capacity}) prefer endpoints where it is loaded; the others ignore the model.
     */
    default Candidate choose(List<Candidate> candidates, String model) {
        return choose(candidates);
    }
}
