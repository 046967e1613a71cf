package dev.olla.translate;

/**
 * Incremental OpenAI chat-completions SSE to Anthropic Messages SSE conversion for one response.
 * Not thread-safe: drive it from one thread (the channel's event loop).
 */
public interface StreamConverter {
    /**
     * Feeds the next bytes of the OpenAI SSE body (split anywhere: partial lines are buffered across calls).
     * Returns the Anthropic SSE bytes to send now, possibly an empty array.
     */
    byte[] feed(byte[] chunk);

    /**
     * The backend stream ended (or broke): returns the closing events (content_block_stop for an open block,
     * message_delta with stop_reason and usage, message_stop) unless already sent; an empty array afterwards.
     */
    byte[] finish();

    /**
     * True once the Anthropic stream is over: after {@link #finish()}, or after an {@code error} event was emitted
     * (arguments arrived for an already-closed tool block), in which case the caller should stop feeding and close.
     */
    default boolean ended() {
        return false;
    }
}
