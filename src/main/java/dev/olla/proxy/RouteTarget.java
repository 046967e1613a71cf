package dev.olla.proxy;

import java.util.Set;

/**
 * Which endpoints a proxy route reaches.
 *
 * @param stripPrefix the path prefix removed before forwarding, as it appears in the URL
 *                    (e.g. {@code /olla/lm_studio}); the rest, starting with '/', is forwarded
 * @param types       canonical endpoint types this route reaches; empty = every type
 * @param label       the provider name used in errors ({@code No lm-studio endpoints available})
 * @param provider    a provider route (404 when no endpoint of its type exists) rather than
 *                    {@code /olla/proxy} (503)
 */
public record RouteTarget(String stripPrefix, Set<String> types, String label, boolean provider) {
    public static RouteTarget anyEndpoint(String stripPrefix) {
        return new RouteTarget(stripPrefix, Set.of(), "proxy", false);
    }
}
