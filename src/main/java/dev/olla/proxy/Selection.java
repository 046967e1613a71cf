package dev.olla.proxy;

import dev.olla.balance.Candidate;
import dev.olla.balance.Chooser;
import dev.olla.balance.StickySessions;
import dev.olla.endpoint.EndpointState;
import dev.olla.health.CircuitBreaker.Permit;
import dev.olla.health.HealthFeedback;
import dev.olla.model.ModelName;
import dev.olla.model.ModelRouting;
import dev.olla.server.ApiError;
import dev.olla.server.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The choose step of one proxied request: the candidates left (those whose model_filter allows
 * the model), and for each attempt the next pick (caps and the queue, the {@link Chooser}'s
 * availability rules, the balancer through session affinity, the breaker permit) or why there is
 * none. Failed candidates are dropped as their attempts end. Runs on the call's event loop.
 */
final class Selection {
    /** What {@link #next()} decided. */
    sealed interface Next permits Try, Queue, Refuse, Gone {}

    /** Attempt {@code endpoint}: its in-flight count and breaker permit are taken. */
    record Try(EndpointState endpoint, Permit permit) implements Next {}

    /** Every routable candidate is at its cap: wait in Olla's queue for one of them. */
    record Queue(List<EndpointState> routable) implements Next {}

    /** Nothing can be tried: answer with {@code error}. */
    record Refuse(ApiError error) implements Next {}

    /** The client went away meanwhile: nothing to do. */
    record Gone() implements Next {}

    private final ProxyService service;
    private final Exchange ex;
    private final String model;
    private final String label;
    private final ModelRouting.Decision decision;
    private final ByteBuf body;
    private final int contextStart;
    private final List<EndpointState> candidates;
    private String lastError;
    /** Whether any attempt went to an endpoint that was routable when chosen. */
    private boolean triedRoutable;
    private StickySessions.Key stickyKey;
    private boolean stickyKeyed;

    Selection(ProxyService service, Exchange ex, String model, String label, ModelRouting.Decision decision,
            ByteBuf body, int contextStart, List<EndpointState> endpoints) {
        this.service = service;
        this.ex = ex;
        this.model = model;
        this.label = label;
        this.decision = decision;
        this.body = body;
        this.contextStart = contextStart;
        this.candidates = new ArrayList<>(endpoints);
        if (model != null) {
            candidates.removeIf(s -> !modelAllowed(s));
        }
    }

    boolean isEmpty() {
        return candidates.isEmpty();
    }

    int size() {
        return candidates.size();
    }

    /** An attempt on {@code s} failed before any response: it is not tried again for this request. */
    void failed(EndpointState s, String reason) {
        lastError = reason;
        candidates.remove(s);
    }

    /** An attempt went to a routable endpoint (one admitted from the queue). */
    void triedRoutable() {
        triedRoutable = true;
    }

    /** Whether any attempt went to an endpoint that was routable when chosen (else only last resort / panic). */
    boolean wasRoutableTried() {
        return triedRoutable;
    }

    /**
     * The endpoints a model routing decision offers, its headers set on {@code h}: the routable ones
     * plus its reserve; when it rejects the model for want of a routable endpoint, the reserve as a
     * last resort (if the chooser tries them). Null when the request is refused.
     */
    static List<EndpointState> candidates(ModelRouting.Decision d, Chooser chooser, HttpHeaders h) {
        h.set(ForwardedRequest.H_STRATEGY, d.strategy());
        h.set(ForwardedRequest.H_DECISION, d.action());
        h.set(ForwardedRequest.H_REASON, d.reason());
        if (d.rejected()) {
            if (d.rejectStatus() == 503 && !d.reserve().isEmpty() && chooser.tries(d.reserve())) {
                // Known model, no routable endpoint serves it: last resort / panic over those that do.
                h.set(ForwardedRequest.H_DECISION, "routed");
                h.set(ForwardedRequest.H_REASON, "no_healthy_endpoint_last_resort");
                return d.reserve();
            }
            return null;
        }
        if (d.reserve().isEmpty()) {
            return d.endpoints();
        }
        List<EndpointState> all = new ArrayList<>(d.endpoints().size() + d.reserve().size());
        all.addAll(d.endpoints());
        all.addAll(d.reserve());
        return all;
    }

    static ApiError noHealthy() {
        return ApiError.of(503, "no healthy endpoints available", "no_healthy_endpoints");
    }

