package dev.olla.config;

import dev.olla.config.OllaConfig.Discovery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Semantic validation of a bound configuration. Collects every problem (one line each, naming the key
 * path, the bad value and what is allowed) and finishes the endpoints: default names, duplicate URLs
 * collapsed (later entry wins, with a warning), auth and header values resolved.
 */
final class ConfigValidator {

    static final List<String> LOG_LEVELS = List.of("debug", "info", "warn", "error");
    static final List<String> LOG_FORMATS = List.of("json", "text");
    static final List<String> LOG_OUTPUTS = List.of("stdout", "file");
    static final List<String> STICKY_KEY_SOURCES = List.of("session_header", "prefix_hash", "auth_header", "ip");
    static final long MAX_MESSAGE_SIZE_LIMIT = 100L * 1024 * 1024;
    private static final Set<String> SYSTEM_DIRS = Set.of("/", "/etc", "/usr", "/bin", "/sbin", "/boot", "/dev",
            "/proc", "/sys", "/lib", "/lib64", "/var", "/root", "/opt", "/srv");

    private final Problems problems;
    private final Set<String> knownTypes;
    private final Map<String, String> env;
    private final Path workingDir;

    ConfigValidator(Problems problems, Set<String> knownTypes, Map<String, String> env, Path workingDir) {
        this.problems = problems;
        this.knownTypes = new TreeSet<>();
        knownTypes.forEach(t -> this.knownTypes.add(t.toLowerCase(Locale.ROOT)));
        this.env = env;
        this.workingDir = workingDir;
    }

    // ------------------------------------------------------------------ logging (used on the tree)

    /** Canonical logging value or null when invalid; {@code warning} is read as {@code warn}. */
    static String normaliseLogging(String path, String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        if (path.endsWith(".level") && v.equals("warning")) {
            v = "warn";
        }
        return loggingValues(path).contains(v) ? v : null;
    }

    static String loggingAllowed(String path) {
        return String.join(", ", loggingValues(path));
    }

    private static List<String> loggingValues(String path) {
        if (path.endsWith(".level")) {
            return LOG_LEVELS;
        }
        return path.endsWith(".format") ? LOG_FORMATS : LOG_OUTPUTS;
    }

    // ------------------------------------------------------------------ whole config

    OllaConfig validate(OllaConfig c) {
        if (c == null) {
            return null;
        }
        server(c.server());
        proxy(c.proxy());
        Discovery discovery = discovery(c.discovery());
        modelRegistry(c.modelRegistry());
        aliases(c.modelAliases());
        translators(c.translators());
        dashboard(c.dashboard());
        OllaConfig.State state = StateValidation.validate(c.state(), c.reload(), env, workingDir, problems);
        return new OllaConfig(c.server(), c.proxy(), discovery, c.modelRegistry(), c.modelAliases(),
                c.translators(), c.logging(), c.engineering(), c.dashboard(), state, c.reload());
    }

