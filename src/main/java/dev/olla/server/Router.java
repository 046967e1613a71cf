package dev.olla.server;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Path -> handler table. Exact paths win over prefixes; among prefixes the longest wins. A path that
 * exists with other methods answers 405, an unknown path 404. Built once at start-up, then read-only.
 */
public final class Router {
    /** A matched route, or the reason none matched. */
    public record Match(Handler handler, boolean proxyRoute, int status) {
        public boolean found() {
            return handler != null;
        }
    }

    private record Route(Set<HttpMethod> methods, Handler handler, boolean proxyRoute, Match match) {
        Route(Set<HttpMethod> methods, Handler handler, boolean proxyRoute) {
            this(methods, handler, proxyRoute, new Match(handler, proxyRoute, 200));
        }

        boolean allows(HttpMethod m) {
            return methods.isEmpty() || methods.contains(m);
        }
    }

    private record PrefixRoute(String prefix, Route route) {}

    private final Map<String, List<Route>> exact = new HashMap<>();
    private final List<PrefixRoute> prefixes = new ArrayList<>();
    private final List<PrefixBody> errorBodies = new ArrayList<>();
    private static final Match NOT_FOUND = new Match(null, false, 404);
    private static final Match NOT_ALLOWED = new Match(null, false, 405);

    /** GET (and HEAD) on an exact path. */
    public Router get(String path, Handler handler) {
        return exact(path, Set.of(HttpMethod.GET, HttpMethod.HEAD), handler);
    }

    public Router post(String path, Handler handler) {
        return exact(path, Set.of(HttpMethod.POST), handler);
    }

    /** Any method on an exact path. */
    public Router any(String path, Handler handler) {
        return exact(path, Set.of(), handler);
    }

    public Router exact(String path, Set<HttpMethod> methods, Handler handler) {
        exact.computeIfAbsent(path, k -> new ArrayList<>()).add(new Route(methods, handler, false));
        return this;
    }

    /**
     * Every path under {@code prefix} (which should end in '/'), any method. Proxy routes get the
     * rate limits and the proxy's request-size rules.
     */
    public Router prefix(String prefix, Handler handler, boolean proxyRoute) {
        prefixes.add(new PrefixRoute(prefix, new Route(Set.of(), handler, proxyRoute)));
        prefixes.sort(Comparator.comparingInt((PrefixRoute p) -> p.prefix.length()).reversed());
        index();
        return this;
    }

    /**
     * Prefixes with at least three '/' grouped by their text up to the third one: a path can only
     * start with the prefixes of its own group, and any of them is longer than every prefix with
     * fewer slashes that it also starts with. So resolving looks at one group, then the short ones,
     * instead of testing every prefix (dozens: one per profile and per model-retrieve path);
     * longest first within each, as the whole list is sorted.
     */
    private Map<String, PrefixRoute[]> byThirdSlash = Map.of();
    private PrefixRoute[] shortPrefixes = new PrefixRoute[0];

    private void index() {
        Map<String, List<PrefixRoute>> groups = new HashMap<>();
        List<PrefixRoute> shorter = new ArrayList<>();
        for (PrefixRoute p : prefixes) {
            int k = thirdSlash(p.prefix);
            if (k < 0) {
                shorter.add(p);
            } else {
                groups.computeIfAbsent(p.prefix.substring(0, k + 1), x -> new ArrayList<>()).add(p);
            }
        }
        Map<String, PrefixRoute[]> index = new HashMap<>();
        groups.forEach((key, list) -> index.put(key, list.toArray(PrefixRoute[]::new)));
        byThirdSlash = index;
        shortPrefixes = shorter.toArray(PrefixRoute[]::new);
    }

    /** Index of the third '/' in {@code s}, or -1. */
    private static int thirdSlash(String s) {
        int from = 0;
        for (int n = 0; n < 3; n++) {
            int i = s.indexOf('/', from);
            if (i < 0) {
                return -1;
            }
            from = i + 1;
        }
        return from - 1;
    }

    /**
     * Olla's own errors on every path under {@code prefix} are written by {@code body} (the longest
     * registered prefix wins; {@link ErrorBody#OPENAI} restores the default below a prefix).
     */
    public Router errorBody(String prefix, ErrorBody body) {
        errorBodies.add(new PrefixBody(prefix, body));
        errorBodies.sort(Comparator.comparingInt((PrefixBody p) -> p.prefix.length()).reversed());
        return this;
    }

    /** The error writer for a request path: the registered one, else {@link ErrorBody#OPENAI}. */
    public ErrorBody errorBodyFor(String path) {
        for (PrefixBody p : errorBodies) {
            if (path.startsWith(p.prefix)) {
                return p.body;
            }
        }
        return ErrorBody.OPENAI;
    }

    private record PrefixBody(String prefix, ErrorBody body) {
    }

    /** Exact paths registered with methods only; used to list routes at start-up. */
    public List<String> paths() {
        List<String> all = new ArrayList<>(exact.keySet());
        prefixes.forEach(p -> all.add(p.prefix + "*"));
        all.sort(String::compareTo);
        return all;
    }

    public Match resolve(HttpMethod method, String path) {
        List<Route> routes = exact.get(path);
        if (routes != null) {
            for (Route r : routes) {
                if (r.allows(method)) {
                    return r.match;
                }
            }
            return NOT_ALLOWED;
        }
        int k = thirdSlash(path);
        PrefixRoute[] group = k < 0 ? null : byThirdSlash.get(path.substring(0, k + 1));
        if (group != null) {
            for (PrefixRoute p : group) {
                if (path.startsWith(p.prefix)) {
                    return p.route.allows(method) ? p.route.match : NOT_ALLOWED;
                }
            }
        }
        for (PrefixRoute p : shortPrefixes) {
            if (path.startsWith(p.prefix)) {
                return p.route.allows(method) ? p.route.match : NOT_ALLOWED;
            }
        }
        return NOT_FOUND;
    }
}
