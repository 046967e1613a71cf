package dev.olla.stats;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Token figures aggregated per model (the bounded keys of {@link ModelStats}) and per endpoint:
 * prompt and completion tokens, tokens per second (completion tokens over generation time),
 * time-to-first-token percentiles and inter-token gaps of streams (HdrHistogram). Lock-free;
 * recording allocates nothing once a model's or endpoint's row exists.
 */
public final class TokenStats {
    private static final long MAX_MICROS = 3_600_000_000L;

    private static final Tokens EMPTY = new Tokens();

    private final Map<String, Tokens> byModel = new ConcurrentHashMap<>();
    private final Map<String, Tokens> byEndpoint = new ConcurrentHashMap<>();

    /** One row of token figures. */
    public static final class Tokens {
        final LongAdder responses = new LongAdder();
        final LongAdder measured = new LongAdder();
        final LongAdder promptTokens = new LongAdder();
        final LongAdder completionTokens = new LongAdder();
        final LongAdder generationNanos = new LongAdder();
        final LongAdder streams = new LongAdder();
        final LongAdder gapNanos = new LongAdder();
        final LongAdder gapCount = new LongAdder();
        final ConcurrentHistogram ttftMicros = new ConcurrentHistogram(MAX_MICROS, 2);
        final ConcurrentHistogram maxGapMicros = new ConcurrentHistogram(MAX_MICROS, 2);
        final AtomicLong lastTokensPerSecondMilli = new AtomicLong();

        void add(TokenMeter m, long endNanos) {
            responses.increment();
            long prompt = m.promptTokens();
            long completion = m.completionTokens();
            if (prompt >= 0 || completion >= 0) {
                measured.increment();
            }
            if (prompt > 0) {
                promptTokens.add(prompt);
            }
            if (completion > 0) {
                completionTokens.add(completion);
                long gen = m.generationNanos(endNanos);
                if (gen > 0) {
                    generationNanos.add(gen);
                    lastTokensPerSecondMilli.setRelease((long) (completion * 1e12 / gen)); // display value, no fence
                }
            }
            long ttft = m.ttftNanos();
            if (ttft >= 0) {
                streams.increment();
                ttftMicros.recordValue(clamp(ttft / 1000));
                if (m.chunks() > 1) {
                    gapNanos.add(m.meanGapNanos() * (m.chunks() - 1));
                    gapCount.add(m.chunks() - 1);
                    maxGapMicros.recordValue(clamp(m.maxGapNanos() / 1000));
                }
            }
        }

        public long promptTokens() {
            return promptTokens.sum();
        }

        public long completionTokens() {
            return completionTokens.sum();
        }

        /** Completion tokens per second of generation over all responses with figures. */
        public double tokensPerSecond() {
            long nanos = generationNanos.sum();
            return nanos <= 0 ? 0 : completionTokens.sum() * 1e9 / nanos;
        }

        /** TTFT percentile in milliseconds (0 without streams). */
        public double ttftMillis(double percentile) {
            return streams.sum() == 0 ? 0 : ttftMicros.getValueAtPercentile(percentile) / 1000.0;
        }

        /** The JSON view used by the status and stats routes. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt_tokens", promptTokens.sum());
            m.put("completion_tokens", completionTokens.sum());
            m.put("tokens_per_second", round(tokensPerSecond()));
            m.put("last_tokens_per_second", round(lastTokensPerSecondMilli.get() / 1000.0));
            m.put("responses_with_usage", measured.sum());
            m.put("streams", streams.sum());
            m.put("ttft_p50_ms", round(ttftMillis(50)));
            m.put("ttft_p95_ms", round(ttftMillis(95)));
            m.put("ttft_p99_ms", round(ttftMillis(99)));
            long gaps = gapCount.sum();
            m.put("avg_inter_token_ms", gaps == 0 ? 0.0 : round(gapNanos.sum() / 1e6 / gaps));
            m.put("max_gap_p99_ms", gaps == 0 ? 0.0 : round(maxGapMicros.getValueAtPercentile(99) / 1000.0));
            return m;
        }
    }

    /** Records one finished response for {@code model} (a bounded key) on {@code endpoint} (may be null). */
    public void record(String model, String endpoint, TokenMeter meter, long endNanos) {
        if (meter.chunks() == 0) {
            return;
        }
        if (model != null) {
            row(byModel, model).add(meter, endNanos);
        }
        if (endpoint != null) {
            row(byEndpoint, endpoint).add(meter, endNanos);
        }
    }

    /** The row of a model, or null when nothing was recorded for it. */
    public Tokens model(String model) {
        return byModel.get(model);
    }

    /** The row of an endpoint, or null when nothing was recorded for it. */
    public Tokens endpoint(String endpoint) {
        return byEndpoint.get(endpoint);
    }

    /** The JSON view of a row, zeros when absent. */
    public static Map<String, Object> view(Tokens t) {
        return (t == null ? EMPTY : t).toMap();
    }

    private static Tokens row(Map<String, Tokens> map, String key) {
        Tokens t = map.get(key);
        return t != null ? t : map.computeIfAbsent(key, k -> new Tokens());
    }

    private static long clamp(long micros) {
        return Math.max(1, Math.min(micros, MAX_MICROS));
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
