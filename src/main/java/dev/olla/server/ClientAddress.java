package dev.olla.server;

import dev.olla.config.Cidr;
import dev.olla.config.OllaConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * "The client address" of a request, the one answer used by the rate limiter, sticky sessions
 * ({@code ip} key), per-model unique clients and the request log. It is the socket peer unless
 * {@code server.rate_limits.trust_proxy_headers} is on and the peer is in {@code trusted_proxy_cidrs};
 * then it is the rightmost {@code X-Forwarded-For} entry that is not itself a trusted proxy (every
 * trusted hop appends the address it saw, so entries left of the first untrusted one were written by
 * the client and prove nothing), or {@code X-Real-IP} when there is no {@code X-Forwarded-For}.
 * Entries are IP literals (an optional port or brackets are dropped); an entry that is not one ends
 * the walk at the last address that was. Never resolves a name (no DNS on an event loop).
 */
public final class ClientAddress {
    private final boolean trustProxyHeaders;
    private final List<Cidr> trusted;

    private ClientAddress(boolean trustProxyHeaders, List<Cidr> trusted) {
        this.trustProxyHeaders = trustProxyHeaders;
        this.trusted = trusted;
    }

    /** From {@code server.rate_limits} ({@code trust_proxy_headers}, {@code trusted_proxy_cidrs}). */
    public static ClientAddress of(OllaConfig.RateLimits cfg) {
        if (cfg == null || !cfg.trustProxyHeaders()) {
            return PEER;
        }
        List<Cidr> cidrs = new ArrayList<>();
        if (cfg.trustedProxyCidrs() != null) {
            for (String c : cfg.trustedProxyCidrs()) {
                cidrs.add(Cidr.parse(c));
            }
        }
        return new ClientAddress(true, List.copyOf(cidrs));
    }

    /** Proxy headers never trusted: the client is the socket peer. */
    public static final ClientAddress PEER = new ClientAddress(false, List.of());

    /**
     * The client address as text.
     *
     * @param peer     the socket peer (null when unknown)
     * @param peerText the peer's address as text
     */
    public String resolve(InetAddress peer, String peerText, HttpHeaders headers) {
        if (!trustProxyHeaders || peer == null || !isTrusted(peer)) {
            return peerText;
        }
        List<String> xff = headers.getAll("X-Forwarded-For");
        if (!xff.isEmpty()) {
            List<String> hops = new ArrayList<>();
            for (String line : xff) {
                for (String part : line.split(",")) {
                    hops.add(part);
                }
            }
            String client = peerText;
            for (int i = hops.size() - 1; i >= 0; i--) {
                InetAddress a = literal(hops.get(i));
                if (a == null) {
                    return client;
                }
                client = a.getHostAddress();
                if (!isTrusted(a)) {
                    return client;
                }
            }
            return client; // every hop is a trusted proxy: the leftmost is the best we know
        }
        InetAddress real = literal(headers.get("X-Real-IP"));
        return real != null ? real.getHostAddress() : peerText;
    }

    private boolean isTrusted(InetAddress a) {
        for (Cidr c : trusted) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** An IP literal, optionally {@code [v6]}, {@code [v6]:port} or {@code v4:port}; null otherwise. */
    static InetAddress literal(String text) {
        if (text == null) {
            return null;
        }
        String s = text.strip();
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                return null;
            }
            s = s.substring(1, close);
        } else {
            int colon = s.indexOf(':');
            if (colon > 0 && s.indexOf(':', colon + 1) < 0) {
                s = s.substring(0, colon); // v4:port
            }
        }
        if (s.isEmpty() || s.length() > 64) {
            return null;
        }
        return NetUtil.createInetAddressFromIpAddressString(s);
    }
}
