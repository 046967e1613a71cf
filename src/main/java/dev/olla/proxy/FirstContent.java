package dev.olla.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.server.Json;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the start of a streamed response, as the {@link FirstTokenGate} holds it, and says whether
 * the first content-bearing piece has arrived, an error came instead, or there is only preamble so
 * far. Two framings: SSE ({@code text/event-stream}: OpenAI, Anthropic) and lines (NDJSON: Ollama;
 * also any other streamed body of a generation route).
 *
 * <p>Preamble (held): SSE comments, {@code event: ping}, OpenAI chunks whose deltas carry only a role
 * or empty/null content, Anthropic {@code message_start}, {@code ping}, {@code content_block_start}
 * and empty deltas, Ollama chunks with an empty message/response that are not {@code done}.
 * Failure: an SSE {@code event: error}, or a JSON payload with a top-level {@code error} (OpenAI,
 * vLLM, Ollama) or {@code "type":"error"} (Anthropic). Anything else (content, a finish reason, an
 * end marker, or something not understood) counts as content: the gate opens rather than hold a
 * stream it cannot read. Only the held start of a response is read (a few events); the parse is a
 * small Jackson tree per event. Not thread-safe.
 */
final class FirstContent {
    enum Verdict { HOLD, CONTENT, FAIL }

    private static final int MAX_MESSAGE = 300;

    private final boolean sse;
    private byte[] line = new byte[256];
    private int lineLen;
    private byte[] data;
    private int dataLen;
    private boolean hasData;
    private String event;
    private String failure;

    FirstContent(boolean sse) {
        this.sse = sse;
    }

    /** The error the backend sent instead of content (after {@link Verdict#FAIL}). */
    String failure() {
        return failure;
    }

    /**
     * Reads {@code buf}'s readable bytes (without consuming them). {@code last}: the body ends here;
     * a stream that ends having sent no error counts as content (a legitimately empty answer).
     */
    Verdict feed(ByteBuf buf, boolean last) {
        int end = buf.writerIndex();
        int i = buf.readerIndex();
        while (i < end) {
            int nl = buf.indexOf(i, end, (byte) '\n');
            append(buf, i, (nl < 0 ? end : nl) - i);
            if (nl < 0) {
                break;
            }
            Verdict v = line();
            lineLen = 0;
            if (v != Verdict.HOLD) {
                return v;
            }
            i = nl + 1;
        }
        if (!last) {
            return Verdict.HOLD;
        }
        Verdict v = Verdict.HOLD;
        if (lineLen > 0) {
            v = line(); // an unterminated last line
            lineLen = 0;
        }
        if (v == Verdict.HOLD && sse) {
            v = dispatch();
        }
        return v == Verdict.FAIL ? v : Verdict.CONTENT;
    }

    /** One complete line, {@code line[0, lineLen)} without its LF. */
    private Verdict line() {
        int len = lineLen;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (!sse) {
            return len == 0 || blank(line, 0, len) ? Verdict.HOLD : json(line, 0, len);
        }
        if (len == 0) {
            return dispatch();
        }
        if (line[0] == ':') {
            return Verdict.HOLD; // a comment
        }
        if (line[0] == '{') {
            // not SSE at all: a bare JSON line (Ollama's OpenAI layer writes its errors so)
            return json(line, 0, len);
        }
        if (startsWith(len, "data:")) {
            int from = skipSpace(5, len);
            appendData(from, len);
        } else if (startsWith(len, "event:")) {
            int from = skipSpace(6, len);
            event = new String(line, from, len - from, StandardCharsets.UTF_8).strip();
        }
        return Verdict.HOLD; // id:, retry: and the like say nothing
    }

    /** The end of one SSE event (a blank line). */
    private Verdict dispatch() {
        String name = event;
        boolean any = hasData;
        event = null;
        hasData = false;
        int len = dataLen;
        dataLen = 0;
        if ("error".equals(name)) {
            failure = message(any ? new String(data, 0, len, StandardCharsets.UTF_8) : "error event");
            return Verdict.FAIL;
        }
        if (!any || "ping".equals(name) || blank(data, 0, len)) {
            return Verdict.HOLD;
        }
        if (len == 6 && new String(data, 0, 6, StandardCharsets.US_ASCII).equals("[DONE]")) {
            return Verdict.CONTENT; // the stream ends: nothing more to wait for
        }
        return json(data, 0, len);
    }

