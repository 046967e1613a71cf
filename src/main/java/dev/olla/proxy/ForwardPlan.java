package dev.olla.proxy;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/**
 * How a route that is not a plain pass-through (the Anthropic translator) wants a request
 * forwarded; every part may be null to keep the default.
 *
 * @param path      the path to forward (instead of the request path minus the route prefix)
 * @param body      the body to send instead of the client's (heap-backed; not released)
 * @param transform rewrites the backend's response before the client sees it
 * @param errors    writes Olla's own errors in the route's API shape (instead of OpenAI's)
 * @param headers   extra response headers, e.g. {@code X-Olla-Mode: passthrough}
 * @param fallback  what to do instead when the backend answers that it lacks the path (null: relay)
 */
public record ForwardPlan(String path, ByteBuf body, ResponseTransform transform, ErrorShape errors,
        Map<String, String> headers, Fallback fallback) {

    public ForwardPlan(String path, ByteBuf body, ResponseTransform transform, ErrorShape errors,
            Map<String, String> headers) {
        this(path, body, transform, errors, headers, null);
    }

    /**
     * Another way to serve the request when the backend answers that it lacks the path (e.g. a
     * passthrough to a Messages API the backend does not have): the backend's answer is dropped
     * unseen (its connection closed) and {@link #instead} runs once that attempt has ended.
     */
    public interface Fallback {
        /** True when this backend status means "not here": drop the answer and fall back. */
        boolean covers(int status);

        /** Serves the request another way (called on the event loop, the client not yet answered). */
        void instead(dev.olla.endpoint.EndpointState endpoint);
    }

    /** Olla's own error, shaped for the route's clients. */
    @FunctionalInterface
    public interface ErrorShape {
        byte[] body(int status, String message, String requestId);
    }

    /**
     * Rewrites a backend response (one instance per proxied request; called on the event loop, in
     * order). Backend errors (status >= 400) and non-streamed bodies arrive whole; a streamed
     * ({@code text/event-stream}) body arrives chunk by chunk and each returned piece is sent at once.
     */
    public interface ResponseTransform {
        /** The content type of what {@link #feed}/{@link #finish} produce. */
        String streamContentType();

        byte[] feed(byte[] chunk);

        byte[] finish();

        /** True once the transformed stream is complete (e.g. it ended with an error event). */
        default boolean ended() {
            return false;
        }

        /** A complete, successful, non-streamed body. */
        byte[] complete(byte[] body);

        /** A backend error body (status >= 400). */
        byte[] error(int status, byte[] body);
    }
}
