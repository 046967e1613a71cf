package dev.olla.translate;

import static dev.olla.translate.Jsons.nonEmptyText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * OpenAI chat-completions SSE to Anthropic Messages SSE, line by line as bytes arrive.
 *
 * <p>Sequence: {@code message_start} (on the first parsed chunk) then per block {@code content_block_start},
 * {@code content_block_delta}s, {@code content_block_stop}; a block of another kind (thinking, text, a tool call)
 * closes the open one. Tool-call argument fragments are buffered per tool index until both id and name are known.
 * {@link #finish()} closes the open block, starts any tool still waiting for its id (with a generated id), and sends
 * {@code message_delta} + {@code message_stop}. Arguments for a tool whose block was already closed produce an
 * {@code error} event that ends the stream.
 */
final class OpenAiStreamConverter implements StreamConverter {

    private enum Kind { THINKING, TEXT, TOOL }

    private static final class Tool {
        String id;
        String name;
        final StringBuilder pending = new StringBuilder();
        int blockIndex = -1;
        boolean closed;
        final String key;

        Tool(String key) {
            this.key = key;
        }
    }

    private final String requestedModel;
    private final int estimatedInputTokens;
    private final String messageId = MessageIds.messageId();

    private byte[] buf = new byte[512];
    private int len;
    private int scanned;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    private boolean started;
    private boolean ended;
    private String finishReason;
    private Integer upstreamInputTokens;
    private Integer upstreamOutputTokens;
    private long outputChars;

    private int nextIndex;
    private Kind openKind;
    private int openIndex = -1;
    private Tool openTool;
    private final List<Tool> tools = new ArrayList<>();
    private Tool lastTool;

    OpenAiStreamConverter(String requestedModel, int estimatedInputTokens) {
        this.requestedModel = requestedModel;
        this.estimatedInputTokens = estimatedInputTokens;
    }

    @Override
    public boolean ended() {
        return ended;
    }

    @Override
    public byte[] feed(byte[] chunk) {
        if (ended || chunk == null || chunk.length == 0) {
            return Jsons.EMPTY;
        }
        append(chunk);
        int lineStart = 0;
        for (int i = scanned; i < len && !ended; i++) {
            if (buf[i] == '\n') {
                processLine(lineStart, i);
                lineStart = i + 1;
            }
        }
        if (ended) {
            len = 0;
            scanned = 0;
        } else {
            int rest = len - lineStart;
            if (lineStart > 0) {
                System.arraycopy(buf, lineStart, buf, 0, rest);
            }
            len = rest;
            scanned = rest;
        }
        return drain();
    }

    @Override
    public byte[] finish() {
        if (ended) {
            return Jsons.EMPTY;
        }
        if (len > 0) {
            processLine(0, len); // an unterminated last line, as a line scanner would yield it at EOF
            len = 0;
            scanned = 0;
            if (ended) {
                return drain();
            }
        }
        ended = true;
        ensureStarted(null);
        for (Tool tool : tools) {
            if (tool.blockIndex < 0 && tool.name != null) {
                if (tool.id == null) {
                    tool.id = MessageIds.toolUseId();
                }
                startTool(tool);
            }
        }
        closeOpenBlock();

        ObjectNode delta = Jsons.object();
        delta.put("type", "message_delta");
        ObjectNode d = delta.putObject("delta");
        d.put("stop_reason", AnthropicTranslator.stopReason(finishReason));
        d.putNull("stop_sequence");
        ObjectNode usage = delta.putObject("usage");
        usage.put("input_tokens", upstreamInputTokens != null ? upstreamInputTokens : estimatedInputTokens);
        usage.put("output_tokens",
                upstreamOutputTokens != null ? upstreamOutputTokens : TokenEstimate.tokens(outputChars));
        usage.put("cache_creation_input_tokens", 0);
        usage.put("cache_read_input_tokens", 0);
        event("message_delta", delta);

        ObjectNode stop = Jsons.object();
        stop.put("type", "message_stop");
        event("message_stop", stop);
        return drain();
    }

    // ---------------------------------------------------------------------------------------------------------------

    private void append(byte[] chunk) {
        if (len + chunk.length > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + chunk.length));
        }
        System.arraycopy(chunk, 0, buf, len, chunk.length);
        len += chunk.length;
    }

    private byte[] drain() {
        if (out.size() == 0) {
            return Jsons.EMPTY;
        }
        byte[] bytes = out.toByteArray();
        out.reset();
        return bytes;
    }

    /** One SSE line, {@code [start,end)} of the buffer without its LF. */
    private void processLine(int start, int end) {
        if (end > start && buf[end - 1] == '\r') {
            end--;
        }
        if (end - start < 5 || buf[start] != 'd' || buf[start + 1] != 'a' || buf[start + 2] != 't'
                || buf[start + 3] != 'a' || buf[start + 4] != ':') {
            return;
        }
        String data = new String(buf, start + 5, end - start - 5, StandardCharsets.UTF_8).trim();
        if (data.isEmpty() || data.equals("[DONE]")) {
            return;
        }
        JsonNode chunk = Jsons.read(data);
        if (chunk == null || !chunk.isObject()) {
            return;
        }
        processChunk(chunk);
    }

    private void processChunk(JsonNode chunk) {
        ensureStarted(chunk);
        JsonNode usage = chunk.get("usage");
        if (usage != null && usage.isObject()) {
            JsonNode pt = usage.get("prompt_tokens");
            if (pt != null && pt.isNumber()) {
                upstreamInputTokens = pt.intValue();
            }
            JsonNode ct = usage.get("completion_tokens");
            if (ct != null && ct.isNumber()) {
                upstreamOutputTokens = ct.intValue();
            }
        }
        JsonNode choices = chunk.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            return;
        }
        JsonNode choice = choices.get(0);
        String fr = nonEmptyText(choice.get("finish_reason"));
        if (fr != null) {
            finishReason = fr;
        }
        JsonNode delta = choice.get("delta");
        if (delta == null || !delta.isObject()) {
            return;
        }
        String reasoning = nonEmptyText(delta.get("reasoning_content"));
        if (reasoning == null) {
            reasoning = nonEmptyText(delta.get("reasoning"));
        }
        if (reasoning != null) {
            textDelta(Kind.THINKING, reasoning);
        }
        String content = nonEmptyText(delta.get("content"));
        if (content != null) {
            textDelta(Kind.TEXT, content);
        }
        JsonNode toolCalls = delta.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray()) {
            int position = 0;
            for (JsonNode call : toolCalls) {
                if (ended) {
                    return;
                }
                if (call.isObject()) {
                    toolDelta(call, position);
                }
                position++;
            }
        }
    }

    private void ensureStarted(JsonNode chunk) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode start = Jsons.object();
        start.put("type", "message_start");
        ObjectNode m = start.putObject("message");
        m.put("id", messageId);
        m.put("type", "message");
        m.put("role", "assistant");
        m.put("model", chunk != null ? AnthropicTranslator.modelOf(chunk, requestedModel)
                : requestedModel != null && !requestedModel.isEmpty() ? requestedModel : "unknown");
        m.putArray("content");
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        ObjectNode usage = m.putObject("usage");
        usage.put("input_tokens", estimatedInputTokens);
        usage.put("output_tokens", 0);
        usage.put("cache_creation_input_tokens", 0);
        usage.put("cache_read_input_tokens", 0);
        event("message_start", start);
    }

    private void textDelta(Kind kind, String text) {
        if (openKind != kind) {
            closeOpenBlock();
            openKind = kind;
            openIndex = nextIndex++;
            ObjectNode start = Jsons.object();
            start.put("type", "content_block_start");
            start.put("index", openIndex);
            ObjectNode block = start.putObject("content_block");
            if (kind == Kind.THINKING) {
                block.put("type", "thinking");
                block.put("thinking", "");
            } else {
                block.put("type", "text");
                block.put("text", "");
            }
            event("content_block_start", start);
        }
        ObjectNode ev = Jsons.object();
        ev.put("type", "content_block_delta");
        ev.put("index", openIndex);
        ObjectNode d = ev.putObject("delta");
        if (kind == Kind.THINKING) {
            d.put("type", "thinking_delta");
            d.put("thinking", text);
        } else {
            d.put("type", "text_delta");
            d.put("text", text);
        }
        event("content_block_delta", ev);
        outputChars += Jsons.utf8Length(text);
    }

    private void toolDelta(JsonNode call, int position) {
        Tool tool = toolFor(call, position);
        lastTool = tool;
        String id = nonEmptyText(call.get("id"));
        if (id != null && tool.id == null) {
            tool.id = id;
        }
        JsonNode fn = call.get("function");
        String args = null;
        if (fn != null && fn.isObject()) {
            String name = nonEmptyText(fn.get("name"));
            if (name != null && tool.name == null) {
                tool.name = name;
            }
            JsonNode a = fn.get("arguments");
            if (a != null && a.isTextual()) {
                args = a.textValue();
            } else if (a != null && (a.isObject() || a.isArray())) {
                args = Jsons.string(a);
            }
            if (args != null && args.isEmpty()) {
                args = null;
            }
        }
        if (tool.closed) {
            if (args != null) {
                fail("received arguments for tool call " + tool.key + " after its content block was closed");
            }
            return;
        }
        if (tool.blockIndex < 0) {
            if (args != null) {
                tool.pending.append(args);
            }
            if (tool.id != null && tool.name != null) {
                startTool(tool);
            }
        } else if (args != null) {
            argsDelta(tool, args);
        }
    }

    /** The tool a call fragment belongs to: by {@code index}, else by {@code id}, else the last one touched. */
    private Tool toolFor(JsonNode call, int position) {
        JsonNode index = call.get("index");
        String id = nonEmptyText(call.get("id"));
        String key;
        if (index != null && index.isNumber()) {
            key = Integer.toString(index.intValue());
        } else {
            if (id == null && lastTool != null) {
                return lastTool;
            }
            key = id != null ? "id:" + id : Integer.toString(position);
        }
        for (int i = tools.size() - 1; i >= 0; i--) {
            Tool t = tools.get(i);
            if (t.key.equals(key)) {
                if (id != null && t.id != null && !t.id.equals(id)) {
                    break; // a backend reusing an index for a new call (a new id): a new tool
                }
                return t;
            }
        }
        Tool t = new Tool(key);
        tools.add(t);
        return t;
    }

    private void startTool(Tool tool) {
        closeOpenBlock();
        openKind = Kind.TOOL;
        openTool = tool;
        openIndex = nextIndex++;
        tool.blockIndex = openIndex;
        ObjectNode start = Jsons.object();
        start.put("type", "content_block_start");
        start.put("index", openIndex);
        ObjectNode block = start.putObject("content_block");
        block.put("type", "tool_use");
        block.put("id", tool.id);
        block.put("name", tool.name);
        block.putObject("input");
        event("content_block_start", start);
        if (!tool.pending.isEmpty()) {
            String pending = tool.pending.toString();
            tool.pending.setLength(0);
            argsDelta(tool, pending);
        }
    }

    private void argsDelta(Tool tool, String args) {
        ObjectNode ev = Jsons.object();
        ev.put("type", "content_block_delta");
        ev.put("index", tool.blockIndex);
        ObjectNode d = ev.putObject("delta");
        d.put("type", "input_json_delta");
        d.put("partial_json", args);
        event("content_block_delta", ev);
        outputChars += Jsons.utf8Length(args);
    }

    private void closeOpenBlock() {
        if (openKind == null) {
            return;
        }
        ObjectNode stop = Jsons.object();
        stop.put("type", "content_block_stop");
        stop.put("index", openIndex);
        event("content_block_stop", stop);
        if (openTool != null) {
            openTool.closed = true;
        }
        openKind = null;
        openTool = null;
        openIndex = -1;
    }

    private void fail(String message) {
        ObjectNode ev = Jsons.object();
        ev.put("type", "error");
        ObjectNode err = ev.putObject("error");
        err.put("type", "api_error");
        err.put("message", message);
        event("error", ev);
        ended = true;
    }

    private void event(String name, ObjectNode data) {
        byte[] json = Jsons.bytes(data);
        out.writeBytes(("event: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(json);
        out.write('\n');
        out.write('\n');
    }
}
