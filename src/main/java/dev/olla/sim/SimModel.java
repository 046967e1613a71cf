package dev.olla.sim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model served by a {@link SimulatedBackend}.
 *
 * @param name           the model name as clients address it ({@code llama3.2:3b}, {@code qwen2.5-7b-instruct}, ...)
 * @param family         architecture family ({@code llama}, {@code qwen}, {@code bert}, ...)
 * @param parameterSize  human-readable size in Ollama's style ({@code 8.0B}, {@code 137M})
 * @param quantization   quantization level ({@code Q4_K_M}, {@code F16}, ...)
 * @param contextLength  context window in tokens
 * @param type           what the model does
 * @param loaded         whether the model is loaded in memory (Ollama {@code /api/ps}, LM Studio {@code state})
 */
public record SimModel(String name, String family, String parameterSize, String quantization, int contextLength,
                       Type type, boolean loaded) {

    /** Model type, with LM Studio's wire names. */
    public enum Type {
        LLM("llm"), EMBEDDINGS("embeddings"), VLM("vlm");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        /** The name LM Studio reports in {@code /api/v0/models} {@code type}. */
        public String wireName() {
            return wireName;
        }
    }

    private static final Pattern SIZE = Pattern.compile("(?i)(?<![a-z0-9.])(\\d+(?:\\.\\d+)?)([bm])(?![a-z0-9])");

    /** Validates and fills defaults for null or blank fields. */
    public SimModel {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("model name is blank");
        }
        if (type == null) {
            type = Type.LLM;
        }
        if (family == null || family.isBlank()) {
            family = guessFamily(name, type);
        }
        if (parameterSize == null || parameterSize.isBlank()) {
            parameterSize = guessSize(name, type);
        }
        if (quantization == null || quantization.isBlank()) {
            quantization = type == Type.EMBEDDINGS ? "F16" : "Q4_K_M";
        }
        if (contextLength <= 0) {
            contextLength = type == Type.EMBEDDINGS ? 2048 : 8192;
        }
    }

    /**
     * A loaded model with details guessed from its name: family from the leading letters, size from a
     * {@code 3b}/{@code 8B}/{@code 137m} part, type {@link Type#EMBEDDINGS} if the name mentions
     * {@code embed}, {@code minilm} or {@code bge}, {@link Type#VLM} for {@code llava}, {@code vision}, {@code -vl}.
     */
    public static SimModel of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        Type t = n.contains("embed") || n.contains("minilm") || n.contains("bge") ? Type.EMBEDDINGS
                : n.contains("llava") || n.contains("vision") || n.contains("-vl") ? Type.VLM : Type.LLM;
        return new SimModel(name, null, null, null, 0, t, true);
    }

    /** An embeddings model with details guessed from its name. */
    public static SimModel embedding(String name) {
        return of(name).withType(Type.EMBEDDINGS);
    }

    /** A copy with another {@code loaded} flag. */
    public SimModel withLoaded(boolean loaded) {
        return new SimModel(name, family, parameterSize, quantization, contextLength, type, loaded);
    }

    /** A copy with another type. */
    public SimModel withType(Type type) {
        return new SimModel(name, family, parameterSize, quantization, contextLength, type, loaded);
    }

    /** A copy with another context length. */
    public SimModel withContextLength(int contextLength) {
        return new SimModel(name, family, parameterSize, quantization, contextLength, type, loaded);
    }

    /** Parameter count derived from {@link #parameterSize()} ({@code 8.0B} = 8,000,000,000). */
    public long parameterCount() {
        String s = parameterSize.trim().toUpperCase(Locale.ROOT);
        double mult = s.endsWith("B") ? 1e9 : s.endsWith("M") ? 1e6 : s.endsWith("K") ? 1e3 : 1;
        try {
            return (long) (Double.parseDouble(s.replaceAll("[^0-9.]", "")) * mult);
        } catch (NumberFormatException e) {
            return 8_000_000_000L;
        }
    }

    /** Approximate file size in bytes from the parameter count and quantization. */
    public long sizeBytes() {
        String q = quantization.toUpperCase(Locale.ROOT);
        double bits = q.startsWith("F32") ? 32 : q.startsWith("F16") || q.startsWith("BF16") ? 16 : q.startsWith("Q8") ? 8.5
                : q.startsWith("Q6") ? 6.6 : q.startsWith("Q5") ? 5.7 : q.startsWith("Q3") ? 3.9 : q.startsWith("Q2") ? 3.0 : 4.85;
        return (long) (parameterCount() * bits / 8);
    }

    /** A stable 64-hex-digit digest derived from the name (Ollama's {@code digest}). */
    public String digest() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The publisher: the part before the first {@code /} of the name, else {@code lmstudio-community}. */
    public String publisher() {
        int slash = name.indexOf('/');
        return slash > 0 ? name.substring(0, slash) : "lmstudio-community";
    }

    private static String baseName(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private static String guessFamily(String name, Type type) {
        String n = baseName(name).toLowerCase(Locale.ROOT);
        if (type == Type.EMBEDDINGS && (n.contains("nomic") || n.contains("minilm") || n.contains("bge"))) {
            return n.contains("nomic") ? "nomic-bert" : "bert";
        }
        int i = 0;
        while (i < n.length() && Character.isLetter(n.charAt(i))) {
            i++;
        }
        return i == 0 ? "llama" : n.substring(0, i);
    }

    private static String guessSize(String name, Type type) {
        String n = baseName(name);
        int colon = n.indexOf(':');
        Matcher m = colon >= 0 ? SIZE.matcher(n.substring(colon + 1)) : null;
        if (m == null || !m.find()) {
            m = SIZE.matcher(colon >= 0 ? n.substring(0, colon) : n);
            if (!m.find()) {
                return type == Type.EMBEDDINGS ? "137M" : "8.0B";
            }
        }
        String num = m.group(1);
        String unit = m.group(2).toUpperCase(Locale.ROOT);
        if (unit.equals("B") && !num.contains(".")) {
            num = num + ".0";
        }
        return num + unit;
    }
}
