package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.server.Exchange;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * The way a response body takes to the client, chosen by {@link Attempt} once the backend's head is
 * in. There is one relay path with three stages:
 * <ul>
 *   <li>{@link StreamRelay}: each chunk goes to the client as it arrives, flushed at the end of every
 *       backend read (event streams, NDJSON);</li>
 *   <li>{@link BufferRelay}: the body is collected (up to {@code proxy.max_response_buffer}) and sent
 *       whole with a Content-Length, optionally converted by a route's transform at the end;</li>
 *   <li>{@link TransformRelay}: each chunk is converted by the route's transform (the Anthropic
 *       translator) and the converted pieces are streamed.</li>
 * </ul>
 * {@link #choose} picks the stage once the head is in. What every stage shares stays in {@link Attempt}: each backend chunk enters through
 * {@code Attempt.onBody} (the one place a per-chunk observer belongs), is counted, handed to the
 * stage, and then backpressure is applied the same way for all stages (when the client connection
 * is not writable, backend reads pause). A stage ends the attempt with {@link Attempt#relayEnded()}
 * just before it writes the response's end, or with {@link Attempt#relayFailed} when the body cannot be
 * delivered. Runs on the client's event loop.
 */
abstract class Relay {
    final Attempt attempt;
    final Exchange ex;

    Relay(Attempt attempt, Exchange ex) {
        this.attempt = attempt;
        this.ex = ex;
    }

    /**
     * The stage for a backend's response head: sends the client's head now (streaming stages) or
     * keeps it for the end (buffering). Returns null when the response cannot be relayed at all; the
     * attempt has then been failed.
     */
    static Relay choose(Attempt attempt, ProxyCall call, Endpoint ep, HttpResponse r, long now) {
        Exchange ex = call.exchange();
        ForwardPlan.ResponseTransform transform = call.transform();
        OllaConfig.Proxy cfg = call.service().config();
        long cap = cfg.maxResponseBuffer();
        if (transform != null) {
            String encoding = r.headers().get(HttpHeaderNames.CONTENT_ENCODING);
            if (encoding != null && !encoding.isBlank() && !"identity".equalsIgnoreCase(encoding.strip())) {
                attempt.relayFailed(Outcome.BAD_RESPONSE, "sent a " + encoding
                        + "-encoded response although Olla asked for identity; it cannot be translated");
                return null;
            }
            String ct = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
            boolean events = r.status().code() < 400 && ct != null && ct.contains("text/event-stream");
            HttpResponse head = call.clientHead(r, ep, false, now);
            if (events) {
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, transform.streamContentType());
                head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
                head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                return start(attempt, call, head, new TransformRelay(attempt, ex, transform), true, now);
            }
            if (!fits(attempt, ex, r, cap)) {
                return null;
            }
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            return new BufferRelay(attempt, ex, head, transform, cap);
        }
        String ct = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
        // after keep-alive comments the client has a 200 event stream: an error answer becomes its last event
        boolean stream = !(ex.onlyComments() && r.status().code() >= 300)
                && StreamPolicy.stream(cfg.profile(), ct, call.requestStream());
        if (stream) {
            HttpResponse head = call.clientHead(r, ep, true, now);
            if (ex.method() == HttpMethod.HEAD) {
                head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            }
            return start(attempt, call, head, new StreamRelay(attempt, ex),
                    ct != null && ct.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream"), now);
        }
        if (!fits(attempt, ex, r, cap)) {
            return null;
        }
        return new BufferRelay(attempt, ex, call.clientHead(r, ep, false, now), null, cap);
    }

    /**
     * Sends the head of a streamed response now, or, for a held request's 2xx answer, puts a
     * {@link FirstTokenGate} in front of the stage to send it with the first content chunk.
     */
    private static Relay start(Attempt attempt, ProxyCall call, HttpResponse head, Relay stage, boolean sse, long now) {
        String ct = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        call.streamedAs(ct);
        if (call.holdsFirstToken() && head.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.SUCCESS) {
            return new FirstTokenGate(attempt, stage.ex, head, stage, sse, now);
        }
        stage.ex.sendHead(head);
        return stage;
    }

    /** False (and the attempt failed) when a response to be buffered announces more than the cap. */
    private static boolean fits(Attempt attempt, Exchange ex, HttpResponse r, long cap) {
        long declared = ex.method() == HttpMethod.HEAD ? -1 : HttpUtil.getContentLength(r, -1L);
        if (cap > 0 && declared > cap) {
            attempt.relayFailed(Outcome.RESPONSE_TOO_LARGE, BufferRelay.tooLarge(cap));
            return false;
        }
        return true;
    }

    /** One decoded body chunk from the backend; ownership passes to the stage. */
    abstract void content(HttpContent c, boolean last);

    /** True when the body goes to the client chunk by chunk (not collected and sent whole). */
    abstract boolean streamed();

    /** The end of one read from the backend (a batch of chunks): flush what was written. */
    void readComplete() {}

    /** The attempt ended before the body did: release whatever the stage still holds. */
    void discard() {}

    /** True while the response is held back waiting for its first content chunk ({@link FirstTokenGate}). */
    boolean holding() {
        return false;
    }

    /** Whether the bytes sent to the client so far end a line (for {@link StreamErrorEnd}). */
    boolean atLineEnd() {
        return true;
    }
}
