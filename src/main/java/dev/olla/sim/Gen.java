package dev.olla.sim;

import java.util.concurrent.ThreadLocalRandom;

/** One generation: what a completion request asked for and when it ran. Confined to one event loop. */
final class Gen {
    enum Kind { CHAT, COMPLETION, OLLAMA_CHAT, OLLAMA_GENERATE }

    private static final char[] ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    final SimFlavor flavor;
    final Kind kind;
    final SimModel model;
    /** The model name written in responses. */
    final String modelName;
    final String id;
    final long created;
    final int promptTokens;
    final int n;
    final String finishReason;
    final boolean includeUsage;
    /** LM Studio {@code /api/v0/*}: responses carry {@code stats}, {@code model_info}, {@code runtime}. */
    final boolean lmStudioV0;
    final long startNanos = System.nanoTime();
    /** The role-only chunk has been sent (with the headers, or by a fault); it is not sent twice. */
    boolean roleSent;
    long firstTokenNanos;
    /** StreamWire's token event around the text (before, after), made on the first later token; empty = none. */
    byte[][] tokenTemplate;
    long endNanos;

    Gen(SimFlavor flavor, Kind kind, SimModel model, String modelName, int promptTokens, int n, String finishReason,
        boolean includeUsage, boolean lmStudioV0) {
        this.flavor = flavor;
        this.kind = kind;
        this.model = model;
        this.modelName = modelName;
        this.promptTokens = promptTokens;
        this.n = n;
        this.finishReason = finishReason;
        this.includeUsage = includeUsage;
        this.lmStudioV0 = lmStudioV0;
        this.created = System.currentTimeMillis() / 1000;
        this.id = newId(flavor, kind);
    }

    private static String newId(SimFlavor flavor, Kind kind) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        if (flavor == SimFlavor.OLLAMA) {
            return (kind == Kind.COMPLETION ? "cmpl-" : "chatcmpl-") + r.nextInt(1000);
        }
        String prefix = kind == Kind.COMPLETION && flavor != SimFlavor.LLAMACPP ? "cmpl-" : "chatcmpl-";
        return prefix + randomAlnum(flavor == SimFlavor.VLLM ? 32 : flavor == SimFlavor.LLAMACPP ? 32 : 29);
    }

    static String randomAlnum(int len) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            c[i] = ALNUM[r.nextInt(ALNUM.length)];
        }
        return new String(c);
    }

    int totalTokens() {
        return promptTokens + n;
    }

    /** Nanoseconds spent generating (first token to end), at least 1 µs per token. */
    long genNanos() {
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        long first = firstTokenNanos != 0 ? firstTokenNanos : startNanos;
        return Math.max(Math.max(1, n) * 1_000L, end - first);
    }

    /** Nanoseconds "spent" on the prompt: 20 µs a token, synthetic. */
    long promptNanos() {
        return Math.max(1, promptTokens) * 20_000L;
    }

    long totalNanos() {
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        return Math.max(end - startNanos, genNanos()) + promptNanos();
    }
}
