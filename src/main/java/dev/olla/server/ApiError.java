package dev.olla.server;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error Olla answers itself, written as the OpenAI-style JSON body
 * {@code {"error":{"message":...,"type":...,"code":...}}} that SDKs display.
 */
public record ApiError(HttpResponseStatus status, String message, String type, String code) {

    public static ApiError of(int status, String message, String code) {
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        return new ApiError(s, message, typeFor(status), code);
    }

    public static ApiError notFound(String message) {
        return of(404, message, "not_found");
    }

    public static ApiError methodNotAllowed() {
        return of(405, "Method not allowed", "method_not_allowed");
    }

    public static ApiError bodyTooLarge() {
        return of(413, "Request body too large", "request_too_large");
    }

    public static ApiError headersTooLarge() {
        return of(431, "Request headers too large", "request_headers_too_large");
    }

    public static ApiError badRequest(String message) {
        return of(400, message, "bad_request");
    }

    public static ApiError internal(String message) {
        return of(500, message, "internal_error");
    }

    /** OpenAI error {@code type} for a status. */
    public static String typeFor(int status) {
        return switch (status) {
            case 400, 404, 405, 413, 414, 415, 422, 431 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 408, 504 -> "timeout_error";
            case 429 -> "rate_limit_error";
            case 501 -> "not_supported_error";
            case 503 -> "unavailable_error";
            default -> "server_error";
        };
    }

    public byte[] body() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("message", message);
        inner.put("type", type);
        inner.put("code", code);
        return Json.bytes(Map.of("error", inner));
    }
}
