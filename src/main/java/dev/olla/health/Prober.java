package dev.olla.health;

import dev.olla.endpoint.EndpointState;
import java.util.concurrent.CompletableFuture;

/** Probes one endpoint: {@link HttpProber} for real, a scripted one in tests. */
@FunctionalInterface
interface Prober {
    /** The outcome; the future always completes normally. */
    CompletableFuture<ProbeOutcome> probe(EndpointState endpoint);
}
