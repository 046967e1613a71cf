package dev.olla.stats;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Measures one proxied response as it passes, without holding any of it back: time to first token
 * and the gaps between chunks (timed by Olla for every stream), and the token figures the backend
 * reports, whatever its format:
 * <ul>
 *   <li>Ollama's final chunk: {@code prompt_eval_count}, {@code eval_count}, {@code eval_duration},
 *       {@code prompt_eval_duration}, {@code load_duration}, {@code total_duration} (nanoseconds);</li>
 *   <li>OpenAI {@code usage} ({@code prompt_tokens}, {@code completion_tokens}), also in the last
 *       event of a stream asked with {@code stream_options.include_usage};</li>
 *   <li>Anthropic {@code usage} ({@code input_tokens}, {@code output_tokens}; the last one wins, as
 *       {@code message_delta} carries the final count);</li>
 *   <li>llama.cpp {@code timings} ({@code prompt_n}, {@code predicted_n}, {@code prompt_ms},
 *       {@code predicted_ms}).</li>
 * </ul>
 * The body is read without touching its indexes (the array of a heap buffer, or a direct buffer copied
 * 4 KiB at a time into a per-thread scratch array) by a small JSON lexer
 * whose state survives chunk boundaries: it recognises a key (a string followed by {@code :}) and
 * reads the number after it; strings are skipped with their escapes, so text a model writes cannot
 * fake a field. A newline resets the lexer (JSON strings cannot hold one), so one broken line does
 * not blind it for the rest of the stream. No allocation per chunk; one meter per request.
 *
 * <p>Used on the one event loop of its request; not thread-safe.
 */
public final class TokenMeter implements ByteProcessor {
    // Field ids, in KEYS order.
    private static final int PROMPT_EVAL_COUNT = 0;
    private static final int EVAL_COUNT = 1;
    private static final int EVAL_DURATION = 2;
    private static final int PROMPT_EVAL_DURATION = 3;
    private static final int LOAD_DURATION = 4;
    private static final int TOTAL_DURATION = 5;
    private static final int PROMPT_TOKENS = 6;
    private static final int COMPLETION_TOKENS = 7;
    private static final int INPUT_TOKENS = 8;
    private static final int OUTPUT_TOKENS = 9;
    private static final int PROMPT_N = 10;
    private static final int PREDICTED_N = 11;
    private static final int PROMPT_MS = 12;
    private static final int PREDICTED_MS = 13;
    private static final byte[][] KEYS = {
        bytes("prompt_eval_count"), bytes("eval_count"), bytes("eval_duration"), bytes("prompt_eval_duration"),
        bytes("load_duration"), bytes("total_duration"), bytes("prompt_tokens"), bytes("completion_tokens"),
        bytes("input_tokens"), bytes("output_tokens"), bytes("prompt_n"), bytes("predicted_n"),
        bytes("prompt_ms"), bytes("predicted_ms"),
    };
    private static final int MAX_KEY = 24;

    // Lexer states.
    private static final int OUT = 0;
    private static final int IN_STRING = 1;
    private static final int ESCAPE = 2;
    private static final int AFTER_STRING = 3;
    private static final int BEFORE_VALUE = 4;
    private static final int NUMBER = 5;

    private final long startNanos;
    private final double[] values = new double[KEYS.length];
    private long seen; // bit i: field i was read

    private int state = OUT;
    private final byte[] key = new byte[MAX_KEY];
    private int keyLen;
    private int field = -1;
    private long intPart;
    private long fraction;
    private long fractionScale;
    private boolean inFraction;
    private boolean negative;
    private boolean badNumber;

    private long firstChunkNanos;
    private long lastChunkNanos;
    private long maxGapNanos;
    private int chunks;
    private boolean relayed;
    private boolean started;
    private boolean sse;
    private boolean newline;
    private boolean ndjson;

    /** @param startNanos when the request arrived ({@link System#nanoTime()}), the origin of TTFT */
    public TokenMeter(long startNanos) {
        this.startNanos = startNanos;
    }

    /**
     * One piece of response body as it passes ({@code body} is only read, its indexes untouched).
     *
     * @param streamed whether this response is relayed chunk by chunk; it counts as a stream (with
     *     TTFT and gaps) when its body is also framed as one: server-sent events or NDJSON
     */
    public void chunk(ByteBuf body, long nowNanos, boolean streamed) {
        int n = body.readableBytes();
        if (n == 0) {
            return;
        }
        this.relayed = streamed;
        if (chunks == 0) {
            firstChunkNanos = nowNanos;
        } else {
            maxGapNanos = Math.max(maxGapNanos, nowNanos - lastChunkNanos);
        }
        lastChunkNanos = nowNanos;
        chunks++;
        scan(body, body.readerIndex(), n);
    }

