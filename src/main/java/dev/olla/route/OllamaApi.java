package dev.olla.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.olla.proxy.ForwardPlan;
import dev.olla.server.ApiError;
import dev.olla.server.ErrorBody;
import dev.olla.server.Exchange;
import dev.olla.server.Json;
import dev.olla.server.Router;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.Map;

/**
 * What the Ollama route family ({@code /olla/ollama/*}) needs beyond plain proxying: Olla's own errors
 * in Ollama's shape {@code {"error":"text"}} (what ollama-js and ollama-python read; an OpenAI-style
 * object prints as {@code [object Object]}), except under {@code /v1/}, where Ollama itself answers
 * in OpenAI's shape; and {@code /api/show} requests that name the model only by the legacy
 * {@code name} field, which are given a {@code model} field so that model routing sees it.
 */
final class OllamaApi {
    private OllamaApi() {
    }

    /** Ollama's error body. */
    static byte[] error(int status, String message, String requestId) {
        return Json.bytes(Map.of("error", message == null ? "" : message));
    }

    /**
     * Every error Olla answers itself under {@code base} (404, 405, 413, 429, 431, ...) in Ollama's
     * shape, except under {@code base/v1/}, where Ollama answers in OpenAI's.
     */
    static void errorBodies(Router router, String base) {
        router.errorBody(base + "/", (e, requestId) -> error(e.status().code(), e.message(), requestId));
        router.errorBody(base + "/v1/", ErrorBody.OPENAI);
    }

    /** Answers an Olla error in Ollama's shape. */
    static void respond(Exchange ex, ApiError e) {
        ex.respond(e.status(), "application/json; charset=utf-8", error(e.status().code(), e.message(), ex.requestId()));
    }

    /**
     * The plan for one request under {@code base} (e.g. {@code /olla/ollama}): Ollama-shaped errors on
     * the native API, none (OpenAI errors) under {@code /v1/}.
     */
    static ForwardPlan plan(Exchange ex, String base) {
        String path = ex.path();
        if (path.startsWith(base + "/v1/")) {
            return null;
        }
        byte[] body = null;
        if (path.equals(base + "/api/show")) {
            body = showWithModel(ex);
        }
        return new ForwardPlan(null, body == null ? null : Unpooled.wrappedBuffer(body), null, OllamaApi::error, null);
    }

    /** An {@code /api/show} body with only {@code name}: the same object with {@code model} added; else null. */
    private static byte[] showWithModel(Exchange ex) {
        if (!ex.body().isReadable()) {
            return null;
        }
        try {
            JsonNode j = Json.tree(new ByteBufInputStream(ex.body().duplicate()));
            if (j instanceof ObjectNode o && !o.path("model").isTextual() && o.path("name").isTextual()) {
                o.put("model", o.get("name").asText());
                return Json.bytes(o);
            }
        } catch (IOException e) {
            // not JSON: forwarded as is; the backend answers
        }
        return null;
    }
}
