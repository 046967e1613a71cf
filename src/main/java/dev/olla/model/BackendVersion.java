package dev.olla.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version a backend reports about itself, and comparison against a profile's {@code min_version}
 * ({@code anthropic_support.min_version}: Ollama {@code 0.14.0}, vLLM {@code 0.11.1}, llama.cpp {@code b4847}).
 *
 * <p>Where each server type says its version: Ollama {@code GET /api/version} ({@code version}); vLLM,
 * vLLM-MLX, SGLang {@code GET /version} ({@code version}); llama.cpp {@code GET /props} ({@code build_info},
 * e.g. {@code b10587-3f545becc}). Other types report none (their minimum is not checked; a passthrough
 * that the backend answers 404/405/501 still falls back to translation).
 */
public final class BackendVersion {
    private static final Pattern NUMBERS = Pattern.compile("\\d+");
    private static final Pattern BUILD = Pattern.compile("^b(\\d+)");

    private BackendVersion() {
    }

    /** The version path of a profile type, or null when the type reports none. */
    public static String pathFor(String type) {
        if (type == null) {
            return null;
        }
        return switch (type) {
            case "ollama" -> "/api/version";
            case "vllm", "vllm-mlx", "sglang" -> "/version";
            case "llamacpp" -> "/props";
            default -> null;
        };
    }

    /** The version in a version path's JSON answer, or null. */
    public static String parse(String type, JsonNode body) {
        if (body == null || !body.isObject()) {
            return null;
        }
        JsonNode v = "llamacpp".equals(type) ? body.get("build_info") : body.get("version");
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText().trim() : null;
    }

    /**
     * True when {@code version} is at least {@code minimum}. Unknown (null) versions or minimums count
     * as satisfying it. Versions compare by their numbers in order ({@code 0.14.0 > 0.12.6},
     * {@code v0.11.1 > 0.11.0rc1}); llama.cpp builds by build number ({@code b10587 > b4847}).
     */
    public static boolean atLeast(String version, String minimum) {
        if (version == null || minimum == null || minimum.isBlank()) {
            return true;
        }
        Matcher vb = BUILD.matcher(version.trim());
        Matcher mb = BUILD.matcher(minimum.trim());
        if (mb.find()) {
            return !vb.find() || Long.parseLong(vb.group(1)) >= Long.parseLong(mb.group(1));
        }
        List<Long> v = numbers(version);
        List<Long> m = numbers(minimum);
        if (v.isEmpty()) {
            return true;
        }
        for (int i = 0; i < Math.max(v.size(), m.size()); i++) {
            long a = i < v.size() ? v.get(i) : 0;
            long b = i < m.size() ? m.get(i) : 0;
            if (a != b) {
                return a > b;
            }
        }
        return true;
    }

    private static List<Long> numbers(String s) {
        List<Long> out = new ArrayList<>(4);
        // only the release part: 0.11.0rc1 -> 0.11.0, 0.14.0-rc2 -> 0.14.0
        String release = s.trim().replaceFirst("^[vV]", "");
        int cut = 0;
        while (cut < release.length() && (Character.isDigit(release.charAt(cut)) || release.charAt(cut) == '.')) {
            cut++;
        }
        Matcher m = NUMBERS.matcher(release.substring(0, cut));
        while (m.find() && out.size() < 4) {
            try {
                out.add(Long.parseLong(m.group()));
            } catch (NumberFormatException e) {
                break;
            }
        }
        return out;
    }
}
