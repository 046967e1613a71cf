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
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied request from start to end: inspect the body, pick candidates ({@link Selection}), run attempts (each an
 * {@link Attempt}) until one answers, and retry on the next candidate when an attempt fails to
 * connect before any response byte. Every outcome is turned into the client's answer here, in one
 * place. Runs entirely on the client connection's event loop.
 */
final class ProxyCall {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyCall.class);
    /** How an attempt ended. */
    enum Outcome {
        /** The response was relayed completely. */
        OK,
        /** No connection, or it broke before any response byte: the endpoint may be down; retry. */
        CONNECT_FAILED,
        /**
         * A reused connection died after the request was written, before any response byte: the
         * backend may have started on it, so it is not replayed on that endpoint (a failover to the
         * next candidate, visible and counted, is as for a connection failure).
         */
        LOST_AFTER_SEND,
        /** No response head within proxy.response_header_timeout. */
        HEAD_TIMEOUT,
        /** The backend stopped sending for proxy.read_timeout, or the whole response took too long. */
        BODY_TIMEOUT,
        /** The backend closed or broke the connection after the response started. */
        BROKEN_MID_RESPONSE,
        /** The backend's response could not be decoded. */
        BAD_RESPONSE,
        /** A response to be buffered was larger than proxy.max_response_buffer. */
        RESPONSE_TOO_LARGE,
        /** The client went away; the backend request was cancelled. */
        CLIENT_GONE,
        /** The backend lacks the path; the plan's {@link ForwardPlan.Fallback} serves the request instead. */
        FALLBACK,
        /** The client stopped reading for server.write_timeout; both connections were closed. */
        CLIENT_STALLED,
        /**
         * A held stream failed before its first content chunk (an error payload, a close or reset, a
         * broken chunk, a timeout): nothing reached the client, so the next candidate is tried as
         * after a connection failure ({@link FirstTokenGate}).
         */
        NO_FIRST_TOKEN
    }

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
        String path = ex.path();
        if (plan != null && plan.path() != null) {
            rest = plan.path();
        } else {
            rest = path.length() > target.stripPrefix().length() ? path.substring(target.stripPrefix().length()) : "/";
        }
        if (!rest.startsWith("/")) {
            rest = "/" + rest;
        }
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
                routed(routed.join(), typed);
            } else {
                routed.whenComplete((d, err) -> ex.eventLoop().execute(() -> {
                    if (!ex.isOpen()) {
                        return;
                    }
                    if (err != null) {
                        LOG.warn("model routing failed: {}", String.valueOf(err));
                        fail(ApiError.internal("model routing failed"));
                    } else {
                        routed(d, typed);
                    }
                }));
            }
            return;
        }
        begin(typed);
    }

    private void routed(ModelRouting.Decision d, List<EndpointState> typed) {
        decision = d;
        forwarded.rewrite(d.rewrite());
        HttpHeaders h = ex.responseHeaders();
        h.set(ForwardedRequest.H_STRATEGY, d.strategy());
        h.set(ForwardedRequest.H_DECISION, d.action());
        h.set(ForwardedRequest.H_REASON, d.reason());
        if (d.rejected()) {
            if (d.rejectStatus() == 503 && !d.reserve().isEmpty() && service.chooser().tries(d.reserve())) {
                // Known model, no routable endpoint serves it: last resort / panic over those that do.
                h.set(ForwardedRequest.H_DECISION, "routed");
                h.set(ForwardedRequest.H_REASON, "no_healthy_endpoint_last_resort");
                begin(d.reserve());
                return;
            }
            fail(ApiError.of(d.rejectStatus(), d.rejectMessage(),
                    d.rejectStatus() == 404 ? "model_not_found" : "model_unavailable"));
            return;
        }
        if (d.reserve().isEmpty()) {
            begin(d.endpoints());
        } else {
            List<EndpointState> all = new ArrayList<>(d.endpoints().size() + d.reserve().size());
            all.addAll(d.endpoints());
            all.addAll(d.reserve());
            begin(all);
        }
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
        var retry = service.config().retry();
        boolean retrying = retry.enabled() && retry.onConnectionFailure();
        int n = selection.size();
        maxAttempts = !retrying ? 1 : retry.maxAttempts() <= 0 ? n : Math.min(retry.maxAttempts(), n);
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
        if (!new QueuedRequest(this, ex, q, routable, clientKey(), keepAlive).start()) {
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

    /** The fairness key of the queue: the caller's credentials when it sends any, else its address. */
    private String clientKey() {
        String auth = ex.requestHeaders().get("Authorization");
        if (auth == null) {
            auth = ex.requestHeaders().get("X-Api-Key");
        }
        return auth != null ? "auth:" + Integer.toHexString(auth.hashCode()) : "ip:" + ex.clientIp();
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
                } else if (held && reason.startsWith("backend timeout")) {
                    fail(ApiError.of(504, "Proxy error: " + reason, "backend_timeout"));
                } else if (held) {
                    fail(ApiError.of(502, "Proxy error: " + (selection.isEmpty()
                            ? "all endpoints failed before the first token: " : "max attempts (" + maxAttempts
                            + ") reached: ") + inWords(reason), "proxy_error"));
                } else if (!selection.wasRoutableTried()) {
                    fail(ApiError.of(503, "no healthy endpoints available (last-resort attempt failed: " + reason + ")",
                            "no_healthy_endpoints"));
                } else if (!selection.isEmpty()) {
                    fail(ApiError.of(502, "Proxy error: max attempts (" + maxAttempts + ") reached: "
                            + inWords(reason), "proxy_error"));
                } else {
                    fail(ApiError.of(502, "Proxy error: all endpoints failed with connection errors: "
                            + inWords(reason), "proxy_error"));
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

    private static final java.util.regex.Pattern JAVA_CLASS = java.util.regex.Pattern.compile(
            "\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)\\b:?\\s*");

    /**
     * A failure reason as the client reads it: Java class names (from an exception's text) removed.
     * The full reason is logged, once, where the attempt's outcome is handled.
     */
    static String inWords(String reason) {
        return reason == null ? "" : JAVA_CLASS.matcher(reason).replaceAll("").strip();
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
            StreamErrorEnd.Protocol p = StreamGuard.generation(rest) ? StreamErrorEnd.of(streamedAs, ndjson(), anthropic())
                    : null;
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

    /** The last event of an event stream that keep-alives committed, carrying {@code error}. */
    LastHttpContent committedErrorEnd(ApiError error) {
        return StreamErrorEnd.last(anthropic() ? StreamErrorEnd.Protocol.ANTHROPIC_SSE
                : StreamErrorEnd.Protocol.OPENAI_SSE, error, true);
    }

    /** As {@link #committedErrorEnd(ApiError)}, for a backend's error answer ({@code status}, its message). */
    LastHttpContent committedErrorEnd(int status, String message) {
        backendStatus = status;
        return committedErrorEnd(ApiError.of(status, message, "backend_error"));
    }

    /** The route answers in Anthropic's shape (passthrough and translated plans carry its errors). */
    private boolean anthropic() {
        return plan != null && plan.errors() != null;
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
        if (ex.isOpen() && ex.onlyComments()) {
            // keep-alive comments committed a 200 event stream: the error is its last event
            ex.sendLast(committedErrorEnd(error));
        } else if (ex.isOpen() && !ex.headSent()) {
            if (plan != null && plan.errors() != null) {
                ex.respond(error.status(), "application/json",
                        plan.errors().body(error.status().code(), error.message(), ex.requestId()));
            } else {
                ex.error(error);
            }
        }
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

    /**
     * Whether the request may be sent twice (RFC 9110 idempotent methods without side effects, or
     * a client-supplied Idempotency-Key): only such a request is replayed on a fresh connection
     * after it was written to one that died.
     */
    boolean replayable() {
        io.netty.handler.codec.http.HttpMethod m = ex.method();
        return m == io.netty.handler.codec.http.HttpMethod.GET || m == io.netty.handler.codec.http.HttpMethod.HEAD
                || m == io.netty.handler.codec.http.HttpMethod.OPTIONS
                || ex.requestHeaders().contains("Idempotency-Key");
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
