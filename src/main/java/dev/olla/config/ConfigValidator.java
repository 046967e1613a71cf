package dev.olla.config;

import dev.olla.config.OllaConfig.Discovery;
import dev.olla.config.OllaConfig.Endpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final Pattern USERINFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@");

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
        notNegative("server.read_timeout", s.readTimeout());
        notNegative("server.read_header_timeout", s.readHeaderTimeout());
        notNegative("server.write_timeout", s.writeTimeout());
        notNegative("server.idle_timeout", s.idleTimeout());
        notNegative("server.shutdown_timeout", s.shutdownTimeout());
        if (s.writeTimeout() != null && s.writeTimeout().compareTo(Duration.ZERO) > 0
                && s.writeTimeout().compareTo(Duration.ofSeconds(1)) < 0) {
            problems.warn("server.write_timeout", GoDuration.format(s.writeTimeout())
                    + " is very short: a client that pauses reading this long is disconnected");
        }
        if (s.requestLimits() != null) {
            notNegative("server.request_limits.max_body_size", s.requestLimits().maxBodySize());
            notNegative("server.request_limits.max_header_size", s.requestLimits().maxHeaderSize());
        }
        OllaConfig.RateLimits r = s.rateLimits();
        if (r != null) {
            notNegative("server.rate_limits.global_requests_per_minute", r.globalRequestsPerMinute());
            notNegative("server.rate_limits.per_ip_requests_per_minute", r.perIpRequestsPerMinute());
            notNegative("server.rate_limits.health_requests_per_minute", r.healthRequestsPerMinute());
            notNegative("server.rate_limits.burst_size", r.burstSize());
            if (r.burstSize() == 0 && !problems.hasFailed("server.rate_limits.burst_size")) {
                problems.warn("server.rate_limits.burst_size", "0 allows no burst above the per-minute rates");
            }
            positive("server.rate_limits.cleanup_interval", r.cleanupInterval(), "");
            cidrs("server.rate_limits.trusted_proxy_cidrs", r.trustedProxyCidrs());
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
            notBlank("server.cors.allowed_origins", cors.allowedOrigins());
            notBlank("server.cors.allowed_methods", cors.allowedMethods());
            notBlank("server.cors.allowed_headers", cors.allowedHeaders());
            notBlank("server.cors.exposed_headers", cors.exposedHeaders());
        }
    }

    private void proxy(OllaConfig.Proxy p) {
        if (p == null) {
            return;
        }
        notNegative("proxy.stream_buffer_size", p.streamBufferSize());
        notNegative("proxy.connection_timeout", p.connectionTimeout());
        notNegative("proxy.connection_keep_alive", p.connectionKeepAlive());
        notNegative("proxy.response_timeout", p.responseTimeout());
        notNegative("proxy.read_timeout", p.readTimeout());
        notNegative("proxy.response_header_timeout", p.responseHeaderTimeout());
        notNegative("proxy.tls_handshake_timeout", p.tlsHandshakeTimeout());
        if (p.panicThreshold() < 0 || p.panicThreshold() > 100) {
            problems.error("proxy.panic_threshold", p.panicThreshold() + " must be between 0 and 100 (percent)");
        }
        notNegative("proxy.consecutive_5xx", p.consecutive5xx());
        notNegative("proxy.max_response_buffer", p.maxResponseBuffer());
        notNegative("proxy.max_connections_per_endpoint", p.maxConnectionsPerEndpoint());
        if (p.retry() != null) {
            notNegative("proxy.retry.max_attempts", p.retry().maxAttempts());
        }
        OllaConfig.StickySessions st = p.stickySessions();
        if (st != null) {
            notNegative("proxy.sticky_sessions.idle_ttl_seconds", st.idleTtlSeconds());
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
        filter("proxy.profile_filter", p.profileFilter());
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
            notNegative("proxy.queue.keep_alive_interval", q.keepAliveInterval());
        }
        notNegative("proxy.first_token_timeout", p.firstTokenTimeout());
        notNegative("proxy.sse_keepalive_interval", p.sseKeepaliveInterval());
    }

    private Discovery discovery(Discovery d) {
        if (d == null) {
            return null;
        }
        if (d.type() == null || !d.type().strip().equalsIgnoreCase("static")) {
            problems.error("discovery.type", TreeBinder.quote(String.valueOf(d.type())) + " is not one of static");
        }
        notNegative("discovery.refresh_interval", d.refreshInterval());
        if (d.healthCheck() != null) {
            notNegative("discovery.health_check.initial_delay", d.healthCheck().initialDelay());
        }
        OllaConfig.ModelDiscovery md = d.modelDiscovery();
        if (md != null) {
            if (md.enabled()) {
                String when = " when model discovery is enabled";
                positive("discovery.model_discovery.interval", md.interval(), when);
                positive("discovery.model_discovery.timeout", md.timeout(), when);
                if (md.concurrentWorkers() <= 0) {
                    problems.error("discovery.model_discovery.concurrent_workers", md.concurrentWorkers()
                            + " must be greater than 0" + when);
                }
            }
            notNegative("discovery.model_discovery.retry_attempts", md.retryAttempts());
            notNegative("discovery.model_discovery.retry_backoff", md.retryBackoff());
        }
        OllaConfig.Static st = d.staticConfig();
        if (st == null) {
            return d;
        }
        return new Discovery(d.type(), d.refreshInterval(), new OllaConfig.Static(endpoints(st.endpoints())),
                d.healthCheck(), d.modelDiscovery());
    }

    // ------------------------------------------------------------------ endpoints

    private List<Endpoint> endpoints(List<Endpoint> raw) {
        String base = "discovery.static.endpoints";
        // 1. per-entry checks, keyed by original index
        Map<String, Integer> byUrl = new LinkedHashMap<>();
        for (int i = 0; i < raw.size(); i++) {
            Endpoint e = raw.get(i);
            if (e == null) {
                continue;
            }
            String path = base + "[" + i + "]";
            endpoint(e, path);
            if (e.url() != null && !e.url().isBlank()) {
                String key = urlKey(e.url());
                Integer previous = byUrl.remove(key);
                if (previous != null) {
                    problems.warn(path, "same url as " + "endpoints[" + previous + "] (" + TreeBinder.quote(sanitize(e.url()))
                            + "); they are one endpoint and this later entry wins");
                }
                byUrl.put(key, i);
            }
        }
        if (raw.isEmpty()) {
            problems.warnLine(base + ": no endpoints configured; every proxied request will fail");
        }
        // 2. names unique among the endpoints kept
        List<Integer> kept = byUrl.values().stream().sorted().toList();
        Map<String, Integer> names = new HashMap<>();
        List<Endpoint> out = new ArrayList<>();
        for (int i : kept) {
            Endpoint e = raw.get(i);
            String path = base + "[" + i + "]";
            String name = e.name() == null || e.name().isBlank() ? e.url().strip() : e.name().strip();
            Integer other = names.putIfAbsent(name, i);
            if (other != null) {
                problems.error(path + ".name", "duplicate name " + TreeBinder.quote(name)
                        + " (already used by endpoints[" + other + "])");
            }
            OllaConfig.Auth auth = EndpointAuth.resolve(e.auth(), name, path + ".auth", env, workingDir, problems);
            Map<String, String> headers = EndpointAuth.resolveHeaders(e.headers(), name, path + ".headers", env, problems);
            out.add(new Endpoint(e.url().strip(), name, e.type() == null ? null : e.type().strip(), e.priority(),
                    e.preservePath(), blankToNull(e.healthCheckUrl()), blankToNull(e.modelUrl()), e.checkInterval(),
                    e.checkTimeout(), e.modelFilter(), auth, headers == null ? Map.of() : headers, e.weight(),
                    e.maxConcurrent()));
        }
        return List.copyOf(out);
    }

    private void endpoint(Endpoint e, String path) {
        if (e.url() == null || e.url().isBlank()) {
            problems.error(path + ".url", "required (e.g. http://localhost:11434)");
        } else {
            String problem = urlProblem(e.url().strip());
            if (problem != null) {
                problems.error(path + ".url", problem);
            }
        }
        if (e.type() == null || e.type().isBlank()) {
            problems.error(path + ".type", "required (one of " + String.join(", ", knownTypes) + ")");
        } else if (!knownTypes.contains(e.type().strip().toLowerCase(Locale.ROOT))) {
            problems.error(path + ".type", TreeBinder.quote(e.type()) + " is not a known endpoint type (one of "
                    + String.join(", ", knownTypes) + ")");
        }
        if (e.priority() < 0) {
            problems.error(path + ".priority", e.priority() + " must be >= 0");
        }
        for (String[] u : new String[][] {{"health_check_url", e.healthCheckUrl()}, {"model_url", e.modelUrl()}}) {
            if (u[1] != null && u[1].contains("://")) {
                String problem = urlProblem(u[1].strip());
                if (problem != null) {
                    problems.error(path + "." + u[0], problem);
                }
            }
        }
        Duration interval = e.checkInterval();
        Duration timeout = e.checkTimeout();
        if (interval != null && interval.compareTo(Duration.ofSeconds(1)) < 0) {
            problems.error(path + ".check_interval", GoDuration.format(interval) + " must be at least 1s");
        }
        if (timeout != null) {
            if (timeout.compareTo(Duration.ZERO) <= 0) {
                problems.error(path + ".check_timeout", GoDuration.format(timeout) + " must be greater than 0");
            } else if (interval != null && timeout.compareTo(interval) >= 0 && !problems.hasFailed(path + ".check_interval")) {
                problems.error(path + ".check_timeout", GoDuration.format(timeout) + " must be less than check_interval ("
                        + GoDuration.format(interval) + ")");
            }
        }
        filter(path + ".model_filter", e.modelFilter());
        if (e.weight() < 1) {
            problems.error(path + ".weight", e.weight() + " must be at least 1");
        }
        notNegative(path + ".max_concurrent", e.maxConcurrent());
    }

    /** Null when {@code url} is an absolute http(s) URL with a host and no credentials. */
    static String urlProblem(String url) {
        String shown = TreeBinder.quote(sanitize(url));
        Matcher m = USERINFO.matcher(url);
        if (m.find()) {
            return shown + " must not contain credentials; put them in auth:";
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException ex) {
            return shown + " is not a valid URL (" + ex.getReason() + ")";
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            return shown + " must be an absolute http:// or https:// URL";
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            return shown + " has no host";
        }
        String host = uri.getHost();
        String portText = null;
        if (host == null) { // e.g. underscores in the host name: java.net.URI falls back to a registry authority
            int colon = authority.lastIndexOf(':');
            host = colon >= 0 && !authority.endsWith("]") ? authority.substring(0, colon) : authority;
            portText = colon >= 0 && !authority.endsWith("]") ? authority.substring(colon + 1) : null;
        } else if (uri.getPort() >= 0) {
            portText = Integer.toString(uri.getPort());
        } else if (authority.endsWith(":")) {
            portText = "";
        }
        if (host.isEmpty()) {
            return shown + " has no host";
        }
        if (portText != null) {
            if (!portText.matches("\\d{1,5}") || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
                return shown + " has an invalid port (1-65535)";
            }
        }
        return null;
    }

    /** The URL with any userinfo password (or a lone user/token) replaced by {@code ***}. */
    static String sanitize(String url) {
        Matcher m = USERINFO.matcher(url);
        if (!m.find()) {
            return url;
        }
        String info = m.group(2);
        int colon = info.indexOf(':');
        String masked = colon >= 0 ? info.substring(0, colon) + ":***" : "***";
        return m.group(1) + masked + "@" + url.substring(m.end());
    }

    /** Comparison key for "same URL": case-insensitive scheme and authority, trailing slashes ignored. */
    static String urlKey(String url) {
        String u = url.strip();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        int schemeEnd = u.indexOf("://");
        if (schemeEnd < 0) {
            return u;
        }
        int pathStart = u.indexOf('/', schemeEnd + 3);
        if (pathStart < 0) {
            return u.toLowerCase(Locale.ROOT);
        }
        return u.substring(0, pathStart).toLowerCase(Locale.ROOT) + u.substring(pathStart);
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
            notNegative("model_registry.routing_strategy.options.discovery_timeout",
                    r.routingStrategy().options().discoveryTimeout());
        }
        if (r.unification() != null) {
            positive("model_registry.unification.stale_threshold", r.unification().staleThreshold(), "");
            positive("model_registry.unification.cleanup_interval", r.unification().cleanupInterval(), "");
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
        cidrs("dashboard.access_policy.allowed_cidrs", d.accessPolicy().allowedCidrs());
        if (d.enabled() && d.accessPolicy().allowedCidrs().isEmpty()) {
            problems.error("dashboard.access_policy.allowed_cidrs", "must not be empty when the dashboard is enabled");
        }
        notBlank("dashboard.access_policy.allowed_hosts", d.accessPolicy().allowedHosts());
    }

    // ------------------------------------------------------------------ helpers

    private void filter(String path, OllaConfig.Filter f) {
        if (f != null) {
            notBlank(path + ".include", f.include());
            notBlank(path + ".exclude", f.exclude());
        }
    }

    private void cidrs(String path, List<String> cidrs) {
        for (int i = 0; i < cidrs.size(); i++) {
            if (!Cidr.isValid(cidrs.get(i))) {
                problems.error(path + "[" + i + "]", TreeBinder.quote(cidrs.get(i)) + " is not a CIDR (use address/prefix, e.g. 10.0.0.0/8)");
            }
        }
    }

    private void notBlank(String path, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i).isBlank()) {
                problems.error(path + "[" + i + "]", "empty entry");
            }
        }
    }

    private void notNegative(String path, Duration d) {
        if (d != null && d.isNegative()) {
            problems.error(path, GoDuration.format(d) + " must not be negative");
        }
    }

    private void notNegative(String path, long v) {
        if (v < 0) {
            problems.error(path, v + " must be >= 0");
        }
    }

    private void positive(String path, Duration d, String when) {
        if (d != null && (d.isZero() || d.isNegative())) {
            problems.error(path, GoDuration.format(d) + " must be greater than 0" + when);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
