package dev.olla.proxy;

import dev.olla.BuildInfo;
import dev.olla.endpoint.Endpoint;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross the proxy in each direction. Hop-by-hop headers never do; the client's
 * credentials never reach a backend (backends get the endpoint's own auth); backend credentials,
 * cookies and any backend {@code X-Olla-*} never reach the client.
 *
 * <p>Runs once or twice per proxied request, so it allocates little: names are compared in place,
 * case-insensitively ({@link NameSet}), never lower-cased into new strings.
 */
final class HeaderRules {
    static final String VIA = "1.1 olla/" + BuildInfo.current().version();
    static final String SERVED_BY = "Olla/" + BuildInfo.current().version();

    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    static final AsciiString X_REAL_IP = AsciiString.cached("X-Real-IP");
    static final AsciiString X_PROXIED_BY = AsciiString.cached("X-Proxied-By");
    static final AsciiString X_MODEL = AsciiString.cached("X-Model");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString X_OLLA = AsciiString.cached("x-olla");

    /**
     * The backend request's headers: made from the client's, which the server's decoder validated,
     * plus values Olla builds from validated parts or configuration checked at load (endpoint
     * headers: token names, no line breaks); so they are not validated a second time.
     */
    private static final HttpHeadersFactory FORWARD_HEADERS = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);

    private static final NameSet HOP_BY_HOP = new NameSet("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
    /** Not copied to the backend: hop-by-hop, client credentials, and what the proxy sets itself. */
    private static final NameSet REQUEST_DROP = HOP_BY_HOP.with("authorization", "cookie", "x-api-key",
            "x-auth-token", "host", "content-length", "expect");
    /** Not copied back to the client. */
    private static final NameSet RESPONSE_DROP = HOP_BY_HOP.with("authorization", "x-api-key", "x-auth-token",
            "set-cookie");

    private HeaderRules() {}

    /**
     * A fixed set of header names with a case-insensitive lookup that allocates nothing: the
     * candidates of each name length are compared with {@link AsciiString#contentEqualsIgnoreCase}.
     */
    static final class NameSet {
        private final String[] names;
        private final AsciiString[][] byLength;

        NameSet(String... names) {
            this.names = names;
            int max = 0;
            for (String n : names) {
                max = Math.max(max, n.length());
            }
            byLength = new AsciiString[max + 1][];
            for (String n : names) {
                AsciiString[] old = byLength[n.length()];
                AsciiString[] grown = old == null ? new AsciiString[1] : java.util.Arrays.copyOf(old, old.length + 1);
                grown[grown.length - 1] = AsciiString.cached(n);
                byLength[n.length()] = grown;
            }
        }

        NameSet with(String... more) {
            String[] all = java.util.Arrays.copyOf(names, names.length + more.length);
            System.arraycopy(more, 0, all, names.length, more.length);
            return new NameSet(all);
        }

        boolean contains(CharSequence name) {
            int n = name.length();
            if (n >= byLength.length) {
                return false;
            }
            AsciiString[] candidates = byLength[n];
            if (candidates == null) {
                return false;
            }
            for (AsciiString c : candidates) {
                if (c.contentEqualsIgnoreCase(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Whether {@code name} is listed in a Connection header value (comma-separated tokens, optional
     * whitespace): such a header is hop-by-hop for this message too.
     */
    static boolean listedIn(CharSequence connection, CharSequence name) {
        int len = connection.length();
        int i = 0;
        while (i < len) {
            while (i < len && (connection.charAt(i) == ' ' || connection.charAt(i) == '\t' || connection.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < len && connection.charAt(i) != ',') {
                i++;
            }
            int end = i;
            while (end > start && (connection.charAt(end - 1) == ' ' || connection.charAt(end - 1) == '\t')) {
                end--;
            }
            if (end - start == name.length()
                    && AsciiString.regionMatches(connection, true, start, name, 0, name.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The Connection header's value when it lists a name other than the usual {@code keep-alive} /
     * {@code close} (then each header is checked against it), else null.
     */
    private static CharSequence extraHop(HttpHeaders h) {
        String c = h.get(HttpHeaderNames.CONNECTION);
        if (c == null || c.isEmpty() || HttpHeaderNames.KEEP_ALIVE.contentEqualsIgnoreCase(c)
                || "close".equalsIgnoreCase(c)) {
            return null;
        }
        return c;
    }

    private static boolean privateName(Set<String> privateNames, CharSequence name) {
        for (String p : privateNames) { // a handful of auth header names at most
            if (AsciiString.contentEqualsIgnoreCase(p, name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The headers every attempt forwards, made once per request from the client's (which are left
     * as they came): hop-by-hop and credential headers left out, forwarding headers added.
     */
    static HttpHeaders forwarding(HttpHeaders client, String peerIp, String clientIp, String model) {
        CharSequence extraHop = extraHop(client);
        HttpHeaders h = FORWARD_HEADERS.newHeaders();
        CharSequence host = null;
        CharSequence xff = null;
        CharSequence via = null;
        boolean proto = false;
        boolean forwardedHost = false;
        boolean realIp = false;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = client.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (REQUEST_DROP.contains(name)) {
                if (host == null && HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
                    host = e.getValue();
                }
                continue;
            }
            if (extraHop != null && listedIn(extraHop, name)) {
                continue;
            }
            if (X_FORWARDED_FOR.contentEqualsIgnoreCase(name)) {
                xff = xff == null ? e.getValue() : xff + ", " + e.getValue(); // several lines are one list
                continue;
            }
            if (HttpHeaderNames.VIA.contentEqualsIgnoreCase(name)) {
                via = via == null ? e.getValue() : via + ", " + e.getValue();
                continue;
            }
            proto |= X_FORWARDED_PROTO.contentEqualsIgnoreCase(name);
            forwardedHost |= X_FORWARDED_HOST.contentEqualsIgnoreCase(name);
            realIp |= X_REAL_IP.contentEqualsIgnoreCase(name);
            h.add(name, e.getValue());
        }
        // Each hop appends the address it saw (the socket peer), never a header's claim.
        h.add(X_FORWARDED_FOR, xff == null || xff.toString().isBlank() ? peerIp : xff + ", " + peerIp);
        if (!proto) {
            h.add(X_FORWARDED_PROTO, HTTP);
        }
        if (!forwardedHost && host != null) {
            h.add(X_FORWARDED_HOST, host);
        }
        if (!realIp) {
            h.add(X_REAL_IP, clientIp);
        }
        h.add(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
        h.add(X_PROXIED_BY, SERVED_BY);
        if (model != null && model.equals(dev.olla.model.ModelName.headerValue(model))) {
            h.add(X_MODEL, model); // only a name that fits a header unchanged (printable ASCII, <= 256)
        }
        return h;
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
        CharSequence extraHop = extraHop(h);
        Set<String> privateNames = endpoint.privateHeaderNames();
        CharSequence[] drop = null;
        int drops = 0;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence();
        while (it.hasNext()) {
            CharSequence name = it.next().getKey();
            boolean remove = RESPONSE_DROP.contains(name)
                    || (name.length() >= 6 && AsciiString.regionMatches(name, true, 0, X_OLLA, 0, 6))
                    || (!keepLength && HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name))
                    || (extraHop != null && listedIn(extraHop, name))
                    || (!privateNames.isEmpty() && privateName(privateNames, name));
            if (remove) {
                if (drop == null) {
                    drop = new CharSequence[8];
                } else if (drops == drop.length) {
                    drop = java.util.Arrays.copyOf(drop, drops * 2);
                }
                drop[drops++] = name;
            }
        }
        for (int i = 0; i < drops; i++) {
            h.remove(drop[i]);
        }
        String via = h.get(HttpHeaderNames.VIA);
        h.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
    }
}
