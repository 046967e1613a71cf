package dev.olla.config;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Validates {@code state} and {@code reload} and resolves the Redis password ({@code ${VAR}} in
 * {@code password}, or the contents of {@code password_file}), like endpoint credentials.
 */
final class StateValidation {
    static final java.util.List<String> TYPES = java.util.List.of("memory", "redis");

    private StateValidation() {}

    static OllaConfig.State validate(OllaConfig.State s, OllaConfig.Reload reload, Map<String, String> env,
            Path workingDir, Problems problems) {
        if (reload != null && reload.watch()) {
            Duration d = reload.watchInterval();
            if (d == null || d.compareTo(Duration.ofMillis(100)) < 0) {
                problems.error("reload.watch_interval", (d == null ? "unset" : GoDuration.format(d))
                        + " must be at least 100ms when reload.watch is on");
            }
        }
        if (s == null) {
            return null;
        }
        String type = s.type() == null ? "" : s.type().strip().toLowerCase(Locale.ROOT);
        if (!TYPES.contains(type)) {
            problems.error("state.type", TreeBinder.quote(String.valueOf(s.type())) + " is not one of "
                    + String.join(", ", TYPES));
            return s;
        }
        OllaConfig.Redis r = s.redis();
        if (!type.equals("redis") || r == null) {
            return new OllaConfig.State(type, r);
        }
        String url = r.url();
        if (url == null || url.isBlank()) {
            problems.error("state.redis.url", "required when state.type is redis (redis://host:6379/0)");
        } else {
            try {
                url = EndpointAuth.expand(url.strip(), env);
                URI u = new URI(url);
                if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme())) {
                    problems.error("state.redis.url", TreeBinder.quote(u.getScheme() + "://")
                            + " scheme is not one of redis://, rediss://");
                } else if (u.getHost() == null) {
                    problems.error("state.redis.url", "has no host");
                } else if (u.getUserInfo() != null && u.getUserInfo().contains(":")) {
                    problems.error("state.redis.url", "must not carry a password; use state.redis.password "
                            + "(${VAR}) or state.redis.password_file");
                }
            } catch (URISyntaxException | IllegalArgumentException e) {
                problems.error("state.redis.url", e.getMessage());
            }
        }
        String password = null;
        if (r.password() != null && r.passwordFile() != null) {
            problems.error("state.redis.password", "set either password or password_file, not both");
        } else if (r.password() != null) {
            try {
                password = EndpointAuth.expand(r.password(), env);
            } catch (IllegalArgumentException e) {
                problems.error("state.redis.password", e.getMessage());
            }
        } else if (r.passwordFile() != null) {
            Path p = Path.of(r.passwordFile().strip());
            if (!p.isAbsolute() && workingDir != null) {
                p = workingDir.resolve(p);
            }
            try {
                password = Files.readString(p, StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                problems.error("state.redis.password_file", "cannot read " + TreeBinder.quote(p.toString()) + ": "
                        + e.getClass().getSimpleName());
            }
        }
        if (r.keyPrefix() == null || r.keyPrefix().isBlank()) {
            problems.error("state.redis.key_prefix", "must not be empty (every key is namespaced by it)");
        }
        positive(problems, "state.redis.connect_timeout", r.connectTimeout());
        positive(problems, "state.redis.command_timeout", r.commandTimeout());
        positive(problems, "state.redis.retry_interval", r.retryInterval());
        if (r.commandTimeout() != null && r.commandTimeout().compareTo(Duration.ofSeconds(1)) > 0) {
            problems.warn("state.redis.command_timeout", GoDuration.format(r.commandTimeout())
                    + " is long: a slow Redis delays rate-limited requests by up to this much");
        }
        return new OllaConfig.State(type, new OllaConfig.Redis(url, r.username(), password, r.passwordFile(),
                r.keyPrefix(), r.connectTimeout(), r.commandTimeout(), r.retryInterval()));
    }

    private static void positive(Problems problems, String path, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            problems.error(path, (d == null ? "unset" : GoDuration.format(d)) + " must be greater than 0");
        }
    }
}
