package dev.olla.proxy;

/**
 * How an {@link Attempt} ended, reported once by {@code Attempt.finish} to
 * {@link ProxyCall#attemptFinished}, which decides what the client gets (relayed answer, retry on the
 * next candidate, an error, or a cut stream).
 */
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
    NO_FIRST_TOKEN;

    /** Whether the endpoint is blamed: not for a client that left or stalled, our buffer limit or a fallback. */
    boolean blamesEndpoint() {
        return this != OK && this != CLIENT_GONE && this != CLIENT_STALLED && this != RESPONSE_TOO_LARGE
                && this != FALLBACK;
    }

    /** A failure that, on a held stream before its first token, reached nothing of the client. */
    boolean retryableWhileHeld() {
        return this == HEAD_TIMEOUT || this == BODY_TIMEOUT || this == BROKEN_MID_RESPONSE || this == BAD_RESPONSE;
    }
}
