package dev.olla.translate;

import static dev.olla.translate.Jsons.nonEmptyText;
import static dev.olla.translate.Jsons.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Anthropic error envelopes: Olla's own ({@link #error}), a translated backend's failure
 * ({@link #backendError}) and a passthrough backend's ({@link #passthroughError}). Pure functions.
 */
public final class AnthropicErrors {

    private AnthropicErrors() {}

    /**
     * {@code {"type":"error","error":{"type":T,"message":M},"request_id":id}}; {@code request_id} is left out when
     * null or empty. The proxy also sets the {@code request-id} header.
     */
    public static byte[] error(int status, String message, String requestId) {
        ObjectNode out = Jsons.object();
        out.put("type", "error");
        ObjectNode err = out.putObject("error");
        err.put("type", errorType(status));
        err.put("message", message == null ? "" : message);
        if (requestId != null && !requestId.isEmpty()) {
            out.put("request_id", requestId);
        }
        return Jsons.bytes(out);
    }

    /** The Anthropic error type for an HTTP status. */
    public static String errorType(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 408, 504 -> "timeout_error";
            case 529 -> "overloaded_error";
            default -> "api_error";
        };
    }

    /**
     * A backend's failure body as an Anthropic envelope with the same status: the backend's {@code error.message}
     * (also accepted: a string {@code error}, a top-level {@code message}), else {@code Backend error}.
     */
    public static byte[] backendError(int status, byte[] backendBody, String requestId) {
        String message = null;
        JsonNode root = Jsons.read(backendBody);
        if (root != null && root.isObject()) {
            JsonNode err = root.get("error");
            if (err != null && err.isObject()) {
                message = nonEmptyText(err.get("message"));
            } else {
                message = nonEmptyText(err);
            }
            if (message == null) {
                message = nonEmptyText(root.get("message"));
            }
        }
        return error(status, message != null ? message : "Backend error", requestId);
    }

    /** A passthrough backend's error: kept when it is already an Anthropic envelope, else {@link #backendError}. */
    public static byte[] passthroughError(int status, byte[] body, String requestId) {
        JsonNode root = Jsons.read(body);
        if (root != null && "error".equals(text(root.get("type"))) && root.path("error").isObject()) {
            return body;
        }
        return backendError(status, body, requestId);
    }
}
