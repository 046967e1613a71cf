package dev.olla.proxy;

import dev.olla.model.ModelRouting;
import dev.olla.server.Exchange;
import dev.olla.stats.ModelStats;
import dev.olla.stats.TokenMeter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A proxied request's statistics, recorded once when it ends. */
final class CallRecord {
    private static final Logger TOKENS = LoggerFactory.getLogger("olla.tokens");

    private final ProxyService service;
    private final Exchange ex;
    private final long startNanos;
    private boolean recorded;

    CallRecord(ProxyService service, Exchange ex, long startNanos) {
        this.service = service;
        this.ex = ex;
        this.startNanos = startNanos;
    }


    /**
     * Statistics once per request (client cancellations are not counted): per-model rows, token
     * figures per model and endpoint, the Prometheus series, and a debug line with the figures.
     */
    void record(String model, ModelRouting.Decision decision, TokenMeter meter, int backendStatus, boolean success,
            String endpoint, long bytes) {
        if (recorded) {
            return;
        }
        recorded = true;
        long end = System.nanoTime();
        long nanos = end - startNanos;
        String key = null;
        if (model != null) {
            ModelStats.Routing routing = decision == null ? ModelStats.Routing.NONE
                    : switch (decision.action()) {
                        case "routed" -> ModelStats.Routing.HIT;
                        case "fallback" -> ModelStats.Routing.FALLBACK;
                        default -> ModelStats.Routing.MISS;
                    };
            key = service.modelStats().record(model, endpoint, success, bytes, nanos / 1000, ex.clientIp(), routing);
        }
        service.modelStats().tokens().record(key, endpoint, meter, end);
        int status = backendStatus != 0 ? backendStatus : ex.status();
        service.metrics().record(endpoint, key, success || status < 500 ? status : 502, nanos, meter, end);
        if (TOKENS.isDebugEnabled()) {
            TOKENS.atDebug()
                    .addKeyValue("request_id", ex.requestId())
                    .addKeyValue("endpoint", endpoint)
                    .addKeyValue("model", model)
                    .addKeyValue("status", status)
                    .addKeyValue("prompt_tokens", meter.promptTokens())
                    .addKeyValue("completion_tokens", meter.completionTokens())
                    .addKeyValue("tokens_per_second", Math.round(meter.tokensPerSecond(end) * 100) / 100.0)
                    .addKeyValue("ttft_ms", meter.ttftNanos() < 0 ? -1 : meter.ttftNanos() / 1e6)
                    .addKeyValue("duration_ms", nanos / 1e6)
                    .log("request completed: model={} endpoint={} prompt_tokens={} completion_tokens={} "
                            + "tokens/s={} ttft_ms={}", model, endpoint, meter.promptTokens(), meter.completionTokens(),
                            Math.round(meter.tokensPerSecond(end) * 100) / 100.0,
                            meter.ttftNanos() < 0 ? "-" : Math.round(meter.ttftNanos() / 1e4) / 100.0);
        }
    }
}