    private void server(OllaConfig.Server s) {
        if (s == null) {
            return;
        }
        if (s.port() < 1 || s.port() > 65535) {
            problems.error("server.port", s.port() + " out of range 1-65535");
        }
        notNegative(problems, "server.read_timeout", s.readTimeout());
        notNegative(problems, "server.read_header_timeout", s.readHeaderTimeout());
        notNegative(problems, "server.write_timeout", s.writeTimeout());
        notNegative(problems, "server.idle_timeout", s.idleTimeout());
        notNegative(problems, "server.shutdown_timeout", s.shutdownTimeout());
        if (s.writeTimeout() != null && s.writeTimeout().compareTo(Duration.ZERO) > 0
                && s.writeTimeout().compareTo(Duration.ofSeconds(1)) < 0) {
            problems.warn("server.write_timeout", GoDuration.format(s.writeTimeout())
                    + " is very short: a client that pauses reading this long is disconnected");
        }
        if (s.requestLimits() != null) {
            notNegative(problems, "server.request_limits.max_body_size", s.requestLimits().maxBodySize());
            notNegative(problems, "server.request_limits.max_header_size", s.requestLimits().maxHeaderSize());
        }
        OllaConfig.RateLimits r = s.rateLimits();
        if (r != null) {
            notNegative(problems, "server.rate_limits.global_requests_per_minute", r.globalRequestsPerMinute());
            notNegative(problems, "server.rate_limits.per_ip_requests_per_minute", r.perIpRequestsPerMinute());
            notNegative(problems, "server.rate_limits.health_requests_per_minute", r.healthRequestsPerMinute());
            notNegative(problems, "server.rate_limits.burst_size", r.burstSize());
            if (r.burstSize() == 0 && !problems.hasFailed("server.rate_limits.burst_size")) {
                problems.warn("server.rate_limits.burst_size", "0 allows no burst above the per-minute rates");
            }
            positive(problems, "server.rate_limits.cleanup_interval", r.cleanupInterval(), "");
            cidrs(problems, "server.rate_limits.trusted_proxy_cidrs", r.trustedProxyCidrs());
        }
        OllaConfig.Cors cors = s.cors();
        if (cors != null) {
            if (cors.maxAge() < 0) {
                problems.error("server.cors.max_age", cors.maxAge() + " must be >= 0");
            }
            boolean wildcard = cors.allowedOrigins().stream().anyMatch(o -> o.strip().equals("*"));
            if (cors.allowCredentials() && wildcard) {
                if (cors.enabled()) {
                    problems.error("server.cors.allow_credentials", "true is not allowed together with "
                            + "allowed_origins \"*\" (browsers reject it); list the allowed origins explicitly");
                } else {
                    problems.warn("server.cors.allow_credentials", "true together with allowed_origins \"*\" "
                            + "would be rejected if CORS were enabled");
                }
            }
            if (cors.enabled() && cors.allowedOrigins().isEmpty()) {
                problems.error("server.cors.allowed_origins", "must not be empty when CORS is enabled");
            }
            notBlank(problems, "server.cors.allowed_origins", cors.allowedOrigins());
            notBlank(problems, "server.cors.allowed_methods", cors.allowedMethods());
            notBlank(problems, "server.cors.allowed_headers", cors.allowedHeaders());
            notBlank(problems, "server.cors.exposed_headers", cors.exposedHeaders());
        }
    }

    private void proxy(OllaConfig.Proxy p) {
        if (p == null) {
            return;
        }
        notNegative(problems, "proxy.stream_buffer_size", p.streamBufferSize());
        notNegative(problems, "proxy.connection_timeout", p.connectionTimeout());
        notNegative(problems, "proxy.connection_keep_alive", p.connectionKeepAlive());
        notNegative(problems, "proxy.response_timeout", p.responseTimeout());
        notNegative(problems, "proxy.read_timeout", p.readTimeout());
        notNegative(problems, "proxy.response_header_timeout", p.responseHeaderTimeout());
        notNegative(problems, "proxy.tls_handshake_timeout", p.tlsHandshakeTimeout());
        if (p.panicThreshold() < 0 || p.panicThreshold() > 100) {
            problems.error("proxy.panic_threshold", p.panicThreshold() + " must be between 0 and 100 (percent)");
        }
        notNegative(problems, "proxy.consecutive_5xx", p.consecutive5xx());
        notNegative(problems, "proxy.max_response_buffer", p.maxResponseBuffer());
        notNegative(problems, "proxy.max_connections_per_endpoint", p.maxConnectionsPerEndpoint());
        if (p.retry() != null) {
            notNegative(problems, "proxy.retry.max_attempts", p.retry().maxAttempts());
        }
        OllaConfig.StickySessions st = p.stickySessions();
        if (st != null) {
            notNegative(problems, "proxy.sticky_sessions.idle_ttl_seconds", st.idleTtlSeconds());
            if (st.maxSessions() <= 0) {
                problems.error("proxy.sticky_sessions.max_sessions", st.maxSessions() + " must be greater than 0");
            }
            if (st.prefixHashBytes() <= 0) {
                problems.error("proxy.sticky_sessions.prefix_hash_bytes", st.prefixHashBytes() + " must be greater than 0");
            }
            for (int i = 0; i < st.keySources().size(); i++) {
                String src = st.keySources().get(i);
                if (!STICKY_KEY_SOURCES.contains(src)) {
                    problems.error("proxy.sticky_sessions.key_sources[" + i + "]", TreeBinder.quote(src)
                            + " is not one of " + String.join(", ", STICKY_KEY_SOURCES));
                }
            }
        }
        filter(problems, "proxy.profile_filter", p.profileFilter());
        OllaConfig.Capacity cap = p.capacity();
        if (cap != null && cap.enabled()) {
            if (cap.pollInterval() == null || cap.pollInterval().compareTo(Duration.ofMillis(100)) < 0) {
                problems.error("proxy.capacity.poll_interval", GoDuration.format(cap.pollInterval()) + " must be at least 100ms");
            }
            if (cap.pollTimeout() == null || cap.pollTimeout().compareTo(Duration.ZERO) <= 0) {
                problems.error("proxy.capacity.poll_timeout", GoDuration.format(cap.pollTimeout()) + " must be greater than 0");
            }
        }
        OllaConfig.Queue q = p.queue();
        if (q != null && q.enabled()) {
            if (q.maxSize() < 1) {
                problems.error("proxy.queue.max_size", q.maxSize() + " must be at least 1");
            }
            if (q.timeout() == null || q.timeout().compareTo(Duration.ZERO) <= 0) {
                problems.error("proxy.queue.timeout", GoDuration.format(q.timeout()) + " must be greater than 0");
            }
            notNegative(problems, "proxy.queue.keep_alive_interval", q.keepAliveInterval());
        }
        notNegative(problems, "proxy.first_token_timeout", p.firstTokenTimeout());
        notNegative(problems, "proxy.sse_keepalive_interval", p.sseKeepaliveInterval());
    }

