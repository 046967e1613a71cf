package dev.olla;

import dev.olla.config.OllaConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which configuration keys a reload cannot change: the listen address and the per-connection
 * server settings (fixed when the port was bound), {@code state} (the Redis connection),
 * {@code reload} and {@code logging}. Everything else applies live.
 */
final class Reloads {
    static final List<String> RESTART_ONLY = List.of("server.host", "server.port", "server.read_timeout",
            "server.read_header_timeout", "server.write_timeout", "server.idle_timeout", "server.shutdown_timeout",
            "server.request_logging", "server.request_limits", "state", "reload", "logging");

    private Reloads() {}

    /** The restart-only keys whose value differs in {@code next}. */
    static List<String> restartOnlyChanges(OllaConfig running, OllaConfig next) {
        OllaConfig.Server a = running.server();
        OllaConfig.Server b = next.server();
        List<String> changed = new ArrayList<>();
        check(changed, "server.host", a.host(), b.host());
        check(changed, "server.port", a.port(), b.port());
        check(changed, "server.read_timeout", a.readTimeout(), b.readTimeout());
        check(changed, "server.read_header_timeout", a.readHeaderTimeout(), b.readHeaderTimeout());
        check(changed, "server.write_timeout", a.writeTimeout(), b.writeTimeout());
        check(changed, "server.idle_timeout", a.idleTimeout(), b.idleTimeout());
        check(changed, "server.shutdown_timeout", a.shutdownTimeout(), b.shutdownTimeout());
        check(changed, "server.request_logging", a.requestLogging(), b.requestLogging());
        check(changed, "server.request_limits", a.requestLimits(), b.requestLimits());
        check(changed, "state", running.state(), next.state());
        check(changed, "reload", running.reload(), next.reload());
        check(changed, "logging", running.logging(), next.logging());
        return changed;
    }

    private static void check(List<String> changed, String key, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            changed.add(key);
        }
    }

    /** {@code next} with every restart-only key set back to its running value. */
    static OllaConfig keepRestartOnly(OllaConfig running, OllaConfig next) {
        OllaConfig.Server a = running.server();
        OllaConfig.Server b = next.server();
        OllaConfig.Server server = new OllaConfig.Server(a.host(), a.port(), a.readTimeout(), a.readHeaderTimeout(),
                a.writeTimeout(), a.idleTimeout(), a.shutdownTimeout(), a.requestLogging(), a.requestLimits(),
                b.rateLimits(), b.cors());
        return new OllaConfig(server, next.proxy(), next.discovery(), next.modelRegistry(), next.modelAliases(),
                next.translators(), running.logging(), next.engineering(), next.dashboard(), running.state(),
                running.reload());
    }
}
