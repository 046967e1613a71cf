package dev.olla.proxy;

import dev.olla.BuildInfo;
import dev.olla.endpoint.Endpoint;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
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

    /**
     * Turns the client's request headers, in place and once per request, into the headers every
     * attempt forwards: hop-by-hop and credential headers removed, forwarding headers added.
     */
    static void prepareForwarding(HttpHeaders h, String peerIp, String clientIp, String model) {
        Set<String> extraHop = connectionTokens(h);
        List<String> drop = null;
        for (Map.Entry<String, String> e : h) {
            String name = e.getKey();
            if (in(REQUEST_DROP, name) && !"host".equalsIgnoreCase(name)
                    || (!extraHop.isEmpty() && extraHop.contains(name.toLowerCase(Locale.ROOT)))) {
                if (drop == null) {
                    drop = new ArrayList<>(4);
                }
                drop.add(name);
            }
        }
        if (drop != null) {
            drop.forEach(h::remove);
        }
        String host = h.get(HttpHeaderNames.HOST);
        String xff = h.get("X-Forwarded-For");
        // Each hop appends the address it saw (the socket peer), never a header's claim.
        h.set("X-Forwarded-For", xff == null || xff.isBlank() ? peerIp : xff + ", " + peerIp);
        if (!h.contains("X-Forwarded-Proto")) {
            h.set("X-Forwarded-Proto", "http");
        }
        if (!h.contains("X-Forwarded-Host") && host != null) {
            h.set("X-Forwarded-Host", host);
        }
        if (!h.contains("X-Real-IP")) {
            h.set("X-Real-IP", clientIp);
        }
        String via = h.get(HttpHeaderNames.VIA);
        h.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
        h.set("X-Proxied-By", SERVED_BY);
        if (model != null && model.equals(dev.olla.model.ModelName.headerValue(model))) {
            h.set("X-Model", model); // only a name that fits a header unchanged (printable ASCII, <= 256)
        }
    }

    /**
     * Sets what differs per endpoint on the prepared headers: Host, Content-Length, and the
     * endpoint's own headers and auth (removing those a previous attempt set for another endpoint).
     */
    static void forEndpoint(HttpHeaders h, Endpoint endpoint, Endpoint previous, int contentLength) {
        if (previous != null && previous != endpoint) {
            previous.requestHeaders().keySet().forEach(h::remove);
        }
        h.set(HttpHeaderNames.HOST, endpoint.authority());
        if (!endpoint.requestHeaders().isEmpty()) {
            endpoint.requestHeaders().forEach(h::set);
        }
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    }

    /**
     * Removes, in place, the backend's response headers that must not reach the client, and adds
     * Via. The backend's head is then reused as the client's (no copy).
     */
    static void filterResponse(HttpHeaders h, Endpoint endpoint, boolean keepLength) {
        Set<String> extraHop = connectionTokens(h);
        Set<String> privateNames = endpoint.privateHeaderNames();
        List<String> drop = null;
        for (Map.Entry<String, String> e : h) {
            String name = e.getKey();
            boolean remove = in(RESPONSE_DROP, name)
                    || (name.length() >= 6 && name.regionMatches(true, 0, "x-olla", 0, 6))
                    || (!keepLength && HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name));
            if (!remove && (!extraHop.isEmpty() || !privateNames.isEmpty())) {
                String lower = name.toLowerCase(Locale.ROOT);
                remove = extraHop.contains(lower) || privateNames.contains(lower);
            }
            if (remove) {
                if (drop == null) {
                    drop = new ArrayList<>(4);
                }
                drop.add(name);
            }
        }
        if (drop != null) {
            drop.forEach(h::remove);
        }
        String via = h.get(HttpHeaderNames.VIA);
        h.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
    }
}
