package dev.olla.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per finished request (server.request_logging). */
final class RequestLog {
    private static final Logger LOG = LoggerFactory.getLogger("olla.request");

    private RequestLog() {}

    static void log(Exchange ex) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        long micros = (System.nanoTime() - ex.startNanos()) / 1000;
        String endpoint = ex.endpointName() == null ? "-" : ex.endpointName();
        LOG.atInfo()
                .addKeyValue("method", ex.method().name())
                .addKeyValue("path", ex.path())
                .addKeyValue("status", ex.status())
                .addKeyValue("endpoint", endpoint)
                .addKeyValue("duration_ms", micros / 1000.0)
                .addKeyValue("request_id", ex.requestId())
                .log("{} {} {} endpoint={} {}ms", ex.method().name(), ex.path(), ex.status(), endpoint,
                        micros / 1000.0);
    }
}
