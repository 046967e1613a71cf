package dev.olla.route;

import dev.olla.config.Cidr;
import dev.olla.config.OllaConfig;
import dev.olla.server.Exchange;
import dev.olla.server.Router;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code /internal/ui/}: the read-only dashboard, hand-written HTML/JS/CSS served from the jar
 * ({@code src/main/resources/dev/olla/ui/}), guarded like the original's: {@code dashboard.enabled},
 * the TCP peer's address in {@code access_policy.allowed_cidrs} (proxy headers are never trusted
 * here) and the Host an IP literal or one of {@code allowed_hosts}, else 403. Security headers on
 * every answer; strong ETags; {@code index.html} revalidated each time, the other files cached an
 * hour. Unknown paths without an extension get the page (its state lives in the URL hash), unknown
 * files 404.
 */
public final class DashboardRoutes {
    static final String BASE = "/internal/ui/";
    static final List<String> FILES = List.of("index.html", "app.js", "app.css", "favicon.svg");
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
            + "base-uri 'none'; form-action 'none'";

    /**
     * A file of the dashboard; its ETag (a SHA-256 prefix) is computed when first asked for: the
     * JDK's security providers and digest set-up cost ~3% of the start-up's main thread otherwise.
     */
    private static final class Asset {
        final byte[] body;
        final String type;
        private volatile String etag;

        Asset(byte[] body, String type) {
            this.body = body;
            this.type = type;
        }

        byte[] body() {
            return body;
        }

        String type() {
            return type;
        }

        String etag() {
            String e = etag;
            if (e == null) {
                e = "\"" + sha256(body).substring(0, 32) + "\"";
                etag = e; // the same value whichever thread computes it
            }
            return e;
        }
    }

    private final List<Cidr> cidrs;
    private final Set<String> hosts;
    private final Map<String, Asset> assets;

    private DashboardRoutes(OllaConfig.Dashboard cfg, Map<String, Asset> assets) {
        this.cidrs = cfg.accessPolicy().allowedCidrs().stream().map(Cidr::parse).toList();
        this.hosts = cfg.accessPolicy().allowedHosts().stream().map(h -> h.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        this.assets = assets;
    }

    /** Registers the dashboard when {@code dashboard.enabled} (else its paths are plain 404s). */
    public static void register(Router router, OllaConfig.Dashboard cfg) {
        if (cfg == null || !cfg.enabled()) {
            return;
        }
        DashboardRoutes d = new DashboardRoutes(cfg, load());
        router.get("/internal/ui", d::redirect);
        router.prefix(BASE, d::serve, false);
    }

    private static Map<String, Asset> load() {
        Map<String, Asset> m = new TreeMap<>();
        for (String f : FILES) {
            try (InputStream in = DashboardRoutes.class.getResourceAsStream("/dev/olla/ui/" + f)) {
                if (in != null) {
                    byte[] body = in.readAllBytes();
                    m.put(f, new Asset(body, type(f)));
                }
            } catch (IOException e) {
                // a missing file is answered 503 below
            }
        }
        return m;
    }

    private void redirect(Exchange ex) {
        if (!allowed(ex)) {
            return;
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.TEMPORARY_REDIRECT, Unpooled.EMPTY_BUFFER);
        res.headers().set(HttpHeaderNames.LOCATION, BASE);
        secure(res);
        ex.respond(res);
    }

    private void serve(Exchange ex) {
        if (!allowed(ex)) {
            return;
        }
        if (ex.method() != HttpMethod.GET && ex.method() != HttpMethod.HEAD) {
            FullHttpResponse res = plain(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed");
            res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            ex.respond(res);
            return;
        }
        String name = ex.path().substring(BASE.length());
        if (name.isEmpty()) {
            name = "index.html";
        }
        Asset a = assets.get(name);
        if (a == null) {
            if (name.contains(".")) {
                ex.respond(plain(HttpResponseStatus.NOT_FOUND, "Not Found"));
                return;
            }
            name = "index.html"; // the page's own paths
            a = assets.get(name);
        }
        if (a == null) {
            ex.respond(plain(HttpResponseStatus.SERVICE_UNAVAILABLE, "Dashboard assets missing from this build"));
            return;
        }
        String cache = name.equals("index.html") ? "no-cache" : "public, max-age=3600";
        String inm = ex.requestHeaders().get(HttpHeaderNames.IF_NONE_MATCH);
        FullHttpResponse res;
        if (inm != null && (inm.equals(a.etag()) || inm.equals("*"))) {
            res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER);
        } else {
            boolean head = ex.method() == HttpMethod.HEAD;
            res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(a.body()));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, a.type());
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
        }
        res.headers().set(HttpHeaderNames.ETAG, a.etag());
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, cache);
        secure(res);
        ex.respond(res);
    }

    /** The access policy; answers 403 itself when the request is refused. */
    private boolean allowed(Exchange ex) {
        InetAddress peer = ex.remoteAddress() == null ? null : ex.remoteAddress().getAddress();
        boolean ipOk = peer != null && cidrs.stream().anyMatch(c -> c.contains(peer));
        if (ipOk && hostAllowed(ex.requestHeaders().get(HttpHeaderNames.HOST))) {
            return true;
        }
        ex.respond(plain(HttpResponseStatus.FORBIDDEN, "Forbidden"));
        return false;
    }

    boolean hostAllowed(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return false;
        }
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && NetUtil.isValidIpV6Address(h.substring(1, end));
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) < 0) {
            h = h.substring(0, colon);
        }
        return NetUtil.isValidIpV4Address(h) || NetUtil.isValidIpV6Address(h) || hosts.contains(h);
    }

    private static FullHttpResponse plain(HttpResponseStatus status, String text) {
        byte[] b = (text + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(b));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, b.length);
        secure(res);
        return res;
    }

    private static void secure(FullHttpResponse res) {
        res.headers().set("X-Content-Type-Options", "nosniff");
        res.headers().set("X-Frame-Options", "DENY");
        res.headers().set("Referrer-Policy", "no-referrer");
        res.headers().set("Content-Security-Policy", CSP);
    }

    private static String type(String f) {
        if (f.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (f.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (f.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return f.endsWith(".svg") ? "image/svg+xml" : "application/octet-stream";
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
