package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;

/**
 * Where a proxied request goes on the endpoint: the {@code /olla/<prefix>} part is already
 * stripped; the endpoint URL's base path is dropped (replaced by the request path) unless the
 * endpoint has {@code preserve_path: true}; the query string passes through unchanged.
 */
final class PathRules {
    private PathRules() {}

    /**
     * The request path after the route prefix, starting with '/': {@code planPath} when the route's
     * plan replaces it, else {@code path} without {@code stripPrefix} ("/" when nothing is left).
     */
    static String rest(String path, String stripPrefix, String planPath) {
        String rest = planPath != null ? planPath
                : path.length() > stripPrefix.length() ? path.substring(stripPrefix.length()) : "/";
        return rest.startsWith("/") ? rest : "/" + rest;
    }

    /**
     * @param rest  the request path after the route prefix, starting with '/'
     * @param query raw query string or null
     */
    static String targetUri(Endpoint endpoint, String rest, String query) {
        String path = rest.isEmpty() ? "/" : rest;
        // Dot segments are resolved before the base path is prepended, so a request can never
        // climb out of an endpoint's base path.
        if (path.contains("/.") || path.contains("%2e") || path.contains("%2E")) {
            path = removeDotSegments(path);
        }
        String base = endpoint.basePath();
        if (endpoint.preservePath() && !base.isEmpty()) {
            path = base + path;
        }
        return query == null ? path : path + '?' + query;
    }

    /** RFC 3986 dot-segment removal, also for percent-encoded dots, so a path cannot climb out. */
    static String removeDotSegments(String path) {
        String p = path.replace("%2e", ".").replace("%2E", ".");
        String[] segments = p.split("/", -1);
        java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            if (".".equals(s)) {
                if (i == segments.length - 1) {
                    out.addLast("");
                }
            } else if ("..".equals(s)) {
                out.pollLast();
                if (i == segments.length - 1) {
                    out.addLast("");
                }
            } else {
                out.addLast(s);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String s : out) {
            sb.append('/').append(s);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }
}
