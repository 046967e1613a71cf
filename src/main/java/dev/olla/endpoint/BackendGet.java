package dev.olla.endpoint;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way background services (health probes, model discovery, capacity polls) GET something
 * from a backend. Blocking for its caller: run it on a virtual thread ({@link #fetchAsync}), never on an
 * event loop. The wire is Netty ({@link BackendWire}: {@code HttpClientCodec} and {@link ResponseReader}
 * on one small shared event loop); this class holds the policies.
 *
 * <ul>
 *   <li>Headers: {@code Host} from the URL, the caller's {@code User-Agent} and defaults, then the
 *       endpoint's {@link Endpoint#requestHeaders()} (custom headers + auth) on top, except the
 *       framing names this client sets itself ({@link #FRAMING}: skipped, one warning per endpoint
 *       and name). {@code Connection: close}: one connection per call, no pool to keep.</li>
 *   <li>Redirects: followed only within the requested URL's origin (scheme, host, port), at most
 *       {@value #MAX_REDIRECTS} times, so an endpoint's credentials never go to another host; any
 *       other redirect is returned as the 3xx answer it is.</li>
 *   <li>Time: one deadline for the whole call (connect, TLS, head, body, every redirect), enforced
 *       by a timer on the channel's event loop (the caller waits on the answer's future).</li>
 *   <li>Body: read only for a 2xx answer and only when the caller wants one ({@code maxBody > 0});
 *       Content-Length, chunked or close-delimited (Netty's decoder); more than {@code maxBody} bytes fails the call.</li>
 *   <li>Failures: every way a call can go wrong is a {@link Failure} of one {@link Kind} with a
 *       short message in words ({@code connection refused}, {@code timeout after 2000ms}).</li>
 *   <li>TLS: only for {@code https} URLs; a Netty client {@code SslContext} with the JDK's usual trust store,
 *       created on the first https call, with host name verification.</li>
 * </ul>
 */
public final class BackendGet {
    private static final Logger LOG = LoggerFactory.getLogger(BackendGet.class);

    static final int MAX_REDIRECTS = 3;
    /** Header names this client sets (or must not send): never copied from an endpoint's headers. */
    static final Set<String> FRAMING = Set.of("host", "connection", "content-length", "transfer-encoding", "expect",
            "upgrade", "te", "keep-alive", "proxy-connection", "trailer");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** How a call failed. */
    public enum Kind {
        /** The URL cannot be requested (scheme, host). */
        BAD_URL,
        UNKNOWN_HOST,
        REFUSED,
        /** No route to the host, network unreachable. */
        UNREACHABLE,
        CONNECT_TIMEOUT,
        /** The deadline passed after connecting. */
        TIMEOUT,
        TLS,
        /** The connection broke or closed before the answer was complete. */
        BROKEN,
        /** Not HTTP, or malformed HTTP. */
        BAD_RESPONSE,
        /** The body is larger than the caller's cap. */
        TOO_LARGE,
        /** The call was cancelled (its service is closing). */
        CANCELLED;

        /** Whether the backend gave no usable HTTP answer (down, unreachable, too slow). */
        public boolean noAnswer() {
            return this != BAD_URL && this != TOO_LARGE;
        }
    }

    /** A failed call: its {@link Kind} and a short message in words. */
    public static final class Failure extends IOException {
        private final Kind kind;

        public Failure(Kind kind, String message) {
            super(message, null);
            this.kind = Objects.requireNonNull(kind);
        }

        public Kind kind() {
            return kind;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // an expected outcome, not a bug: no stack trace
        }
    }

    /**
     * An HTTP answer (any status).
     *
     * @param headers lower-case name -> first value
     * @param body the 2xx body when one was asked for, else empty
     * @param nanos how long the call took
     */
    public record Response(int status, Map<String, String> headers, byte[] body, long nanos) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final String userAgent;
    private final Map<String, String> defaults;
    /** Tests: their own TLS trust; null = the default context, created on the first https call. */
    private final SslContext tls;

    /**
     * @param userAgent who asks ({@code olla-HealthChecker/<version>})
     * @param defaults the caller's other headers ({@code Accept} ...); an endpoint's own headers win
     */
    public BackendGet(String userAgent, Map<String, String> defaults) {
        this(userAgent, defaults, null);
    }

    BackendGet(String userAgent, Map<String, String> defaults, SslContext tls) {
        this.userAgent = Objects.requireNonNull(userAgent);
        this.defaults = Map.copyOf(defaults);
        this.tls = tls;
    }

    /** {@code path} under the endpoint's base URL ({@code /slots} -> {@code http://host:port/base/slots}). */
    public static URI under(Endpoint ep, String path) {
        return URI.create(ep.url().getScheme() + "://" + ep.authority() + ep.basePath()
                + (path.startsWith("/") ? path : "/" + path));
    }

    /**
     * {@link #fetch} on {@code executor} (virtual threads). The future fails with a {@link Failure};
     * cancelling it interrupts the call, which closes its connection.
     */
    public CompletableFuture<Response> fetchAsync(ExecutorService executor, Endpoint ep, URI uri, Duration timeout,
            int maxBody) {
        Call call = new Call();
        try {
            call.task = executor.submit(() -> {
                if (call.isDone()) {
                    return;
                }
                try {
                    call.complete(fetch(ep, uri, timeout, maxBody));
                } catch (Failure f) {
                    call.completeExceptionally(f);
                } catch (RuntimeException e) {
                    call.completeExceptionally(new Failure(Kind.BAD_RESPONSE, describeOther(e)));
                }
            });
        } catch (RejectedExecutionException closed) {
            call.completeExceptionally(new Failure(Kind.CANCELLED, "closed"));
        }
        return call;
    }

    /** A future whose cancellation interrupts the running call. */
    private static final class Call extends CompletableFuture<Response> {
        volatile Future<?> task;

        @Override
        public boolean cancel(boolean mayInterrupt) {
            boolean done = super.cancel(mayInterrupt);
            Future<?> t = task;
            if (t != null) {
                t.cancel(true);
            }
            return done;
        }
    }

    /** GETs {@code uri} for endpoint {@code ep} within {@code timeout}. Blocking. */
    public Response fetch(Endpoint ep, URI uri, Duration timeout, int maxBody) throws Failure {
        long start = System.nanoTime();
        long deadline = start + Math.max(1, timeout.toNanos());
        URI at = uri;
        for (int hop = 0; ; hop++) {
            Response r = once(ep, at, deadline, timeout, maxBody, start);
            String location = r.status() >= 300 && r.status() < 400 ? r.header("location") : null;
            if (location == null || hop >= MAX_REDIRECTS) {
                return r;
            }
            URI next;
            try {
                next = at.resolve(location.strip());
            } catch (IllegalArgumentException bad) {
                return r;
            }
            if (!sameOrigin(at, next)) {
                return r;
            }
            at = next;
        }
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private Response once(Endpoint ep, URI uri, long deadline, Duration timeout, int maxBody, long start)
            throws Failure {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new Failure(Kind.BAD_URL, "not an http(s) URL: " + uri);
        }
        String host = uri.getHost();
        // resolved here, on the caller's (virtual) thread: never a blocking lookup on the event loop
        InetSocketAddress address = new InetSocketAddress(host, port(uri));
        if (address.isUnresolved()) {
            throw new Failure(Kind.UNKNOWN_HOST, "unknown host: " + host);
        }
        SslContext context = null;
        if (scheme.equals("https")) {
            try {
                context = tls != null ? tls : BackendWire.defaultTls();
            } catch (IllegalStateException e) {
                throw new Failure(Kind.TLS, "TLS error: " + e.getMessage());
            }
        }
        CompletableFuture<Response> answer = BackendWire.exchange(address, host, context, request(ep, uri), maxBody,
                start, deadline, timeout);
        try {
            // the event loop's timer fails the call at the deadline; this wait is only a backstop
            long left = Math.max(0, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1);
            return answer.get(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            answer.completeExceptionally(new Failure(Kind.CANCELLED, "cancelled")); // closes the channel
            Thread.currentThread().interrupt();
            throw new Failure(Kind.CANCELLED, "cancelled");
        } catch (TimeoutException e) {
            Failure f = new Failure(Kind.TIMEOUT, "timeout after " + timeout.toMillis() + "ms");
            answer.completeExceptionally(f);
            throw f;
        } catch (ExecutionException e) {
            throw BackendWire.classify(e.getCause(), timeout);
        }
    }

    FullHttpRequest request(Endpoint ep, URI uri) {
        String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            target += "?" + uri.getRawQuery();
        }
        String authority = uri.getHost().contains(":") ? "[" + uri.getHost() + "]" : uri.getHost();
        if (uri.getPort() > 0) {
            authority += ":" + uri.getPort();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("User-Agent", userAgent);
        defaults.forEach(headers::put);
        for (Map.Entry<String, String> h : ep.requestHeaders().entrySet()) {
            String name = h.getKey();
            String lower = name.toLowerCase(Locale.ROOT);
            String value = h.getValue() == null ? "" : h.getValue();
            if (FRAMING.contains(lower) || !token(name) || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                if (WARNED.add(ep.name() + "\0" + lower)) {
                    LOG.warn("endpoint {}: header {} is not sent on health probes, model discovery or capacity polls"
                            + " ({})", ep.name(), name, FRAMING.contains(lower) ? "set by the client itself"
                                    : "not a valid header");
                }
                continue;
            }
            headers.keySet().removeIf(k -> k.equalsIgnoreCase(name));
            headers.put(name, value);
        }
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target,
                Unpooled.EMPTY_BUFFER);
        request.headers().set("Host", authority);
        headers.forEach((k, v) -> request.headers().set(k, v));
        request.headers().set("Connection", "close");
        return request;
    }

    private static boolean token(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static String describeOther(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
