package dev.olla.model;

import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Normalisation and inference of model metadata: quantisation spellings, digests, family and
 * parameter size guessed from names, and capabilities from profile patterns plus backend type info.
 */
public final class ModelMeta {
    private ModelMeta() {}

    public static final String CAP_CHAT = "chat";
    public static final String CAP_COMPLETION = "completion";
    public static final String CAP_TEXT_GENERATION = "text-generation";
    public static final String CAP_EMBEDDING = "embedding";
    public static final String CAP_VISION = "vision";
    public static final String CAP_CODE = "code";

    public static final String TYPE_LLM = "llm";
    public static final String TYPE_VLM = "vlm";
    public static final String TYPE_EMBEDDINGS = "embeddings";

    private static final Pattern LLAMA_FTYPE = Pattern.compile("(?:MOSTLY)?(Q\\d)_K-(SMALL|MEDIUM|LARGE|S|M|L)");
    private static final Pattern COMPACT_K = Pattern.compile("Q(\\d)K([SML]?)");
    private static final Pattern COMPACT_LEGACY = Pattern.compile("Q(\\d)([01])");
    private static final Pattern SIZE_IN_NAME =
            Pattern.compile("(?i)(?<![a-z0-9.])(\\d+(?:\\.\\d+)?)([bm])(?![a-z0-9])");
    private static final Pattern PARAM_SIZE = Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*([kmbt]?)\\s*");

    /**
     * A quantisation level in its canonical spelling: upper-case with underscores ({@code Q4_K_M},
     * {@code Q8_0}, {@code F16}). Accepts Ollama's {@code Q4_K_M}, lower/compact forms ({@code q4km},
     * {@code q4_k_m}) and llama.cpp's {@code ftype} ({@code Q4_K - Medium}, {@code all F32}). Null for blank.
     */
    public static String normalizeQuantization(String q) {
        if (q == null || q.isBlank()) {
            return null;
        }
        String u = q.strip().toUpperCase(Locale.ROOT).replace(" ", "");
        if (u.startsWith("ALL")) {
            u = u.substring(3);
        }
        if (u.startsWith("MOSTLY")) {
            u = u.substring(6);
        }
        Matcher m = LLAMA_FTYPE.matcher(u);
        if (m.matches()) {
            return m.group(1) + "_K_" + m.group(2).charAt(0);
        }
        m = COMPACT_K.matcher(u);
        if (m.matches()) {
            return "Q" + m.group(1) + "_K" + (m.group(2).isEmpty() ? "" : "_" + m.group(2));
        }
        m = COMPACT_LEGACY.matcher(u);
        if (m.matches()) {
            return "Q" + m.group(1) + "_" + m.group(2);
        }
        return u.replace('-', '_');
    }

    /** A digest without {@code sha256:}, lower-case; null for blank. */
    public static String normalizeDigest(String d) {
        if (d == null || d.isBlank()) {
            return null;
        }
        String s = d.strip().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        if (colon >= 0 && colon < 10) {
            s = s.substring(colon + 1);
        }
        return s.isEmpty() ? null : s;
    }

    /** The model name without an organisation prefix ({@code meta-llama/}) and without an Ollama tag. */
    static String baseName(String name) {
        String n = name.substring(name.lastIndexOf('/') + 1);
        int colon = n.indexOf(':');
        return colon > 0 ? n.substring(0, colon) : n;
    }

    /** A family guessed from the name: its leading letters ({@code Llama-3.1-8B} -> {@code llama}), or null. */
    public static String guessFamily(String name) {
        if (name == null) {
            return null;
        }
        String n = baseName(name).toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < n.length() && Character.isLetter(n.charAt(i))) {
            i++;
        }
        return i < 2 ? null : n.substring(0, i);
    }

    /**
     * A parameter size found in the name ({@code llama3.2:3b} -> {@code 3B}, {@code Llama-3.1-8B} ->
     * {@code 8B}); the Ollama tag is tried first. Null if none.
     */
    public static String guessParameterSize(String name) {
        if (name == null) {
            return null;
        }
        String n = name.substring(name.lastIndexOf('/') + 1);
        int colon = n.indexOf(':');
        Matcher m = null;
        if (colon >= 0) {
            m = SIZE_IN_NAME.matcher(n.substring(colon + 1));
            if (!m.find()) {
                m = null;
            }
        }
        if (m == null) {
            m = SIZE_IN_NAME.matcher(colon >= 0 ? n.substring(0, colon) : n);
            if (!m.find()) {
                return null;
            }
        }
        return m.group(1) + m.group(2).toUpperCase(Locale.ROOT);
    }

    /** {@code 8.0B} -> 8,000,000,000; 0 when not parseable. */
    public static long parameterCount(String parameterSize) {
        if (parameterSize == null) {
            return 0;
        }
        Matcher m = PARAM_SIZE.matcher(parameterSize);
        if (!m.matches()) {
            return 0;
        }
        double v = Double.parseDouble(m.group(1));
        double mult = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 1e3;
            case "M" -> 1e6;
            case "B" -> 1e9;
            case "T" -> 1e12;
            default -> 1;
        };
        return (long) (v * mult);
    }

    /** A parameter count in Ollama's style: 8,030,261,248 -> {@code 8.0B}; null for {@code <= 0}. */
    public static String formatParameterCount(long n) {
        if (n <= 0) {
            return null;
        }
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return Math.round(n / 1e6) + "M";
        }
        return Math.round(n / 1e3) + "K";
    }

    /**
     * What one endpoint's copy of a model can do: {@code embedding}, or {@code text-generation},
     * {@code chat}, {@code completion} plus {@code vision}/{@code code} when the backend's type or the
     * profile's capability patterns say so.
     */
    public static List<String> capabilities(Profile profile, DiscoveredModel m) {
        Set<String> byPattern = ProfileRegistry.capabilitiesFor(profile, m.name());
        List<String> out = new ArrayList<>(5);
        if (isEmbedding(m, byPattern)) {
            out.add(CAP_EMBEDDING);
            return out;
        }
        out.add(CAP_TEXT_GENERATION);
        out.add(CAP_CHAT);
        out.add(CAP_COMPLETION);
        if (TYPE_VLM.equals(m.type()) || byPattern.contains("vision") || hasFamily(m, "clip", "mllama")) {
            out.add(CAP_VISION);
        }
        if (byPattern.contains("code")) {
            out.add(CAP_CODE);
        }
        return out;
    }

    private static boolean isEmbedding(DiscoveredModel m, Set<String> byPattern) {
        if (m.type() != null) {
            return TYPE_EMBEDDINGS.equals(m.type());
        }
        return byPattern.contains("embeddings") || byPattern.contains("embedding") || hasFamily(m, "bert")
                || m.name().toLowerCase(Locale.ROOT).contains("embed");
    }

    private static boolean hasFamily(DiscoveredModel m, String... needles) {
        List<String> all = new ArrayList<>(m.families());
        if (m.family() != null) {
            all.add(m.family());
        }
        for (String f : all) {
            String lf = f.toLowerCase(Locale.ROOT);
            for (String n : needles) {
                if (lf.contains(n)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The model type from capabilities when the backend did not state one. */
    public static String typeFor(String explicit, List<String> capabilities) {
        if (explicit != null) {
            return explicit;
        }
        if (capabilities.contains(CAP_EMBEDDING)) {
            return TYPE_EMBEDDINGS;
        }
        return capabilities.contains(CAP_VISION) ? TYPE_VLM : TYPE_LLM;
    }
}
