package dev.olla.endpoint;

import dev.olla.config.OllaConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * A configured backend (immutable). URLs are resolved: {@code healthCheckUrl} and {@code modelUrl}
 * are absolute. {@code requestHeaders} are the endpoint's custom headers plus its auth header(s),
 * sent on proxied requests, health probes and discovery; {@code privateHeaderNames} are the names
 * (lower-case) never copied back from a backend response. {@code weight} (>= 1) is the endpoint's share
 * for the weighted balancers; {@code maxConcurrent} caps Olla's in-flight requests to it (0 = the
 * backend's published slot count, else unlimited).
 */
public record Endpoint(
        String name,
        URI url,
        String type,
        int priority,
        boolean preservePath,
        URI healthCheckUrl,
        URI modelUrl,
        Duration checkInterval,
        Duration checkTimeout,
        OllaConfig.Filter modelFilter,
        Map<String, String> requestHeaders,
        Set<String> privateHeaderNames,
        int weight,
        int maxConcurrent) {

    /** An endpoint with weight 1 and no fixed cap. */
    public Endpoint(String name, URI url, String type, int priority, boolean preservePath, URI healthCheckUrl,
            URI modelUrl, Duration checkInterval, Duration checkTimeout, OllaConfig.Filter modelFilter,
            Map<String, String> requestHeaders, Set<String> privateHeaderNames) {
        this(name, url, type, priority, preservePath, healthCheckUrl, modelUrl, checkInterval, checkTimeout, modelFilter,
                requestHeaders, privateHeaderNames, 1, 0);
    }

    public Endpoint {
        weight = Math.max(1, weight);
        maxConcurrent = Math.max(0, maxConcurrent);
    }

    public String host() {
        return url.getHost();
    }

    public int port() {
        int p = url.getPort();
        if (p > 0) {
            return p;
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }

    public boolean tls() {
        return "https".equalsIgnoreCase(url.getScheme());
    }

    /** The URL's path without a trailing slash ("" for none). */
    public String basePath() {
        String p = url.getRawPath();
        if (p == null || p.isEmpty() || "/".equals(p)) {
            return "";
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** The URL for display: scheme, host, port and path only (never credentials or query). */
    public String sanitizedUrl() {
        StringBuilder sb = new StringBuilder().append(url.getScheme()).append("://").append(url.getHost());
        if (url.getPort() > 0) {
            sb.append(':').append(url.getPort());
        }
        String p = url.getRawPath();
        if (p != null) {
            sb.append(p);
        }
        return sb.toString();
    }

    /** {@code host:port} as sent in the Host header. */
    public String authority() {
        return url.getRawAuthority();
    }

    @Override
    public String toString() {
        return "Endpoint[" + name + " " + sanitizedUrl() + " " + type + "]";
    }
}
