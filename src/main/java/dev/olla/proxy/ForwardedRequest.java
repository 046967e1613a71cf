package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;
import dev.olla.model.ModelName;
import dev.olla.proxy.RequestInspector.Inspected;
import dev.olla.server.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Map;

/**
 * What one proxied request sends to a backend (same method, headers per {@link HeaderRules} made
 * once, the body replayed per attempt, an alias rewritten into the model field) and how each
 * backend's response head is shown to the client (Olla's {@code X-Olla-*} headers added).
 */
final class ForwardedRequest {
    // Header names as cached AsciiStrings: hashed once, copied to the wire as bytes.
    static final AsciiString H_ENDPOINT = AsciiString.cached("X-Olla-Endpoint");
    static final AsciiString H_MODEL = AsciiString.cached("X-Olla-Model");
    static final AsciiString H_BACKEND_TYPE = AsciiString.cached("X-Olla-Backend-Type");
    static final AsciiString H_RESPONSE_TIME = AsciiString.cached("X-Olla-Response-Time");
    static final AsciiString H_STRATEGY = AsciiString.cached("X-Olla-Routing-Strategy");
    static final AsciiString H_DECISION = AsciiString.cached("X-Olla-Routing-Decision");
    static final AsciiString H_REASON = AsciiString.cached("X-Olla-Routing-Reason");
    static final AsciiString H_SERVED_BY = AsciiString.cached("X-Served-By");
    static final AsciiString H_STICKY = AsciiString.cached("X-Olla-Sticky-Session");
    static final AsciiString H_STICKY_SOURCE = AsciiString.cached("X-Olla-Sticky-Key-Source");

    private final Exchange ex;
    private final String rest;
    private final ByteBuf source;
    private final Inspected inspected;
    private final String model;
    /** A response transform reads the body: ask for it uncompressed. */
    private final boolean identityEncoding;
    private final long startNanos;
    /** Per endpoint name, the model name that endpoint knows the requested one by (aliases), or null. */
    private Map<String, String> rewrite;
    /** The headers every attempt sends (made from the client's once, {@link HeaderRules#forwarding}). */
    private HttpHeaders forwardHeaders;
    private Endpoint lastEndpoint;

    ForwardedRequest(Exchange ex, String rest, ByteBuf source, Inspected inspected, String model,
            boolean identityEncoding, long startNanos) {
        this.ex = ex;
        this.rest = rest;
        this.source = source;
        this.inspected = inspected;
        this.model = model;
        this.identityEncoding = identityEncoding;
        this.startNanos = startNanos;
    }

    /**
     * Whether the request may be sent twice (RFC 9110 idempotent methods without side effects, or
     * a client-supplied Idempotency-Key): only such a request is replayed on a fresh connection
     * after it was written to one that died.
     */
    boolean replayable() {
        HttpMethod m = ex.method();
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS
                || ex.requestHeaders().contains("Idempotency-Key");
    }

    /** The routing decision's model names per endpoint (aliases). */
    void rewrite(Map<String, String> rewrite) {
        this.rewrite = rewrite;
    }

    /** The request to send to this endpoint: same method, headers per {@link HeaderRules}, the body replayed. */
    FullHttpRequest backendRequest(Endpoint ep) {
        ByteBuf body = bodyFor(ep);
        HttpHeaders headers = forwardHeaders;
        if (headers == null) {
            headers = forwardHeaders = HeaderRules.forwarding(ex.requestHeaders(), ex.peerIp(), ex.clientIp(), model);
            if (identityEncoding) {
                // the transform reads the body: a compressed one would be unreadable
                headers.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
            }
        }
        HeaderRules.forEndpoint(headers, ep, lastEndpoint, body.readableBytes());
        lastEndpoint = ep;
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, ex.method(),
                PathRules.targetUri(ep, rest, ex.query()), body, headers, EmptyHttpHeaders.INSTANCE);
    }

    /** The body for an attempt (its own reader index); with an alias, the model field rewritten. */
    private ByteBuf bodyFor(Endpoint ep) {
        String rewritten = rewrite == null ? null : rewrite.get(ep.name());
        if (rewritten == null || inspected.modelStart() < 0 || rewritten.equals(inspected.model())) {
            return source.retainedDuplicate();
        }
        ByteBuf src = source;
        byte[] value = dev.olla.server.Json.bytes(rewritten);
        int start = inspected.modelStart();
        int end = inspected.modelEnd();
        return Unpooled.wrappedBuffer(
                src.retainedSlice(src.readerIndex(), start),
                Unpooled.wrappedBuffer(value),
                src.retainedSlice(src.readerIndex() + end, src.readableBytes() - end));
    }

    /**
     * The response head for the client: the backend's own head object, its unsafe headers removed
     * and ours added (no copy).
     */
    HttpResponse clientHead(HttpResponse backend, Endpoint ep, boolean keepLength, long headNanos) {
        backend.setProtocolVersion(HttpVersion.HTTP_1_1);
        HttpHeaders h = backend.headers();
        HeaderRules.filterResponse(h, ep, keepLength);
        h.set(H_ENDPOINT, ep.name());
        h.set(H_BACKEND_TYPE, ep.type());
        if (model != null) {
            h.set(H_MODEL, ModelName.headerValue(model));
        }
        h.set(H_RESPONSE_TIME, ((headNanos - startNanos) / 1_000_000) + "ms");
        h.set(H_SERVED_BY, HeaderRules.SERVED_BY);
        return backend;
    }
}
