package dev.olla.server;

/**
 * How Olla's own errors are written under a route family whose client libraries read another shape
 * than OpenAI's (Ollama's {@code {"error":"text"}}, Anthropic's envelope). Registered per path prefix
 * with {@link Router#errorBody}; used for every error Olla answers itself on those paths (404, 405,
 * 413, 429, 431, 501, ...), whether a handler or the server produced it.
 */
@FunctionalInterface
public interface ErrorBody {
    /** The OpenAI-style body of {@link ApiError#body()}: the default. */
    ErrorBody OPENAI = (error, requestId) -> error.body();

    byte[] render(ApiError error, String requestId);
}