    private Discovery discovery(Discovery d) {
        if (d == null) {
            return null;
        }
        if (d.type() == null || !d.type().strip().equalsIgnoreCase("static")) {
            problems.error("discovery.type", TreeBinder.quote(String.valueOf(d.type())) + " is not one of static");
        }
        notNegative(problems, "discovery.refresh_interval", d.refreshInterval());
        if (d.healthCheck() != null) {
            notNegative(problems, "discovery.health_check.initial_delay", d.healthCheck().initialDelay());
        }
        OllaConfig.ModelDiscovery md = d.modelDiscovery();
        if (md != null) {
            if (md.enabled()) {
                String when = " when model discovery is enabled";
                positive(problems, "discovery.model_discovery.interval", md.interval(), when);
                positive(problems, "discovery.model_discovery.timeout", md.timeout(), when);
                if (md.concurrentWorkers() <= 0) {
                    problems.error("discovery.model_discovery.concurrent_workers", md.concurrentWorkers()
                            + " must be greater than 0" + when);
                }
            }
            notNegative(problems, "discovery.model_discovery.retry_attempts", md.retryAttempts());
            notNegative(problems, "discovery.model_discovery.retry_backoff", md.retryBackoff());
        }
        OllaConfig.Static st = d.staticConfig();
        if (st == null) {
            return d;
        }
        return new Discovery(d.type(), d.refreshInterval(), new OllaConfig.Static(
                EndpointValidation.validate(st.endpoints(), knownTypes, env, workingDir, problems)),
                d.healthCheck(), d.modelDiscovery());
    }

    // ------------------------------------------------------------------ registry, aliases, translators, dashboard

    private void modelRegistry(OllaConfig.ModelRegistry r) {
        if (r == null) {
            return;
        }
        if (r.type() == null || !r.type().strip().equalsIgnoreCase("memory")) {
            problems.error("model_registry.type", TreeBinder.quote(String.valueOf(r.type())) + " is not one of memory");
        }
        if (r.routingStrategy() != null && r.routingStrategy().options() != null) {
            notNegative(problems, "model_registry.routing_strategy.options.discovery_timeout",
                    r.routingStrategy().options().discoveryTimeout());
        }
        if (r.unification() != null) {
            positive(problems, "model_registry.unification.stale_threshold", r.unification().staleThreshold(), "");
            positive(problems, "model_registry.unification.cleanup_interval", r.unification().cleanupInterval(), "");
        }
    }

