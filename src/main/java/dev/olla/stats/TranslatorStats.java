package dev.olla.stats;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code /internal/stats/translators}: per translator (today only {@code anthropic}) requests,
 * passthrough vs translated, streaming or not, why a request was translated instead of passed
 * through, success and latency. Counted when the response ends (a client that went away first is
 * not counted). Lock-free.
 */
public final class TranslatorStats {
    /** Why a request was translated rather than passed through. */
    public enum Fallback {
        NONE,
        /** No endpoint for the model speaks the API natively. */
        NO_COMPATIBLE_ENDPOINTS,
        /** Passthrough is switched off ({@code passthrough_enabled: false}). */
        TRANSLATOR_DOES_NOT_SUPPORT_PASSTHROUGH,
        /** The chosen endpoint answered that it lacks the path; the request was translated instead. */
        CANNOT_PASSTHROUGH
    }

    private final String name;
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder passthrough = new LongAdder();
    private final LongAdder streaming = new LongAdder();
    private final LongAdder latencyMicros = new LongAdder();
    private final LongAdder[] fallbacks = new LongAdder[Fallback.values().length];

    public TranslatorStats(String name) {
        this.name = name;
        for (int i = 0; i < fallbacks.length; i++) {
            fallbacks[i] = new LongAdder();
        }
    }

    /** One finished request. */
    public void record(boolean passedThrough, boolean stream, Fallback fallback, boolean success, long micros) {
        requests.increment();
        if (!success) {
            failures.increment();
        }
        if (passedThrough) {
            passthrough.increment();
        }
        if (stream) {
            streaming.increment();
        }
        fallbacks[fallback.ordinal()].increment();
        latencyMicros.add(micros);
    }

    /** The route's body for these translators. */
    public static Map<String, Object> snapshot(List<TranslatorStats> all) {
        List<Map<String, Object>> list = new java.util.ArrayList<>();
        long total = 0;
        long ok = 0;
        long pass = 0;
        long stream = 0;
        int active = 0;
        for (TranslatorStats t : all) {
            long n = t.requests.sum();
            long f = t.failures.sum();
            long p = t.passthrough.sum();
            long s = t.streaming.sum();
            total += n;
            ok += n - f;
            pass += p;
            stream += s;
            if (n > 0) {
                active++;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("translator_name", t.name);
            m.put("success_rate", n == 0 ? 0.0 : round(100.0 * (n - f) / n));
            m.put("passthrough_rate", n == 0 ? 0.0 : round(100.0 * p / n));
            m.put("average_latency", n == 0 ? 0.0 : round(t.latencyMicros.sum() / 1000.0 / n));
            m.put("total_requests", n);
            m.put("successful_requests", n - f);
            m.put("failed_requests", f);
            m.put("passthrough_requests", p);
            m.put("translation_requests", n - p);
            m.put("streaming_requests", s);
            m.put("non_streaming_requests", n - s);
            m.put("fallback_no_compatible_endpoints", t.fallbacks[Fallback.NO_COMPATIBLE_ENDPOINTS.ordinal()].sum());
            m.put("fallback_translator_does_not_support_passthrough",
                    t.fallbacks[Fallback.TRANSLATOR_DOES_NOT_SUPPORT_PASSTHROUGH.ordinal()].sum());
            m.put("fallback_cannot_passthrough", t.fallbacks[Fallback.CANNOT_PASSTHROUGH.ordinal()].sum());
            list.add(m);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("overall_success_rate", total == 0 ? 0.0 : round(100.0 * ok / total));
        summary.put("overall_passthrough_rate", total == 0 ? 0.0 : round(100.0 * pass / total));
        summary.put("total_translators", all.size());
        summary.put("active_translators", active);
        summary.put("total_requests", total);
        summary.put("total_passthrough", pass);
        summary.put("total_translations", total - pass);
        summary.put("total_streaming", stream);
        summary.put("total_non_streaming", total - stream);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", Instant.now().toString());
        body.put("translators", list);
        body.put("summary", summary);
        return body;
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