    private Verdict json(byte[] bytes, int off, int len) {
        JsonNode n;
        try {
            n = Json.tree(bytes, off, len);
        } catch (java.io.IOException | RuntimeException e) {
            return Verdict.CONTENT; // not JSON: not ours to judge
        }
        if (n == null || !n.isObject()) {
            return Verdict.CONTENT;
        }
        JsonNode error = n.get("error");
        String type = text(n.get("type"));
        if ((error != null && !error.isNull()) || "error".equals(type)) {
            failure = message(error == null ? n : error);
            return Verdict.FAIL;
        }
        if (type != null) {
            return anthropic(type, n);
        }
        JsonNode choices = n.get("choices");
        if (choices != null && choices.isArray()) {
            for (JsonNode c : choices) {
                if (openAiContent(c)) {
                    return Verdict.CONTENT;
                }
            }
            return Verdict.HOLD;
        }
        if (n.path("done").asBoolean(false)) {
            return Verdict.CONTENT;
        }
        JsonNode message = n.get("message");
        if (message != null && message.isObject()) { // Ollama /api/chat
            return nonEmpty(message.get("content")) || nonEmpty(message.get("thinking"))
                    || nonEmpty(message.get("tool_calls")) ? Verdict.CONTENT : Verdict.HOLD;
        }
        if (n.has("response")) { // Ollama /api/generate
            return nonEmpty(n.get("response")) || nonEmpty(n.get("thinking")) ? Verdict.CONTENT : Verdict.HOLD;
        }
        return Verdict.CONTENT;
    }

    private static Verdict anthropic(String type, JsonNode n) {
        switch (type) {
            case "message_start", "ping", "content_block_stop" -> {
                return Verdict.HOLD;
            }
            case "content_block_start" -> {
                JsonNode block = n.path("content_block");
                return nonEmpty(block.get("text")) || nonEmpty(block.get("thinking")) ? Verdict.CONTENT : Verdict.HOLD;
            }
            case "content_block_delta" -> {
                JsonNode d = n.path("delta");
                return nonEmpty(d.get("text")) || nonEmpty(d.get("thinking")) || nonEmpty(d.get("partial_json"))
                        ? Verdict.CONTENT : Verdict.HOLD;
            }
            default -> {
                return Verdict.CONTENT; // message_delta, message_stop, anything else
            }
        }
    }

    /** Whether one OpenAI choice carries content (or ends the answer). */
    private static boolean openAiContent(JsonNode c) {
        JsonNode finish = c.get("finish_reason");
        if (finish != null && !finish.isNull()) {
            return true;
        }
        if (nonEmpty(c.get("text"))) {
            return true; // completions
        }
        JsonNode d = c.get("delta");
        if (d == null || !d.isObject()) {
            d = c.get("message");
        }
        if (d == null || !d.isObject()) {
            return false;
        }
        return nonEmpty(d.get("content")) || nonEmpty(d.get("reasoning_content")) || nonEmpty(d.get("reasoning"))
                || nonEmpty(d.get("tool_calls")) || nonEmpty(d.get("function_call")) || nonEmpty(d.get("refusal"))
                || nonEmpty(d.get("audio"));
    }

    private static boolean nonEmpty(JsonNode v) {
        if (v == null || v.isNull()) {
            return false;
        }
        if (v.isTextual()) {
            return !v.textValue().isEmpty();
        }
        if (v.isContainerNode()) {
            return !v.isEmpty();
        }
        return true;
    }

    private static String text(JsonNode v) {
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    /** The error's text: a string error, else its {@code message}, else the JSON, shortened. */
    private static String message(JsonNode error) {
        String m;
        if (error.isTextual()) {
            m = error.textValue();
        } else if (error.path("message").isTextual()) {
            m = error.get("message").textValue();
        } else if (error.path("error").path("message").isTextual()) {
            m = error.get("error").get("message").textValue();
        } else {
            m = error.toString();
        }
        return message(m);
    }

    /** The message of an error body (its {@code error}, {@code error.message} or {@code message}), else the text. */
    static String errorMessage(String body) {
        return message(body);
    }

    private static String message(String m) {
        String s = m.strip();
        if (s.startsWith("{")) {
            try {
                JsonNode n = Json.tree(s);
                if (n != null && n.isObject()) {
                    JsonNode e = n.has("error") ? n.get("error") : n;
                    if (e.isTextual()) {
                        s = e.textValue();
                    } else if (e.path("message").isTextual()) {
                        s = e.get("message").textValue();
                    }
                }
            } catch (java.io.IOException | RuntimeException ignored) {
                // keep the text
            }
        }
        return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "..." : s;
    }

    /** Adds a piece of the current line (only its first byte when it is an SSE comment: nothing more is read). */
    private void append(ByteBuf buf, int from, int n) {
        if (sse && lineLen > 0 && line[0] == ':') {
            return;
        }
        if (sse && lineLen == 0 && n > 0 && buf.getByte(from) == ':') {
            n = 1;
        }
        if (lineLen + n > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLen + n));
        }
        buf.getBytes(from, line, lineLen, n);
        lineLen += n;
    }

    private void appendData(int from, int to) {
        int n = to - from;
        if (data == null) {
            data = new byte[Math.max(256, n + 1)];
        }
        int need = dataLen + n + (hasData ? 1 : 0);
        if (need > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, need));
        }
        if (hasData) {
            data[dataLen++] = '\n';
        }
        System.arraycopy(line, from, data, dataLen, n);
        dataLen += n;
        hasData = true;
    }

    private boolean startsWith(int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int skipSpace(int from, int len) {
        return from < len && line[from] == ' ' ? from + 1 : from;
    }

    private static boolean blank(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
                return false;
            }
        }
        return true;
    }
}
