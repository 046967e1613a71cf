package dev.olla.proxy;

import dev.olla.BuildInfo;
import dev.olla.endpoint.Endpoint;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which headers cross the proxy in each direction. Hop-by-hop headers never do; the client's
 * credentials never reach a backend (backends get the endpoint's own auth); backend credentials,
 * cookies and any backend {@code X-Olla-*} never reach the client.
 */
final class HeaderRules {
    static final String VIA = "1.1 olla/" + BuildInfo.current().version();
    static final String SERVED_BY = "Olla/" + BuildInfo.current().version();

    private static final Set<String> HOP_BY_HOP = names("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
    /** Not copied to the backend: hop-by-hop, client credentials, and what the proxy sets itself. */
    private static final Set<String> REQUEST_DROP = union(HOP_BY_HOP, names("authorization", "cookie", "x-api-key",
            "x-auth-token", "host", "content-length", "expect"));
    /** Not copied back to the client. */
    private static final Set<String> RESPONSE_DROP = union(HOP_BY_HOP, names("authorization", "x-api-key",
            "x-auth-token", "set-cookie"));

    private HeaderRules() {}

    /** Case-insensitive name sets: lookups allocate nothing. */
    private static Set<String> names(String... names) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(Arrays.asList(names));
        return Collections.unmodifiableSet(s);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(a);
        s.addAll(b);
        return Collections.unmodifiableSet(s);
    }

    private static boolean in(Set<String> set, String name) {
        return set.contains(name);
    }

    /** Names listed in a Connection header are hop-by-hop for this message too. */
    private static Set<String> connectionTokens(HttpHeaders h) {
        String c = h.get(HttpHeaderNames.CONNECTION);
        if (c == null || c.isEmpty()) {
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String t : c.split(",")) {
            tokens.add(t.trim().toLowerCase(Locale.ROOT));
        }
        return tokens;
    }

    /** Headers for the request sent to {@code endpoint}. */
    static void requestHeaders(HttpHeaders client, HttpHeaders out, Endpoint endpoint, String clientIp,
            String clientHost, String model, int contentLength) {
        Set<String> extraHop = connectionTokens(client);
        for (Map.Entry<String, String> e : client) {
            String name = e.getKey();
            if (in(REQUEST_DROP, name) || (!extraHop.isEmpty() && extraHop.contains(name.toLowerCase(Locale.ROOT)))) {
                continue;
            }
            out.add(name, e.getValue());
        }
        out.set(HttpHeaderNames.HOST, endpoint.authority());
        String xff = client.get("X-Forwarded-For");
        out.set("X-Forwarded-For", xff == null || xff.isBlank() ? clientIp : xff + ", " + clientIp);
        if (!client.contains("X-Forwarded-Proto")) {
            out.set("X-Forwarded-Proto", "http");
        }
        if (!client.contains("X-Forwarded-Host") && clientHost != null) {
            out.set("X-Forwarded-Host", clientHost);
        }
        if (!client.contains("X-Real-IP")) {
            out.set("X-Real-IP", clientIp);
        }
        String via = client.get(HttpHeaderNames.VIA);
        out.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
        out.set("X-Proxied-By", SERVED_BY);
        if (model != null) {
            out.set("X-Model", model);
        }
        endpoint.requestHeaders().forEach(out::set);
        out.setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    }

    /** Copies the backend's response headers that may reach the client. */
    static void responseHeaders(HttpHeaders backend, HttpHeaders out, Endpoint endpoint, boolean keepLength) {
        Set<String> extraHop = connectionTokens(backend);
        Set<String> privateNames = endpoint.privateHeaderNames();
        for (Map.Entry<String, String> e : backend) {
            String name = e.getKey();
            if (in(RESPONSE_DROP, name)) {
                continue;
            }
            if (name.length() >= 6 && name.regionMatches(true, 0, "x-olla", 0, 6)) {
                continue;
            }
            if (!keepLength && HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
                continue;
            }
            if (!extraHop.isEmpty() || !privateNames.isEmpty()) {
                String lower = name.toLowerCase(Locale.ROOT);
                if (extraHop.contains(lower) || privateNames.contains(lower)) {
                    continue;
                }
            }
            out.add(name, e.getValue());
        }
        String via = backend.get(HttpHeaderNames.VIA);
        out.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
    }
}
