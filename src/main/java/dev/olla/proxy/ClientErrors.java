package dev.olla.proxy;

import dev.olla.server.ApiError;
import dev.olla.server.Exchange;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Olla's own errors on a proxied request, in the shape the client reads: a JSON error answer (the
 * route's {@link ForwardPlan#errors} shape, e.g. Anthropic's), the last event of an event stream that
 * keep-alives already committed, or, on a stream the client has begun, an error in its protocol and a
 * proper end ({@link StreamErrorEnd}).
 */
final class ClientErrors {
    private ClientErrors() {
    }

    /** Answers {@code error} unless the head already went out for real or the client left. */
    static void send(Exchange ex, ForwardPlan plan, ApiError error) {
        if (ex.isOpen() && ex.onlyComments()) {
            // keep-alive comments committed a 200 event stream: the error is its last event
            ex.sendLast(committedEnd(plan, error));
        } else if (ex.isOpen() && !ex.headSent()) {
            if (anthropic(plan)) {
                ex.respond(error.status(), "application/json",
                        plan.errors().body(error.status().code(), error.message(), ex.requestId()));
            } else {
                ex.error(error);
            }
        }
    }

    /** The last event of an event stream that keep-alives committed, carrying {@code error}. */
    static LastHttpContent committedEnd(ForwardPlan plan, ApiError error) {
        return StreamErrorEnd.last(anthropic(plan) ? StreamErrorEnd.Protocol.ANTHROPIC_SSE
                : StreamErrorEnd.Protocol.OPENAI_SSE, error, true);
    }

    /**
     * The protocol in which a generation stream the client has begun ends with an error, or null when
     * the response is not such a stream (it is then cut).
     */
    static StreamErrorEnd.Protocol streamProtocol(ForwardPlan plan, String rest, boolean ndjson, String streamedAs) {
        return StreamGuard.generation(rest) ? StreamErrorEnd.of(streamedAs, ndjson, anthropic(plan)) : null;
    }

    /** The route answers in Anthropic's shape (passthrough and translated plans carry its errors). */
    private static boolean anthropic(ForwardPlan plan) {
        return plan != null && plan.errors() != null;
    }
}
