package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.health.CircuitBreaker.Permit;
import dev.olla.health.HealthFeedback;
import dev.olla.model.ModelName;
import dev.olla.model.ModelRouting;
import dev.olla.proxy.RequestInspector.Inspected;
import dev.olla.server.ApiError;
import dev.olla.server.Exchange;
import dev.olla.stats.TokenMeter;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied request from start to end: inspect the body, ask model routing for the candidates
 * ({@link Selection#candidates}), pick one per attempt ({@link Selection}), run attempts (each an
 * {@link Attempt}) until one answers, and turn every attempt's {@link Outcome} into the next step in
 * one place, {@link #attemptFinished}: a retry on the next candidate ({@link Failover}), the relayed
 * answer, or an error in the client's shape ({@link ClientErrors}). Runs entirely on the client
 * connection's event loop.
 */
final class ProxyCall {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyCall.class);

    private final ProxyService service;
    private final Exchange ex;
    private final RouteTarget target;
    private String rest;
    private Inspected inspected = Inspected.NONE;
    private String model;
    /** The candidates left and how the next one is picked (set when the candidates are known). */
    private Selection selection;
    private ModelRouting.Decision decision;
    private int attempts;
    private int maxAttempts;
    private final long startNanos = System.nanoTime();
    /** Token figures, TTFT and gaps of the response, fed by the relay chunk by chunk. */
    private TokenMeter meter = new TokenMeter(startNanos);
    /** Hold and keep-alives until the first token (null: neither applies). */
    private StreamGuard guard;
    /** The content type of the streamed head the client got (null: none yet). */
    private String streamedAs;
    private int backendStatus;
    /** What every attempt sends, and the client's view of each answer (set once the body is inspected). */
    private ForwardedRequest forwarded;
    private final CallRecord recorder;

    private final List<EndpointState> typed;
    private final ForwardPlan plan;

    ProxyCall(ProxyService service, Exchange ex, RouteTarget target, List<EndpointState> typed, ForwardPlan plan) {
        this.typed = typed;
        this.plan = plan;
        this.service = service;
        this.ex = ex;
        this.target = target;
        this.recorder = new CallRecord(service, ex, startNanos);
    }

    void start() {
        service.stats().recordRequest();
        rest = PathRules.rest(ex.path(), target.stripPrefix(), plan == null ? null : plan.path());
        if (plan != null && plan.headers() != null) {
            plan.headers().forEach(ex.responseHeaders()::set);
        }
        inspected = RequestInspector.inspect(ex.requestHeaders(), source());
        model = inspected.routingModel();
        forwarded = new ForwardedRequest(ex, rest, source(), inspected, model, transform() != null, startNanos);
        ex.modelName(ModelName.forLog(model));
        if (model != null && ModelName.hasControlCharacters(model)) {
            fail(ApiError.of(400, "Invalid model name: it contains control characters", "invalid_model"));
            return;
        }

        if (typed.isEmpty()) {
            if (target.provider()) {
                fail(ApiError.of(404, "No " + target.label() + " endpoints available", "no_endpoints"));
            } else {
                fail(noHealthy());
            }
            return;
        }
        if (model != null && service.routing() != null) {
            CompletableFuture<ModelRouting.Decision> routed =
                    service.routing().routeAsync(model, typed).toCompletableFuture();
            if (routed.isDone()) {
                routed(routed.join());
            } else {
                routed.whenComplete((d, err) -> ex.eventLoop().execute(() -> {
                    if (!ex.isOpen()) {
                        return;
                    }
                    if (err != null) {
                        LOG.warn("model routing failed: {}", String.valueOf(err));
                        fail(ApiError.internal("model routing failed"));
                    } else {
                        routed(d);
                    }
                }));
            }
            return;
        }
        begin(typed);
    }

    private void routed(ModelRouting.Decision d) {
        decision = d;
        forwarded.rewrite(d.rewrite());
        List<EndpointState> candidates = Selection.candidates(d, service.chooser(), ex.responseHeaders());
        if (candidates == null) {
            fail(ApiError.of(d.rejectStatus(), d.rejectMessage(),
                    d.rejectStatus() == 404 ? "model_not_found" : "model_unavailable"));
            return;
        }
        begin(candidates);
    }

    private void begin(List<EndpointState> endpoints) {
        selection = new Selection(service, ex, model, target.label(), decision, source(), inspected.contextStart(),
                endpoints);
        if (selection.isEmpty() && !endpoints.isEmpty()) {
            fail(ApiError.of(404, "model '" + model + "' is excluded by the model_filter of every endpoint that could serve it",
                    "model_not_found"));
            return;
        }
        guard = StreamGuard.of(ex, service.stats(), service.config(), rest, inspected.stream(), ndjson(), startNanos);
        maxAttempts = Failover.maxAttempts(service.config().retry(), selection.size());
        next();
    }


    /** Starts the next attempt on the best remaining candidate ({@link Selection}), or answers why there is none. */
    private void next() {
        switch (selection.next()) {
            case Selection.Try t -> startAttempt(t.endpoint(), t.permit());
            case Selection.Queue q -> enqueue(q.routable());
            case Selection.Refuse r -> fail(r.error());
            case Selection.Gone g -> { }
        }
    }

    /** Starts an attempt on {@code chosen}, whose in-flight count already includes it. */
    private void startAttempt(EndpointState chosen, Permit permit) {
        attempts++;
        ex.endpointName(chosen.name());
        chosen.modelStarted(model);
        new Attempt(this, chosen, permit).start();
    }

    /** Every candidate is at its cap: wait for a slot in Olla's queue, or 503 with Retry-After. */
    private void enqueue(List<EndpointState> routable) {
        AdmissionQueue q = service.queue();
        if (!q.enabled()) {
            atCapacity("all endpoints are at their max_concurrent");
            return;
        }
        boolean keepAlive = Boolean.TRUE.equals(inspected.stream()) && !ndjson();
        if (!new QueuedRequest(this, ex, q, routable, keepAlive).start()) {
            atCapacity("all endpoints are at their max_concurrent and the queue is full (" + q.config().maxSize() + ")");
        }
    }

    /** Admitted from the queue with a slot already taken on {@code endpoint}. */
    void admitted(EndpointState endpoint) {
        Permit permit = endpoint.routable() ? service.health().acquire(endpoint) : null;
        if (permit == null) {
            // went down (or its breaker stopped admitting) while we waited: hand the slot on, choose again
            endpoint.attemptCancelled();
            service.queue().released(endpoint);
            next();
            return;
        }
        selection.triedRoutable();
        startAttempt(endpoint, permit);
    }

    /** The queue timeout passed before a slot freed. */
    void queueTimedOut() {
        atCapacity("no slot freed within proxy.queue.timeout (" + dev.olla.config.GoDuration.format(
                service.queue().config().timeout()) + ")");
    }

    private void atCapacity(String why) {
        ex.responseHeaders().set("Retry-After", "1");
        fail(ApiError.of(503, "all endpoints busy: " + why, "endpoints_at_capacity"));
    }

    /** Ollama's native streams are NDJSON: SSE comments would corrupt them. */
    private boolean ndjson() {
        return rest.startsWith("/api/") && !rest.startsWith("/api/v0/");
    }

    private static ApiError noHealthy() {
        return Selection.noHealthy();
    }

    /** Called exactly once per attempt, from {@link Attempt#finish}. */
    void attemptFinished(Attempt attempt, Outcome outcome, String reason) {
        EndpointState s = attempt.target();
        Endpoint ep = s.endpoint();
        HealthFeedback health = service.health();
        s.modelEnded(model);
        service.queue().released(s);
        switch (outcome) {
            case OK -> {
                health.succeeded(s, attempt.permit(), attempt.responseStatus());
                record(true, ep.name(), attempt.bytes());
            }
            case CONNECT_FAILED, LOST_AFTER_SEND, NO_FIRST_TOKEN -> {
                boolean held = outcome == Outcome.NO_FIRST_TOKEN;
                if (held && attempt.neverConnected()) {
                    health.ignored(s, attempt.permit()); // our own connection cap, not the endpoint
                    meter = new TokenMeter(startNanos);
                } else if (held) {
                    health.attemptFailed(s, attempt.permit(), reason); // it answered, then failed
                    meter = new TokenMeter(startNanos); // the figures of the next answer only
                } else {
                    health.connectionFailed(s, attempt.permit(), reason);
                }
                selection.failed(s, reason);
                if (held) {
                    LOG.warn("endpoint {} failed before its first token: {}", ep.name(), reason);
                } else {
                    // logged by the health side once per transition (panic / last resort would log it per request)
                    LOG.debug("endpoint {} failed before responding: {}", ep.name(), reason);
                }
                if (!ex.isOpen()) {
                    return;
                }
                if (attempts < maxAttempts && !selection.isEmpty()) {
                    service.stats().recordRetry();
                    if (held) {
                        service.stats().recordFirstTokenFailover();
                    }
                    next();
                } else {
                    fail(Failover.exhausted(held, reason, selection, maxAttempts));
                }
            }
            case HEAD_TIMEOUT, BODY_TIMEOUT -> {
                health.attemptFailed(s, attempt.permit(), reason);
                LOG.warn("endpoint {} timed out: {}", ep.name(), reason);
                endAfterFailure(attempt, ApiError.of(504, "Proxy error: " + reason, "backend_timeout"));
            }
            case BROKEN_MID_RESPONSE -> {
                health.attemptFailed(s, attempt.permit(), reason);
                LOG.warn("endpoint {} broke the response: {}", ep.name(), reason);
                endAfterFailure(attempt, ApiError.of(502, "Proxy error: endpoint " + ep.name()
                        + " closed the connection before the response was complete", "proxy_error"));
            }
            case BAD_RESPONSE -> {
                health.attemptFailed(s, attempt.permit(), reason);
                LOG.warn("endpoint {} broke the response: {}", ep.name(), reason);
                endAfterFailure(attempt, ApiError.of(502, "Proxy error: endpoint " + ep.name()
                        + " sent a response that is not valid HTTP", "proxy_error"));
            }
            case CLIENT_GONE -> {
                health.ignored(s, attempt.permit());
                service.stats().recordCancelled();
            }
            case FALLBACK -> {
                // the backend lacks the path: neither a success nor a failure of the endpoint
                health.ignored(s, attempt.permit());
                if (ex.isOpen() && (!ex.headSent() || ex.onlyComments())) {
                    plan.fallback().instead(s);
                }
            }
            case RESPONSE_TOO_LARGE -> {
                health.succeeded(s, attempt.permit(), attempt.responseStatus()); // the endpoint answered
                LOG.warn("{}", reason);
                endAfterFailure(attempt, ApiError.of(502, "Proxy error: " + reason, "response_too_large"));
            }
            case CLIENT_STALLED -> {
                health.ignored(s, attempt.permit());
                service.stats().recordWriteStall();
                LOG.warn("request to endpoint {} dropped: {}", ep.name(), reason);
                ex.abort(false);
            }
        }
    }

    /**
     * A failure after the attempt began: an error if nothing was sent yet; on a stream the client
     * has begun, an error in its protocol and a proper end ({@link StreamErrorEnd}), else a cut.
     */
    private void endAfterFailure(Attempt attempt, ApiError error) {
        if (!ex.isOpen()) {
            return;
        }
        if (ex.headSent() && !ex.onlyComments()) {
            service.stats().recordFailure();
            record(false, ex.endpointName(), ex.bytesOut());
            StreamErrorEnd.Protocol p = ClientErrors.streamProtocol(plan, rest, ndjson(), streamedAs);
            if (p == null) {
                ex.abort();
            } else {
                service.stats().recordStreamErrorEnd();
                ex.sendLast(StreamErrorEnd.last(p, error, attempt.relayAtLineEnd()));
            }
        } else {
            fail(error);
        }
    }

    /** For a backend's error answer ({@code status}, its message): the last event of a committed event stream. */
    LastHttpContent committedErrorEnd(int status, String message) {
        backendStatus = status;
        return ClientErrors.committedEnd(plan, ApiError.of(status, message, "backend_error"));
    }

    /** The request's hold/keep-alive policy until its first token, or null. */
    StreamGuard guard() {
        return guard;
    }

    /** Whether a 2xx streamed answer is held until its first content chunk ({@link FirstTokenGate}). */
    boolean holdsFirstToken() {
        return guard != null && guard.holds();
    }

    /** The relay started a streamed response of this content type. */
    void streamedAs(String contentType) {
        streamedAs = contentType;
    }

    private void fail(ApiError error) {
        backendStatus = error.status().code();
        service.stats().recordFailure();
        record(false, ex.endpointName(), 0);
        if (model != null) {
            ex.responseHeaders().set(ForwardedRequest.H_MODEL, ModelName.headerValue(model));
        }
        ClientErrors.send(ex, plan, error);
    }

    /** Statistics once per request ({@link CallRecord}). */
    private void record(boolean success, String endpoint, long bytes) {
        recorder.record(model, decision, meter, backendStatus, success, endpoint, bytes);
    }

    /** The relay's one hook into the statistics: each piece of response body, as it passes. */
    TokenMeter meter() {
        return meter;
    }

    /** The body the backend gets: the route's replacement, else the client's. */
    private ByteBuf source() {
        return plan != null && plan.body() != null ? plan.body() : ex.body();
    }

    /** What to do when the backend lacks the path, or null to relay its answer. */
    ForwardPlan.Fallback fallback() {
        return plan == null ? null : plan.fallback();
    }

    /** Whether the request may be sent twice ({@link ForwardedRequest#replayable}). */
    boolean replayable() {
        return forwarded.replayable();
    }

    /** The response transform of this request, or null to relay as is. */
    ForwardPlan.ResponseTransform transform() {
        return plan == null ? null : plan.transform();
    }

    // ------------------------------------------------------------------ what attempts need

    Exchange exchange() {
        return ex;
    }

    ProxyService service() {
        return service;
    }

    Boolean requestStream() {
        return inspected.stream();
    }

    /** The request to send to this endpoint ({@link ForwardedRequest}). */
    FullHttpRequest backendRequest(Endpoint ep) {
        return forwarded.backendRequest(ep);
    }

    /** The response head for the client ({@link ForwardedRequest#clientHead}). */
    HttpResponse clientHead(HttpResponse backend, Endpoint ep, boolean keepLength, long headNanos) {
        backendStatus = backend.status().code();
        return forwarded.clientHead(backend, ep, keepLength, headNanos);
    }
}
