package dev.olla.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One line per finished request (server.request_logging), with flat key-value fields for JSON logs
 * ({@code method}, {@code path}, {@code status}, {@code endpoint}, {@code model}, {@code duration_ms},
 * {@code request_id}). Prometheus scrapes are not logged.
 */
final class RequestLog {
    private static final Logger LOG = LoggerFactory.getLogger("olla.request");
    /** Polled by Prometheus every few seconds: one line each would bury the real traffic. */
    static final String QUIET_PATH = "/internal/metrics";

    private RequestLog() {}

    static void log(Exchange ex) {
        if (!LOG.isInfoEnabled() || QUIET_PATH.equals(ex.path())) {
            return;
        }
        long micros = (System.nanoTime() - ex.startNanos()) / 1000;
        String endpoint = ex.endpointName();
        String model = ex.modelName();
        LoggingEventBuilder b = LOG.atInfo()
                .addKeyValue("method", ex.method().name())
                .addKeyValue("path", ex.path())
                .addKeyValue("status", ex.status());
        if (endpoint != null) {
            b = b.addKeyValue("endpoint", endpoint);
        }
        if (model != null) {
            b = b.addKeyValue("model", model);
        }
        b.addKeyValue("duration_ms", micros / 1000.0)
                .addKeyValue("request_id", ex.requestId())
                .log("{} {} {} endpoint={} {}ms", ex.method().name(), ex.path(), ex.status(),
                        endpoint == null ? "-" : endpoint, micros / 1000.0);
    }
}
