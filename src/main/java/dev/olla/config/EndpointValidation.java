package dev.olla.config;

import dev.olla.config.OllaConfig.Endpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code discovery.static.endpoints} part of {@link ConfigValidator}: each entry's checks (URL, type,
 * priority, health/model URLs, check interval and timeout, filter, weight), duplicate URLs collapsed
 * (the later entry wins, with a warning), unique names, auth and header values resolved; and the URL
 * rules the rest of the configuration shares ({@link #urlProblem}, {@link #sanitize}, {@link #urlKey}).
 */
final class EndpointValidation {
    private static final Pattern USERINFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@");

    private EndpointValidation() {}

    /** Checks each entry, collapses duplicate URLs (the later entry wins), names and resolves the kept ones. */
    static List<Endpoint> validate(List<Endpoint> raw, Set<String> knownTypes, Map<String, String> env,
            Path workingDir, Problems problems) {
        String base = "discovery.static.endpoints";
        // 1. per-entry checks, keyed by original index
        Map<String, Integer> byUrl = new LinkedHashMap<>();
        for (int i = 0; i < raw.size(); i++) {
            Endpoint e = raw.get(i);
            if (e == null) {
                continue;
            }
            String path = base + "[" + i + "]";
            endpoint(e, path, knownTypes, problems);
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
                    e.preservePath(), ConfigValidator.blankToNull(e.healthCheckUrl()), ConfigValidator.blankToNull(e.modelUrl()), e.checkInterval(),
                    e.checkTimeout(), e.modelFilter(), auth, headers == null ? Map.of() : headers, e.weight(),
                    e.maxConcurrent()));
        }
        return List.copyOf(out);
    }

    private static void endpoint(Endpoint e, String path, Set<String> knownTypes, Problems problems) {
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
        ConfigValidator.filter(problems, path + ".model_filter", e.modelFilter());
        if (e.weight() < 1) {
            problems.error(path + ".weight", e.weight() + " must be at least 1");
        }
        ConfigValidator.notNegative(problems, path + ".max_concurrent", e.maxConcurrent());
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
}
