package dev.olla.proxy;

import dev.olla.config.OllaConfig;
import dev.olla.server.ApiError;
import java.util.regex.Pattern;

/**
 * The retry rule of a call ({@code proxy.retry.*}): an attempt that failed before any response byte
 * (or a held stream before its first token) is followed by one on the next candidate while attempts
 * and candidates are left; when none is, {@link #exhausted} words the client's error from the last failure.
 */
final class Failover {
    private static final Pattern JAVA_CLASS = Pattern.compile(
            "\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)\\b:?\\s*");

    private Failover() {
    }

    /** How many attempts a call with {@code candidates} candidates may make. */
    static int maxAttempts(OllaConfig.Retry retry, int candidates) {
        boolean retrying = retry.enabled() && retry.onConnectionFailure();
        return !retrying ? 1 : retry.maxAttempts() <= 0 ? candidates : Math.min(retry.maxAttempts(), candidates);
    }

    /**
     * The error after the last allowed attempt failed before responding ({@code held}: a held stream
     * failed before its first token) for {@code reason}.
     */
    static ApiError exhausted(boolean held, String reason, Selection selection, int maxAttempts) {
        if (held && reason.startsWith("backend timeout")) {
            return ApiError.of(504, "Proxy error: " + reason, "backend_timeout");
        }
        if (held) {
            return ApiError.of(502, "Proxy error: " + (selection.isEmpty()
                    ? "all endpoints failed before the first token: " : "max attempts (" + maxAttempts
                    + ") reached: ") + inWords(reason), "proxy_error");
        }
        if (!selection.wasRoutableTried()) {
            return ApiError.of(503, "no healthy endpoints available (last-resort attempt failed: " + reason + ")",
                    "no_healthy_endpoints");
        }
        if (!selection.isEmpty()) {
            return ApiError.of(502, "Proxy error: max attempts (" + maxAttempts + ") reached: " + inWords(reason),
                    "proxy_error");
        }
        return ApiError.of(502, "Proxy error: all endpoints failed with connection errors: " + inWords(reason),
                "proxy_error");
    }

    /**
     * A failure reason as the client reads it: Java class names (from an exception's text) removed.
     * The full reason is logged, once, where the attempt's outcome is handled.
     */
    static String inWords(String reason) {
        return reason == null ? "" : JAVA_CLASS.matcher(reason).replaceAll("").strip();
    }
}
