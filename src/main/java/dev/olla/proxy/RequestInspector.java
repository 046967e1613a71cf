package dev.olla.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;

/**
 * Finds the top-level {@code "model"} string and {@code "stream"} flag of a JSON request body with
 * one pass over the bytes: strings and nesting are tracked, nothing is parsed into objects, and the
 * scan stops as soon as both are known. The body is forwarded untouched; the model value's byte
 * range is kept so an alias can rewrite just that field.
 */
public final class RequestInspector {
    /** Top-level keys of interest: 1 model, 2 stream, 3 messages, 4 prompt (index + 1). */
    private static final byte[][] KEYS = {
        "model".getBytes(StandardCharsets.US_ASCII), "stream".getBytes(StandardCharsets.US_ASCII),
        "messages".getBytes(StandardCharsets.US_ASCII), "prompt".getBytes(StandardCharsets.US_ASCII)
    };
    private static final int ALL_KEYS = (1 << KEYS.length) - 1;

    /**
     * What the scan found.
     *
     * @param model      the model name as sent (null when absent)
     * @param stream     the stream flag (null when absent)
     * @param modelStart byte offset of the model value's opening quote (-1 when absent)
     * @param modelEnd   byte offset just past its closing quote
     * @param contextStart byte offset where the top-level {@code messages} (else {@code prompt})
     *                   value starts, -1 when absent (sticky sessions hash the conversation prefix)
     */
    public record Inspected(String model, Boolean stream, int modelStart, int modelEnd, int contextStart) {
        public static final Inspected NONE = new Inspected(null, null, -1, -1, -1);

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
        if (ct != null && !ct.contains("json") && !startsLikeObject(body)) {
            return Inspected.NONE; // routing never depends on the content type alone (curl -d sends form type)
        }
        Scanner s = new Scanner();
        int from = body.readerIndex();
        int n = body.readableBytes();
        if (body.hasArray()) {
            int start = body.arrayOffset() + from;
            s.scan(body.array(), start, start + n, -start);
            return s.result();
        }
        // a direct or composite body: copied out a window at a time (array loops need no per-byte checks)
        byte[] window = SCRATCH.get();
        for (int done = 0; done < n; ) {
            int len = Math.min(window.length, n - done);
            body.getBytes(from + done, window, 0, len);
            if (s.scan(window, 0, len, done)) {
                break;
            }
            done += len;
        }
        return s.result();
    }

    /** Bytes copied out of a direct buffer per step (one scratch array per event-loop thread). */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[4096];
        }
    };

    /** True when the first non-whitespace byte is '{': a JSON object sent with another content type. */
    static boolean startsLikeObject(ByteBuf body) {
        int end = body.writerIndex();
        for (int i = body.readerIndex(); i < end; i++) {
            byte b = body.getByte(i);
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b == '{';
            }
        }
        return false;
    }

    /** A resumable byte-level JSON scanner that only tracks what it needs. */
    private static final class Scanner {
        private int depth;
        private boolean inString;
        private boolean escape;
        private boolean expectKey;     // at depth 1, the next string is a key
        private int keyMatch;          // 0 none, else the KEYS index + 1 of the key just read
        private int pendingValue;      // key read and ':' seen: the KEYS index + 1
        private int messagesStart = -1;
        private int promptStart = -1;
        private int candidate;         // while reading a key: bitmask of keys still matching
        private int keyLen;
        private boolean readingModelValue;
        private byte[] modelBytes = new byte[64];
        private int modelLen;
        private int modelStart = -1;
        private int modelEnd = -1;
        private boolean modelEscaped;
        private Boolean stream;
        private boolean modelDone;
        private int literalPos;        // reading true/false literal for stream
        private boolean literalTrue;

        private void modelByte(byte b) {
            if (modelLen == modelBytes.length) {
                modelBytes = java.util.Arrays.copyOf(modelBytes, modelLen * 2);
            }
            modelBytes[modelLen++] = b;
        }

        /** Scans {@code a[start, end)}; {@code base + i} is the body offset of {@code a[i]}. True when done. */
        boolean scan(byte[] a, int start, int end, int base) {
            for (int i = start; i < end; i++) {
                byte b = a[i];
                if (inString) {
                    if (!escape && !readingModelValue && (depth != 1 || !expectKey || candidate == 0)) {
                        // string content nothing is read from (message texts): skip to its end or an escape
                        while (b != '"' && b != '\\') {
                            if (++i == end) {
                                return false;
                            }
                            b = a[i];
                        }
                    }
                    if (escape) {
                        escape = false;
                        if (readingModelValue) {
                            modelEscaped = true;
                            modelByte(b);
                        }
                        candidate = 0;
                        continue;
                    }
                    if (b == '\\') {
                        escape = true;
                        if (readingModelValue) {
                            modelByte(b);
                        }
                        continue;
                    }
                    if (b == '"') {
                        inString = false;
                        if (readingModelValue) {
                            readingModelValue = false;
                            modelEnd = base + i + 1;
                            modelDone = true;
                            if (stream != null) {
                                return true;
                            }
                        } else if (depth == 1 && expectKey) {
                            keyMatch = 0;
                            for (int k = 0; k < KEYS.length; k++) {
                                if ((candidate & (1 << k)) != 0 && keyLen == KEYS[k].length) {
                                    keyMatch = k + 1;
                                }
                            }
                            expectKey = false;
                        }
                        continue;
                    }
                    if (readingModelValue) {
                        modelByte(b);
                    } else if (depth == 1 && expectKey && candidate != 0) {
                        for (int k = 0; k < KEYS.length; k++) {
                            if ((candidate & (1 << k)) != 0 && (keyLen >= KEYS[k].length || KEYS[k][keyLen] != b)) {
                                candidate &= ~(1 << k);
                            }
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
                    if (modelDone && messagesStart >= 0) {
                        return true;
                    }
                }
                int pos = base + i;
                if (depth == 1 && pendingValue >= 3 && b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                    if (pendingValue == 3 && messagesStart < 0) {
                        messagesStart = pos;
                    } else if (pendingValue == 4 && promptStart < 0) {
                        promptStart = pos;
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
                            candidate = ALL_KEYS;
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
                String raw = new String(modelBytes, 0, modelLen, StandardCharsets.UTF_8);
                model = modelEscaped ? unescape(raw) : raw;
            }
            int context = messagesStart >= 0 ? messagesStart : promptStart;
            if (model == null && stream == null && context < 0) {
                return Inspected.NONE;
            }
            return new Inspected(model, stream, modelDone ? modelStart : -1, modelDone ? modelEnd : -1, context);
        }

        private static String unescape(String raw) {
            try {
                return dev.olla.server.Json.string('"' + raw + '"');
            } catch (java.io.IOException e) {
                return raw;
            }
        }
    }
}
