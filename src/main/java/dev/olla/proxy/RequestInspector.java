package dev.olla.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Finds the top-level {@code "model"} string and {@code "stream"} flag of a JSON request body with
 * one pass over the bytes: strings and nesting are tracked, nothing is parsed into objects, and the
 * scan stops as soon as both are known. The body is forwarded untouched; the model value's byte
 * range is kept so an alias can rewrite just that field.
 */
public final class RequestInspector {
    private static final byte[] MODEL = "model".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM = "stream".getBytes(StandardCharsets.US_ASCII);

    /**
     * What the scan found.
     *
     * @param model      the model name as sent (null when absent)
     * @param stream     the stream flag (null when absent)
     * @param modelStart byte offset of the model value's opening quote (-1 when absent)
     * @param modelEnd   byte offset just past its closing quote
     */
    public record Inspected(String model, Boolean stream, int modelStart, int modelEnd) {
        public static final Inspected NONE = new Inspected(null, null, -1, -1);

        /** The model name used for routing: trimmed and lower-cased (null when absent or blank). */
        public String routingModel() {
            if (model == null) {
                return null;
            }
            String m = model.trim();
            return m.isEmpty() ? null : m.toLowerCase(java.util.Locale.ROOT);
        }
    }

    private RequestInspector() {}

    public static Inspected inspect(HttpHeaders headers, ByteBuf body) {
        if (!body.isReadable()) {
            return Inspected.NONE;
        }
        String ct = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (ct != null && !ct.contains("json")) {
            return Inspected.NONE;
        }
        Scanner s = new Scanner();
        int offset = 0;
        for (ByteBuffer nio : body.nioBuffers()) {
            if (s.scan(nio, offset)) {
                break;
            }
            offset += nio.remaining();
        }
        return s.result();
    }

    /** A resumable byte-level JSON scanner that only tracks what it needs. */
    private static final class Scanner {
        private int depth;
        private boolean inString;
        private boolean escape;
        private boolean expectKey;     // at depth 1, the next string is a key
        private int keyMatch;          // 0 none, 1 model, 2 stream: the key just read
        private int pendingValue;      // key read and ':' seen: 1 model, 2 stream
        private int candidate;         // while reading a key: bitmask of keys still matching
        private int keyLen;
        private boolean readingModelValue;
        private final java.io.ByteArrayOutputStream modelBytes = new java.io.ByteArrayOutputStream(64);
        private int modelStart = -1;
        private int modelEnd = -1;
        private boolean modelEscaped;
        private Boolean stream;
        private boolean modelDone;
        private int literalPos;        // reading true/false literal for stream
        private boolean literalTrue;

        boolean scan(ByteBuffer buf, int base) {
            int end = buf.limit();
            for (int i = buf.position(); i < end; i++) {
                byte b = buf.get(i);
                int pos = base + (i - buf.position());
                if (inString) {
                    if (escape) {
                        escape = false;
                        if (readingModelValue) {
                            modelEscaped = true;
                            modelBytes.write(b);
                        }
                        candidate = 0;
                        continue;
                    }
                    if (b == '\\') {
                        escape = true;
                        if (readingModelValue) {
                            modelBytes.write(b);
                        }
                        continue;
                    }
                    if (b == '"') {
                        inString = false;
                        if (readingModelValue) {
                            readingModelValue = false;
                            modelEnd = pos + 1;
                            modelDone = true;
                            if (stream != null) {
                                return true;
                            }
                        } else if (depth == 1 && expectKey) {
                            keyMatch = (candidate & 1) != 0 && keyLen == MODEL.length ? 1
                                    : (candidate & 2) != 0 && keyLen == STREAM.length ? 2 : 0;
                            expectKey = false;
                        }
                        continue;
                    }
                    if (readingModelValue) {
                        modelBytes.write(b);
                    } else if (depth == 1 && expectKey && candidate != 0) {
                        if ((candidate & 1) != 0 && (keyLen >= MODEL.length || MODEL[keyLen] != b)) {
                            candidate &= ~1;
                        }
                        if ((candidate & 2) != 0 && (keyLen >= STREAM.length || STREAM[keyLen] != b)) {
                            candidate &= ~2;
                        }
                        keyLen++;
                    }
                    continue;
                }
                if (literalPos > 0) {
                    if ((b >= 'a' && b <= 'z')) {
                        literalPos++;
                        continue;
                    }
                    stream = literalTrue;
                    literalPos = 0;
                    pendingValue = 0;
                    if (modelDone) {
                        return true;
                    }
                }
                switch (b) {
                    case '"' -> {
                        inString = true;
                        if (depth == 1 && pendingValue == 1 && !modelDone) {
                            readingModelValue = true;
                            modelStart = pos;
                            pendingValue = 0;
                        } else if (depth == 1 && pendingValue == 0 && expectKey) {
                            candidate = 3;
                            keyLen = 0;
                        } else {
                            pendingValue = 0;
                        }
                    }
                    case '{', '[' -> {
                        depth++;
                        pendingValue = 0;
                        if (depth == 1 && b == '{') {
                            expectKey = true;
                        }
                    }
                    case '}', ']' -> {
                        depth--;
                        if (depth <= 0) {
                            return true;
                        }
                    }
                    case ':' -> {
                        if (depth == 1) {
                            pendingValue = keyMatch;
                            keyMatch = 0;
                        }
                    }
                    case ',' -> {
                        if (depth == 1) {
                            expectKey = true;
                            pendingValue = 0;
                        }
                    }
                    case 't', 'f' -> {
                        if (depth == 1 && pendingValue == 2 && stream == null) {
                            literalPos = 1;
                            literalTrue = b == 't';
                        } else {
                            pendingValue = 0;
                        }
                    }
                    case ' ', '\t', '\r', '\n' -> {
                        // whitespace keeps a pending value pending
                    }
                    default -> pendingValue = 0;
                }
            }
            return false;
        }

        Inspected result() {
            if (literalPos > 0 && stream == null) {
                stream = literalTrue;
            }
            String model = null;
            if (modelDone) {
                String raw = modelBytes.toString(StandardCharsets.UTF_8);
                model = modelEscaped ? unescape(raw) : raw;
            }
            if (model == null && stream == null) {
                return Inspected.NONE;
            }
            return new Inspected(model, stream, modelDone ? modelStart : -1, modelDone ? modelEnd : -1);
        }

        private static String unescape(String raw) {
            try {
                return dev.olla.server.Json.MAPPER.readValue('"' + raw + '"', String.class);
            } catch (java.io.IOException e) {
                return raw;
            }
        }
    }
}