    /**
     * The next step: an attempt on the best remaining candidate, a wait in the queue, or a refusal.
     * The choice is made from ONE snapshot of the candidates ({@link Candidate}); the breaker permit
     * is taken only for the endpoint actually tried (its in-flight count taken too), and given back
     * if it is not used.
     */
    Next next() {
        HealthFeedback health = service.health();
        while (true) {
            List<Candidate> snapshot = new ArrayList<>(candidates.size());
            for (EndpointState s : candidates) {
                snapshot.add(Candidate.of(s, health.admits(s)));
            }
            // Caps: a candidate at its max_concurrent is left out; when every routable one is (or others
            // already wait for them), the request waits in Olla's queue instead.
            List<Candidate> open = new ArrayList<>(snapshot.size());
            List<EndpointState> routable = new ArrayList<>(snapshot.size());
            boolean routableOpen = false;
            for (Candidate c : snapshot) {
                if (c.routable()) {
                    routable.add(c.endpoint());
                }
                if (!c.atCap()) {
                    open.add(c);
                    routableOpen |= c.routable();
                }
            }
            if (!routable.isEmpty() && (!routableOpen || service.queue().waitingFor(routable))) {
                return new Queue(routable);
            }
            Chooser.Pick pick = service.chooser().choose(model, label, open, this::choose);
            Candidate chosen = pick.candidate();
            if (chosen == null) {
                return new Refuse(nothingRoutable(snapshot));
            }
            EndpointState s = chosen.endpoint();
            Permit permit = health.acquire(s);
            if (permit == null) {
                if (pick.mode() == Chooser.Mode.BALANCED) {
                    // Another request took the half-open trial since the snapshot: not this one.
                    candidates.remove(s);
                    if (candidates.isEmpty()) {
                        return new Refuse(ApiError.of(503, "circuit breaker open", "circuit_breaker_open"));
                    }
                    continue;
                }
                permit = Permit.NONE; // last resort / panic: tried without a permit
            }
            if (!ex.isOpen()) {
                health.ignored(s, permit);
                return new Gone();
            }
            if (!s.tryAttemptStarted()) {
                // a request on another loop took its last slot since the snapshot: choose again
                health.ignored(s, permit);
                continue;
            }
            switch (pick.mode()) {
                case PANIC -> service.stats().recordPanicPick();
                case LAST_RESORT -> service.stats().recordLastResortPick();
                default -> { }
            }
            if (chosen.status().routable() && chosen.breakerAdmits()) {
                triedRoutable = true;
            }
            return new Try(s, permit);
        }
    }

    /** Nothing to try (last resort and panic off): why. */
    private ApiError nothingRoutable(List<Candidate> snapshot) {
        if (lastError != null) {
            return ApiError.of(502, "Proxy error: all endpoints failed with connection errors: " + lastError,
                    "proxy_error");
        }
        for (Candidate c : snapshot) {
            if (c.status().routable() && !c.breakerAdmits()) {
                return ApiError.of(503, "circuit breaker open", "circuit_breaker_open");
            }
        }
        return noHealthy();
    }

    private boolean modelAllowed(EndpointState s) {
        var f = s.endpoint().modelFilter();
        if (f == null || ((f.include() == null || f.include().isEmpty()) && (f.exclude() == null || f.exclude().isEmpty()))) {
            return true;
        }
        String name = model;
        Map<String, String> rewrite = decision == null ? null : decision.rewrite();
        if (rewrite != null && rewrite.get(s.name()) != null) {
            name = rewrite.get(s.name());
        }
        return dev.olla.profile.ProfileFilter.allowed(name, f.include(), f.exclude());
    }

    /** The balancer's pick, through session affinity when it is on (retries re-enter here). */
    private Candidate choose(List<Candidate> routable) {
        StickySessions sticky = service.sticky();
        if (sticky == null) {
            return service.balancer().choose(routable, model);
        }
        if (!stickyKeyed) {
            stickyKeyed = true;
            HttpHeaders req = ex.requestHeaders();
            stickyKey = sticky.key(req.get(StickySessions.SESSION_HEADER), req.get("Authorization"), ex.clientIp(),
                    body, contextStart, model);
        }
        StickySessions.Choice c = sticky.choose(stickyKey, routable, service.balancer());
        HttpHeaders h = ex.responseHeaders();
        h.set(ForwardedRequest.H_STICKY, c.outcome());
        if (stickyKey != null) {
            h.set(ForwardedRequest.H_STICKY_SOURCE, stickyKey.source());
            // echoed only when short: a cut id would be a different id, and a huge one is not repeated
            if (stickyKey.sessionId() != null && stickyKey.sessionId().length() <= ModelName.MAX_ECHO) {
                h.set(StickySessions.SESSION_HEADER, stickyKey.sessionId());
            }
        }
        return c.candidate();
    }
}
