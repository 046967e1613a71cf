package dev.olla.proxy;

import dev.olla.server.ApiError;
import dev.olla.server.Json;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The end of a stream whose backend failed after the client got its head: a well-formed error in the
 * CLIENT's protocol, sent as the last chunk of the body (a proper end, not a cut connection).
 * <ul>
 *   <li>OpenAI SSE: {@code data: {"error":{"message":...,"type":...,"code":...}}} then {@code data: [DONE]}
 *       (as vLLM ends a failed stream);</li>
 *   <li>Ollama NDJSON: a {@code {"error":"..."}} line;</li>
 *   <li>Anthropic SSE: {@code event: error} with {@code {"type":"error","error":{"type":"api_error","message":...}}}
 *       (also on the translated route, whose backend speaks OpenAI).</li>
 * </ul>
 * A body whose last relayed byte did not end a line gets a line break first, so the error never
 * glues onto a half-written event.
 */
final class StreamErrorEnd {
    enum Protocol { OPENAI_SSE, OLLAMA_NDJSON, ANTHROPIC_SSE }

    private StreamErrorEnd() {}

    /**
     * The protocol of a streamed response, or null when it is none of the three (the stream is then
     * cut, as before).
     *
     * @param contentType the content type of the head the client got
     * @param ndjsonRoute an Ollama-native route ({@code /api/...})
     * @param anthropic   a route that answers in Anthropic's shape (passthrough or translated)
     */
    static Protocol of(String contentType, boolean ndjsonRoute, boolean anthropic) {
        String ct = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        if (ct.contains("text/event-stream")) {
            return anthropic ? Protocol.ANTHROPIC_SSE : Protocol.OPENAI_SSE;
        }
        if (ct.contains("ndjson") || (ndjsonRoute && ct.contains("json"))) {
            return Protocol.OLLAMA_NDJSON;
        }
        return null;
    }

    /**
     * The last chunk carrying {@code error}.
     *
     * @param atLineEnd whether the bytes relayed so far ended with a line feed
     */
    static LastHttpContent last(Protocol p, ApiError error, boolean atLineEnd) {
        StringBuilder sb = new StringBuilder(256);
        switch (p) {
            case OPENAI_SSE -> {
                sb.append(atLineEnd ? "\n" : "\n\n"); // closes an event left open; else one blank line
                Map<String, Object> inner = new LinkedHashMap<>();
                inner.put("message", error.message());
                inner.put("type", error.type());
                inner.put("code", error.code());
                sb.append("data: ").append(json(Map.of("error", inner))).append("\n\ndata: [DONE]\n\n");
            }
            case ANTHROPIC_SSE -> {
                sb.append(atLineEnd ? "\n" : "\n\n");
                Map<String, Object> inner = new LinkedHashMap<>();
                inner.put("type", "api_error");
                inner.put("message", error.message());
                Map<String, Object> outer = new LinkedHashMap<>();
                outer.put("type", "error");
                outer.put("error", inner);
                sb.append("event: error\ndata: ").append(json(outer)).append("\n\n");
            }
            case OLLAMA_NDJSON -> {
                if (!atLineEnd) {
                    sb.append('\n');
                }
                sb.append(json(Map.of("error", error.message()))).append('\n');
            }
        }
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8));
    }

    private static String json(Object value) {
        return new String(Json.bytes(value), StandardCharsets.UTF_8);
    }
}