    private void aliases(Map<String, List<String>> aliases) {
        if (aliases == null) {
            return;
        }
        for (Map.Entry<String, List<String>> a : aliases.entrySet()) {
            String alias = a.getKey();
            String path = "model_aliases[" + TreeBinder.quote(alias) + "]";
            if (alias.isBlank()) {
                problems.error(path, "alias name is empty");
            } else if (!alias.equals(alias.strip())) {
                problems.error(path, "alias name " + TreeBinder.quote(alias) + " has leading or trailing whitespace");
            }
            List<String> targets = a.getValue();
            if (targets.isEmpty() && !problems.hasFailedUnder(path)) {
                problems.error(path, "alias " + TreeBinder.quote(alias) + " has no models; list at least one model name");
            }
            if (targets.isEmpty()) {
                continue;
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < targets.size(); i++) {
                String t = targets.get(i);
                if (t.isBlank()) {
                    problems.error(path + "[" + i + "]", "empty model name");
                } else if (!seen.add(t)) {
                    problems.warn(path + "[" + i + "]", "model " + TreeBinder.quote(t) + " is listed twice");
                }
            }
        }
    }

    private void translators(OllaConfig.Translators t) {
        if (t == null || t.anthropic() == null) {
            return;
        }
        OllaConfig.Anthropic a = t.anthropic();
        if (a.maxMessageSize() < 0 || a.maxMessageSize() > MAX_MESSAGE_SIZE_LIMIT) {
            problems.error("translators.anthropic.max_message_size", a.maxMessageSize() + " out of range 0-"
                    + MAX_MESSAGE_SIZE_LIMIT + " (0 = default)");
        }
        OllaConfig.Inspector in = a.inspector();
        if (in == null) {
            return;
        }
        if (!EndpointAuth.isToken(in.sessionHeader())) {
            problems.error("translators.anthropic.inspector.session_header", TreeBinder.quote(String.valueOf(in.sessionHeader()))
                    + " is not a valid header name");
        }
        if (in.enabled()) {
            if (in.outputDir() == null || in.outputDir().isBlank()) {
                problems.error("translators.anthropic.inspector.output_dir", "must not be empty when the inspector is enabled");
            } else {
                Path dir = Path.of(in.outputDir().strip());
                Path abs = (dir.isAbsolute() || workingDir == null ? dir : workingDir.resolve(dir)).normalize();
                if (SYSTEM_DIRS.contains(abs.toString()) || abs.getParent() == null) {
                    problems.error("translators.anthropic.inspector.output_dir", TreeBinder.quote(in.outputDir())
                            + " is a system directory; choose a dedicated directory such as logs/inspector/anthropic");
                }
            }
        }
    }

    private void dashboard(OllaConfig.Dashboard d) {
        if (d == null || d.accessPolicy() == null) {
            return;
        }
        cidrs(problems, "dashboard.access_policy.allowed_cidrs", d.accessPolicy().allowedCidrs());
        if (d.enabled() && d.accessPolicy().allowedCidrs().isEmpty()) {
            problems.error("dashboard.access_policy.allowed_cidrs", "must not be empty when the dashboard is enabled");
        }
        notBlank(problems, "dashboard.access_policy.allowed_hosts", d.accessPolicy().allowedHosts());
    }

    // ------------------------------------------------------------------ helpers

    static void filter(Problems problems, String path, OllaConfig.Filter f) {
        if (f != null) {
            notBlank(problems, path + ".include", f.include());
            notBlank(problems, path + ".exclude", f.exclude());
        }
    }

    static void cidrs(Problems problems, String path, List<String> cidrs) {
        for (int i = 0; i < cidrs.size(); i++) {
            if (!Cidr.isValid(cidrs.get(i))) {
                problems.error(path + "[" + i + "]", TreeBinder.quote(cidrs.get(i)) + " is not a CIDR (use address/prefix, e.g. 10.0.0.0/8)");
            }
        }
    }

    static void notBlank(Problems problems, String path, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i).isBlank()) {
                problems.error(path + "[" + i + "]", "empty entry");
            }
        }
    }

    static void notNegative(Problems problems, String path, Duration d) {
        if (d != null && d.isNegative()) {
            problems.error(path, GoDuration.format(d) + " must not be negative");
        }
    }

    static void notNegative(Problems problems, String path, long v) {
        if (v < 0) {
            problems.error(path, v + " must be >= 0");
        }
    }

    static void positive(Problems problems, String path, Duration d, String when) {
        if (d != null && (d.isZero() || d.isNegative())) {
            problems.error(path, GoDuration.format(d) + " must be greater than 0" + when);
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