    /** Bytes copied out of a direct buffer per step (one scratch array per event-loop thread). */
    private static final int WINDOW = 4096;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[WINDOW];
        }
    };

    /** Runs the lexer over {@code n} bytes from {@code from}: the array itself, or copies of a direct buffer. */
    private void scan(ByteBuf body, int from, int n) {
        if (body.hasArray()) {
            int base = body.arrayOffset() + from;
            scan(body.array(), base, base + n);
            return;
        }
        byte[] window = SCRATCH.get();
        for (int done = 0; done < n; ) {
            int len = Math.min(window.length, n - done);
            body.getBytes(from + done, window, 0, len);
            scan(window, 0, len);
            done += len;
        }
    }

    /**
     * The lexer over an array. The common runs are taken whole in tight loops instead of byte by
     * byte through the state switch (whose mispredicted branches cost more than the bytes): the text
     * between strings, and a string that ends in this piece (copied as a key candidate when short
     * enough); the rest (a string cut by the piece's end, escapes, numbers) goes through {@link #step}.
     */
    private void scan(byte[] a, int i, int end) {
        if (!started && i < end) {
            started = true;
            byte b = a[i];
            sse = b == 'd' || b == 'e' || b == ':'; // "data:", "event:", a comment
        }
        while (i < end) {
            if (state == OUT) {
                // between strings: only a quote, a newline and '{' (NDJSON) change anything
                while (i < end) {
                    byte b = a[i];
                    if (b == '"' || b == '\n' || b == '{') {
                        break;
                    }
                    i++;
                    newline = false;
                }
                if (i == end) {
                    return;
                }
                if (a[i] != '"') {
                    out(a[i++]);
                    continue;
                }
                // a string starts: when it also ends in this piece, without escapes or a line break, take it whole
                int j = i + 1;
                while (j < end) {
                    byte b = a[j];
                    if (b == '"' || b == '\\' || b == '\n') {
                        break;
                    }
                    j++;
                }
                if (j < end && a[j] == '"') {
                    int len = j - i - 1;
                    if (len <= MAX_KEY) {
                        if (BY_LENGTH[len].length > 0) { // else no key of ours, whatever the bytes
                            System.arraycopy(a, i + 1, key, 0, len);
                        }
                        keyLen = len;
                    } else {
                        keyLen = MAX_KEY + 1;
                    }
                    newline = false;
                    state = AFTER_STRING;
                    i = j + 1;
                    // a key when a ':' follows: not one of ours (most) -> straight back to OUT
                    while (i < end && space(a[i])) {
                        i++;
                    }
                    if (i < end) {
                        if (a[i] == ':') {
                            field = match();
                            state = field < 0 ? OUT : BEFORE_VALUE;
                            i++;
                        } else {
                            state = OUT; // the next byte is read in OUT, as step() would
                        }
                    }
                    continue;
                }
                out(a[i++]); // cut, escaped or broken: byte by byte
                continue;
            }
            if (state == IN_STRING && keyLen > MAX_KEY) {
                // not a key of ours: only the string's end, an escape or a line break matter
                while (i < end) {
                    byte b = a[i];
                    if (b == '"' || b == '\\' || b == '\n') {
                        break;
                    }
                    i++;
                }
                if (i == end) {
                    return;
                }
            }
            step(a[i]);
            i++;
        }
    }

    /** {@link ByteProcessor}: one byte through the lexer (the bulk path is {@link #chunk}). */
    @Override
    public boolean process(byte b) {
        if (!started) {
            started = true;
            sse = b == 'd' || b == 'e' || b == ':';
        }
        step(b);
        return true;
    }

    private void step(byte b) {
        switch (state) {
            case OUT -> out(b);
            case IN_STRING -> {
                if (b == '"') {
                    state = AFTER_STRING;
                } else if (b == '\\') {
                    state = ESCAPE;
                    keyLen = MAX_KEY + 1; // an escaped key is none of ours
                } else if (b == '\n') {
                    state = OUT;
                } else if (keyLen < MAX_KEY) {
                    key[keyLen++] = b;
                } else {
                    keyLen = MAX_KEY + 1;
                }
            }
            case ESCAPE -> state = b == '\n' ? OUT : IN_STRING;
            case AFTER_STRING -> {
                if (b == ':') {
                    field = match();
                    state = field < 0 ? OUT : BEFORE_VALUE;
                } else if (!space(b)) {
                    state = OUT;
                    out(b);
                }
            }
            case BEFORE_VALUE -> {
                if ((b >= '0' && b <= '9') || b == '-') {
                    state = NUMBER;
                    intPart = 0;
                    fraction = 0;
                    fractionScale = 1;
                    inFraction = false;
                    badNumber = false;
                    negative = b == '-';
                    if (!negative) {
                        intPart = b - '0';
                    }
                } else if (!space(b)) {
                    state = OUT; // null, a string, an object: not a figure
                    out(b);
                }
            }
            case NUMBER -> {
                if (b >= '0' && b <= '9') {
                    if (inFraction) {
                        if (fractionScale < 1_000_000_000L) {
                            fraction = fraction * 10 + (b - '0');
                            fractionScale *= 10;
                        }
                    } else if (intPart < Long.MAX_VALUE / 10 - 10) {
                        intPart = intPart * 10 + (b - '0');
                    }
                } else if (b == '.') {
                    inFraction = true;
                } else if (b == 'e' || b == 'E' || b == '+') {
                    badNumber = true; // exponents: not how token counts or durations are written
                } else if (b == '-') {
                    badNumber = true;
                } else {
                    if (!badNumber && !negative) {
                        values[field] = intPart + (double) fraction / fractionScale;
                        seen |= 1L << field;
                    }
                    state = OUT;
                    out(b);
                }
            }
            default -> state = OUT;
        }
    }

    private void out(byte b) {
        if (b == '{' && newline) {
            ndjson = true; // a second JSON document on its own line
        }
        newline = b == '\n';
        if (b == '"') {
            state = IN_STRING;
            keyLen = 0;
        }
    }

    /** Field ids by key length (most keys of a body have a length none of ours has). */
    private static final int[][] BY_LENGTH = new int[MAX_KEY + 1][];
    static {
        for (int len = 0; len <= MAX_KEY; len++) {
            int n = 0;
            int[] ids = new int[KEYS.length];
            for (int i = 0; i < KEYS.length; i++) {
                if (KEYS[i].length == len) {
                    ids[n++] = i;
                }
            }
            BY_LENGTH[len] = java.util.Arrays.copyOf(ids, n);
        }
    }

    private int match() {
        if (keyLen > MAX_KEY) {
            return -1;
        }
        for (int i : BY_LENGTH[keyLen]) {
            if (java.util.Arrays.equals(KEYS[i], 0, keyLen, key, 0, keyLen)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean space(byte b) {
        return b == ' ' || b == '\t' || b == '\r';
    }

    private boolean has(int f) {
        return (seen & (1L << f)) != 0;
    }

    // ------------------------------------------------------------------ results

    /** Prompt (input) tokens the backend reported, or -1. */
    public long promptTokens() {
        if (has(PROMPT_EVAL_COUNT)) {
            return (long) values[PROMPT_EVAL_COUNT];
        }
        if (has(PROMPT_TOKENS)) {
            return (long) values[PROMPT_TOKENS];
        }
        if (has(INPUT_TOKENS)) {
            return (long) values[INPUT_TOKENS];
        }
        return has(PROMPT_N) ? (long) values[PROMPT_N] : -1;
    }

    /** Completion (output) tokens the backend reported, or -1. */
    public long completionTokens() {
        if (has(EVAL_COUNT)) {
            return (long) values[EVAL_COUNT];
        }
        if (has(COMPLETION_TOKENS)) {
            return (long) values[COMPLETION_TOKENS];
        }
        if (has(OUTPUT_TOKENS)) {
            return (long) values[OUTPUT_TOKENS];
        }
        return has(PREDICTED_N) ? (long) values[PREDICTED_N] : -1;
    }

    /**
     * Time spent generating the completion: the backend's own figure (Ollama {@code eval_duration},
     * llama.cpp {@code predicted_ms}), else measured by Olla (first to last chunk of a stream, or
     * the whole response when it came in one piece); 0 when unknown.
     */
    public long generationNanos(long endNanos) {
        if (has(EVAL_DURATION) && values[EVAL_DURATION] > 0) {
            return (long) values[EVAL_DURATION];
        }
        if (has(PREDICTED_MS) && values[PREDICTED_MS] > 0) {
            return (long) (values[PREDICTED_MS] * 1_000_000);
        }
        if (chunks == 0) {
            return 0;
        }
        if (streamed() && chunks > 1) {
            return lastChunkNanos - firstChunkNanos;
        }
        return Math.max(0, endNanos - startNanos);
    }

    /** Completion tokens per second of generation, or 0 when unknown. */
    public double tokensPerSecond(long endNanos) {
        long tokens = completionTokens();
        long nanos = generationNanos(endNanos);
        return tokens <= 0 || nanos <= 0 ? 0 : tokens * 1e9 / nanos;
    }

    /** Time to first token of a stream, measured by Olla from the request's arrival; -1 if not a stream. */
    public long ttftNanos() {
        return streamed() && chunks > 0 ? firstChunkNanos - startNanos : -1;
    }

    /** The longest pause between two chunks of a stream (ns); 0 with fewer than two chunks. */
    public long maxGapNanos() {
        return maxGapNanos;
    }

    /** Mean pause between chunks of a stream (ns); 0 with fewer than two chunks. */
    public long meanGapNanos() {
        return chunks > 1 ? (lastChunkNanos - firstChunkNanos) / (chunks - 1) : 0;
    }

    /** Relayed chunk by chunk and framed as events or NDJSON. */
    public boolean streamed() {
        return relayed && (sse || ndjson);
    }

    /** Body chunks seen. */
    public int chunks() {
        return chunks;
    }

    /** Backend-reported durations (Ollama, ns): prompt evaluation, model load, total; -1 when absent. */
    public long promptEvalNanos() {
        if (has(PROMPT_EVAL_DURATION)) {
            return (long) values[PROMPT_EVAL_DURATION];
        }
        return has(PROMPT_MS) ? (long) (values[PROMPT_MS] * 1_000_000) : -1;
    }

    public long loadNanos() {
        return has(LOAD_DURATION) ? (long) values[LOAD_DURATION] : -1;
    }

    public long totalNanos() {
        return has(TOTAL_DURATION) ? (long) values[TOTAL_DURATION] : -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
