package dev.olla.capacity;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parsers of what backends publish about their slots and loaded models. Each returns what its body
 * says and leaves the rest unknown (-1 / null); a body that is not what the backend sends throws
 * {@link IllegalArgumentException} with a short reason.
 */
public final class LoadParsers {
    private LoadParsers() {}

    /** Slot figures: total, busy and waiting (each -1 when unknown). */
    public record Slots(int total, int busy, int waiting) {
        public static final Slots UNKNOWN = new Slots(-1, -1, -1);
    }

    private static JsonNode json(String body) {
        try {
            return dev.olla.server.Json.tree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
    }

    /** llama.cpp {@code GET /slots}: one entry per slot, {@code is_processing} true while it serves a request. */
    public static Slots llamaCppSlots(String body) {
        JsonNode j = json(body);
        if (j == null || !j.isArray()) {
            throw new IllegalArgumentException("/slots is not a JSON array");
        }
        int busy = 0;
        for (JsonNode s : j) {
            if (s.path("is_processing").asBoolean(false)) {
                busy++;
            }
        }
        return new Slots(j.size(), busy, -1);
    }

    /** llama.cpp {@code GET /props}: {@code total_slots} and the served model ({@code model_alias}). */
    public record Props(int totalSlots, String modelAlias) {}

    public static Props llamaCppProps(String body) {
        JsonNode j = json(body);
        if (j == null || !j.isObject()) {
            throw new IllegalArgumentException("/props is not a JSON object");
        }
        JsonNode t = j.get("total_slots");
        String alias = j.path("model_alias").asText(null);
        if (alias == null || alias.isBlank()) {
            String path = j.path("model_path").asText("");
            alias = path.isBlank() ? null : path;
        }
        return new Props(t != null && t.canConvertToInt() ? t.asInt() : -1, alias);
    }

    /** Ollama {@code GET /api/ps}: the loaded models and when each will be unloaded. */
    public static Map<String, Instant> ollamaPs(String body) {
        JsonNode j = json(body);
        JsonNode models = j == null ? null : j.get("models");
        if (models == null || !models.isArray()) {
            throw new IllegalArgumentException("/api/ps has no \"models\" array");
        }
        Map<String, Instant> out = new LinkedHashMap<>();
        for (JsonNode m : models) {
            String name = m.path("name").asText(m.path("model").asText(""));
            if (!name.isEmpty()) {
                out.put(name, instant(m.path("expires_at").asText(null)));
            }
        }
        return out;
    }

    /** LM Studio {@code GET /api/v0/models}: models whose {@code state} is {@code loaded}. */
    public static Map<String, Instant> lmStudioModels(String body) {
        JsonNode j = json(body);
        JsonNode data = j == null ? null : j.get("data");
        if (data == null || !data.isArray()) {
            throw new IllegalArgumentException("/api/v0/models has no \"data\" array");
        }
        Map<String, Instant> out = new LinkedHashMap<>();
        for (JsonNode m : data) {
            if ("loaded".equals(m.path("state").asText()) && !m.path("id").asText("").isEmpty()) {
                out.put(m.path("id").asText(), null);
            }
        }
        return out;
    }

    /**
     * Prometheus text: the sums of the {@code running} and {@code waiting} gauges (over all label sets);
     * -1 for a gauge the text does not carry.
     */
    public static Slots prometheus(String body, String running, String waiting) {
        double r = -1;
        double w = -1;
        for (String line : body.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            String name = metricName(line);
            if (name.equals(running)) {
                r = Math.max(r, 0) + value(line);
            } else if (name.equals(waiting)) {
                w = Math.max(w, 0) + value(line);
            }
        }
        return new Slots(-1, r < 0 ? -1 : (int) Math.round(r), w < 0 ? -1 : (int) Math.round(w));
    }

    /** llama.cpp {@code /metrics}: {@code llamacpp:requests_processing} and {@code llamacpp:requests_deferred}. */
    public static Slots llamaCppMetrics(String body) {
        return prometheus(body, "llamacpp:requests_processing", "llamacpp:requests_deferred");
    }

    /** vLLM {@code /metrics}: {@code vllm:num_requests_running} and {@code vllm:num_requests_waiting}. */
    public static Slots vllmMetrics(String body) {
        return prometheus(body, "vllm:num_requests_running", "vllm:num_requests_waiting");
    }

    /** SGLang {@code /metrics}: {@code sglang:num_running_reqs} and {@code sglang:num_queue_reqs}. */
    public static Slots sglangMetrics(String body) {
        return prometheus(body, "sglang:num_running_reqs", "sglang:num_queue_reqs");
    }

    private static String metricName(String line) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
            end++;
        }
        return line.substring(0, end);
    }

    private static double value(String line) {
        int close = line.lastIndexOf('}');
        String rest = (close >= 0 ? line.substring(close + 1) : line.substring(metricName(line).length())).strip();
        int space = rest.indexOf(' ');
        String v = space >= 0 ? rest.substring(0, space) : rest;
        try {
            double d = Double.parseDouble(v);
            return Double.isFinite(d) ? d : 0;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad metric value in: " + line);
        }
    }

    private static Instant instant(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
