package dev.olla.server;

import dev.olla.config.OllaConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * {@code server.cors} (off by default): answers preflights before routing and adds the CORS headers
 * to every response for an allowed origin, overriding any a backend sent. With no
 * {@code exposed_headers} configured, Olla's own {@code X-Olla-*} and rate-limit headers are exposed.
 */
public final class Cors {
    private static final String DEFAULT_EXPOSED = String.join(", ", List.of("X-Olla-Request-ID", "X-Olla-Endpoint",
            "X-Olla-Model", "X-Olla-Backend-Type", "X-Olla-Response-Time", "X-Olla-Routing-Strategy",
            "X-Olla-Routing-Decision", "X-Olla-Routing-Reason", "X-RateLimit-Limit", "X-RateLimit-Remaining",
            "X-RateLimit-Reset", "Retry-After"));

    private final List<String> origins;
    private final boolean anyOrigin;
    private final String methods;
    private final List<String> allowedHeaders;
    private final String exposed;
    private final boolean credentials;
    private final int maxAge;

    private Cors(OllaConfig.Cors c) {
        this.origins = c.allowedOrigins() == null ? List.of() : c.allowedOrigins();
        this.anyOrigin = origins.contains("*");
        this.methods = String.join(", ", c.allowedMethods() == null ? List.of("GET", "POST", "OPTIONS") : c.allowedMethods());
        this.allowedHeaders = c.allowedHeaders() == null ? List.of("*") : c.allowedHeaders();
        this.exposed = c.exposedHeaders() == null || c.exposedHeaders().isEmpty() ? DEFAULT_EXPOSED
                : String.join(", ", c.exposedHeaders());
        this.credentials = c.allowCredentials();
        this.maxAge = c.maxAge();
    }

    /** Null when CORS is off. */
    public static Cors of(OllaConfig.Cors c) {
        return c == null || !c.enabled() ? null : new Cors(c);
    }

    private boolean allowed(String origin) {
        return anyOrigin || origins.stream().anyMatch(o -> o.equalsIgnoreCase(origin));
    }

    /** Handles a preflight completely (true), or adds the response headers for an allowed origin. */
    boolean apply(Exchange ex) {
        HttpHeaders req = ex.requestHeaders();
        String origin = req.get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return false;
        }
        HttpHeaders out = ex.responseHeaders();
        out.set(HttpHeaderNames.VARY, "Origin");
        boolean ok = allowed(origin);
        if (ok) {
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, anyOrigin && !credentials ? "*" : origin);
            if (credentials) {
                out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            }
        }
        boolean preflight = ex.method() == HttpMethod.OPTIONS
                && req.contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        if (!preflight) {
            if (ok) {
                out.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
            }
            return false;
        }
        if (ok) {
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods);
            String requested = req.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
            String headers = allowedHeaders.contains("*") ? (requested == null ? "*" : requested)
                    : String.join(", ", allowedHeaders);
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, headers);
            out.setInt(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, maxAge);
        }
        ex.respond(ok ? HttpResponseStatus.NO_CONTENT : HttpResponseStatus.FORBIDDEN, "text/plain", new byte[0]);
        return true;
    }
}
