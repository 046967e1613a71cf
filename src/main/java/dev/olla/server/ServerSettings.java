package dev.olla.server;

import dev.olla.config.OllaConfig;
import java.time.Duration;

/** The server limits and timeouts the connection handler needs, resolved from configuration. */
public record ServerSettings(
        long maxBodySize,
        int maxHeaderSize,
        Duration readHeaderTimeout,
        Duration readTimeout,
        Duration idleTimeout,
        boolean requestLogging,
        /* How long a response may make no progress towards a client that stopped reading (0 = no limit). */
        Duration writeTimeout) {

    public static ServerSettings from(OllaConfig.Server s) {
        long header = s.requestLimits().maxHeaderSize();
        int maxHeader = header <= 0 ? 1 << 20 : (int) Math.max(4096, Math.min(header, Integer.MAX_VALUE));
        Duration rht = s.readHeaderTimeout().isZero() ? Duration.ofSeconds(10) : s.readHeaderTimeout();
        // Go semantics: an idle keep-alive connection waits idle_timeout, or read_timeout when that is 0.
        Duration idle = !s.idleTimeout().isZero() ? s.idleTimeout() : s.readTimeout();
        return new ServerSettings(s.requestLimits().maxBodySize(), maxHeader, rht, s.readTimeout(), idle,
                s.requestLogging(), s.writeTimeout() == null ? Duration.ZERO : s.writeTimeout());
    }
}
