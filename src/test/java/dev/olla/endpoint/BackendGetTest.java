package dev.olla.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.olla.config.OllaConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared backend GET against plain sockets on loopback whose bytes each test writes. */
class BackendGetTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final List<Raw> servers = new CopyOnWriteArrayList<>();
    private final ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();
    private final BackendGet get = new BackendGet("olla-Test/1", Map.of("Accept", "application/json"));

    @AfterEach
    void tearDown() {
        servers.forEach(Raw::close);
        io.shutdownNow();
    }

    /** A request as the server saw it (header names lower-case). */
    record Seen(String line, Map<String, String> headers) {}

    @FunctionalInterface
    interface Answer {
        void write(Seen request, OutputStream out) throws Exception;
    }

    /** A loopback server answering every connection with {@code answer}. */
    final class Raw implements AutoCloseable {
        final ServerSocket socket;
        final List<Seen> seen = new CopyOnWriteArrayList<>();

        Raw(Answer answer) throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket c = socket.accept();
                        Thread.ofVirtual().start(() -> serve(c, answer));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            servers.add(this);
        }

        private void serve(Socket c, Answer answer) {
            try (c) {
                BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
                String line = r.readLine();
                Map<String, String> headers = new LinkedHashMap<>();
                for (String h = r.readLine(); h != null && !h.isEmpty(); h = r.readLine()) {
                    int colon = h.indexOf(':');
                    headers.put(h.substring(0, colon).toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
                }
                Seen s = new Seen(line, headers);
                seen.add(s);
                answer.write(s, c.getOutputStream());
                c.getOutputStream().flush();
            } catch (Exception ignored) {
                // the client went away
            }
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static Endpoint endpoint(String url, Map<String, String> headers) {
        URI u = URI.create(url);
        return new Endpoint("ep", u, "ollama", 100, false, URI.create(url + "/health"), URI.create(url + "/api/tags"),
                Duration.ofSeconds(5), TIMEOUT, OllaConfig.Filter.ALL, headers, Set.of());
    }

    private BackendGet.Response fetch(String url, Map<String, String> headers, String path, int maxBody)
            throws BackendGet.Failure {
        Endpoint ep = endpoint(url, headers);
        return get.fetch(ep, BackendGet.under(ep, path), TIMEOUT, maxBody);
    }

    private BackendGet.Kind failure(String url, String path, int maxBody, Duration timeout) {
        Endpoint ep = endpoint(url, Map.of());
        try {
            get.fetch(ep, BackendGet.under(ep, path), timeout, maxBody);
        } catch (BackendGet.Failure f) {
            return f.kind();
        }
        throw new AssertionError("no failure");
    }

    private BackendGet.Failure failed(String url, String path, int maxBody, Duration timeout) {
        Endpoint ep = endpoint(url, Map.of());
        try {
            get.fetch(ep, BackendGet.under(ep, path), timeout, maxBody);
        } catch (BackendGet.Failure f) {
            return f;
        }
        throw new AssertionError("no failure");
    }

    @Test
    void sendsTheCallersAndTheEndpointsHeadersButNeverFramingOnes() throws Exception {
        Raw s = new Raw((req, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer sekret");
        headers.put("X-Team", "ml");
        headers.put("accept", "text/plain"); // the endpoint's own value wins
        headers.put("Host", "spoofed.example");
        headers.put("Transfer-Encoding", "chunked");
        headers.put("X-Bad", "a\r\nInjected: yes");
        BackendGet.Response r = fetch(s.url() + "/base", headers, "/api/tags?x=1", 1024);
        assertThat(r.status()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("ok");
        Seen seen = s.seen.get(0);
        assertThat(seen.line()).isEqualTo("GET /base/api/tags?x=1 HTTP/1.1");
        assertThat(seen.headers()).containsEntry("host", "127.0.0.1:" + s.socket.getLocalPort())
                .containsEntry("user-agent", "olla-Test/1").containsEntry("accept", "text/plain")
                .containsEntry("authorization", "Bearer sekret").containsEntry("x-team", "ml")
                .containsEntry("connection", "close").doesNotContainKeys("transfer-encoding", "x-bad", "injected");
    }

    @Test
    void readsEveryBodyFramingAndCapsIt() throws Exception {
        Raw chunked = new Raw((req, out) -> write(out,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"));
        assertThat(new String(fetch(chunked.url(), Map.of(), "/", 1024).body(), StandardCharsets.UTF_8))
                .isEqualTo("hello world");
        Raw untilClose = new Raw((req, out) -> write(out, "HTTP/1.0 200 OK\r\n\r\nall of it"));
        assertThat(new String(fetch(untilClose.url(), Map.of(), "/", 1024).body(), StandardCharsets.UTF_8))
                .isEqualTo("all of it");
        Raw interim = new Raw((req, out) -> write(out,
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nRetry-After: 3\r\n\r\n"));
        BackendGet.Response r = fetch(interim.url(), Map.of(), "/", 1024);
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.header("Retry-After")).isEqualTo("3");

        assertThat(failure(chunked.url(), "/", 8, TIMEOUT)).isEqualTo(BackendGet.Kind.TOO_LARGE);
        assertThat(failed(chunked.url(), "/", 8, TIMEOUT).getMessage()).isEqualTo("response body larger than 8 bytes");
        Raw big = new Raw((req, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
        assertThat(failure(big.url(), "/", 1024, TIMEOUT)).isEqualTo(BackendGet.Kind.TOO_LARGE);
        assertThat(failure(untilClose.url(), "/", 4, TIMEOUT)).isEqualTo(BackendGet.Kind.TOO_LARGE);
        // no body wanted (a probe): the head is enough, whatever follows
        assertThat(fetch(big.url(), Map.of(), "/", 0).body()).isEmpty();
        // an error answer's body is not read
        Raw error = new Raw((req, out) -> write(out, "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nboom"));
        assertThat(fetch(error.url(), Map.of(), "/", 1024).body()).isEmpty();
    }

    @Test
    void followsRedirectsOnlyWithinTheOrigin() throws Exception {
        Raw other = new Raw((req, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nother"));
        Raw s = new Raw((req, out) -> {
            if (req.line().startsWith("GET /v1/models ")) {
                write(out, "HTTP/1.1 301 Moved\r\nLocation: /v1/models/\r\nContent-Length: 0\r\n\r\n");
            } else if (req.line().startsWith("GET /away ")) {
                write(out, "HTTP/1.1 302 Found\r\nLocation: " + other.url() + "/steal\r\nContent-Length: 0\r\n\r\n");
            } else if (req.line().startsWith("GET /loop ")) {
                write(out, "HTTP/1.1 307 Again\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
            } else {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhere");
            }
        });
        BackendGet.Response r = fetch(s.url(), Map.of("Authorization", "Bearer sekret"), "/v1/models", 1024);
        assertThat(r.status()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("here");
        assertThat(s.seen.get(1).headers()).containsEntry("authorization", "Bearer sekret"); // same origin

        r = fetch(s.url(), Map.of("Authorization", "Bearer sekret"), "/away", 1024);
        assertThat(r.status()).isEqualTo(302); // another origin: returned, not followed
        assertThat(other.seen).isEmpty(); // the credentials never went there

        r = fetch(s.url(), Map.of(), "/loop", 1024);
        assertThat(r.status()).isEqualTo(307);
        assertThat(s.seen.stream().filter(x -> x.line().startsWith("GET /loop ")).count())
                .isEqualTo(1 + BackendGet.MAX_REDIRECTS);
    }

    @Test
    void classifiesEveryFailure() throws Exception {
        int closedPort;
        try (ServerSocket free = new ServerSocket(0)) {
            closedPort = free.getLocalPort();
        }
        assertThat(failure("http://127.0.0.1:" + closedPort, "/", 0, TIMEOUT)).isEqualTo(BackendGet.Kind.REFUSED);
        assertThat(failed("http://127.0.0.1:" + closedPort, "/", 0, TIMEOUT).getMessage()).isEqualTo("connection refused");

        Raw silent = new Raw((req, out) -> Thread.sleep(10_000));
        long t0 = System.nanoTime();
        assertThat(failure(silent.url(), "/", 0, Duration.ofMillis(300))).isEqualTo(BackendGet.Kind.TIMEOUT);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
        assertThat(failed(silent.url(), "/", 0, Duration.ofMillis(300)).getMessage()).isEqualTo("timeout after 300ms");

        // a body that trickles in: the deadline covers the whole call, not each read
        Raw trickle = new Raw((req, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
            for (int i = 0; i < 100; i++) {
                write(out, "x");
                Thread.sleep(50);
            }
        });
        t0 = System.nanoTime();
        assertThat(failure(trickle.url(), "/", 1024, Duration.ofMillis(500))).isEqualTo(BackendGet.Kind.TIMEOUT);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);

        Raw notHttp = new Raw((req, out) -> write(out, "\u0016\u0003\u0001 garbage\r\n"));
        assertThat(failure(notHttp.url(), "/", 0, TIMEOUT)).isEqualTo(BackendGet.Kind.BAD_RESPONSE);
        assertThat(failed(notHttp.url(), "/", 0, TIMEOUT).getMessage()).startsWith("malformed HTTP response: ")
                .doesNotContain("Exception");
        Raw hangUp = new Raw((req, out) -> { });
        assertThat(failure(hangUp.url(), "/", 0, TIMEOUT)).isEqualTo(BackendGet.Kind.BROKEN);
        Raw cut = new Raw((req, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
        assertThat(failure(cut.url(), "/", 1024, TIMEOUT)).isEqualTo(BackendGet.Kind.BROKEN);
        Raw badChunk = new Raw((req, out) -> write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        assertThat(failure(badChunk.url(), "/", 1024, TIMEOUT)).isEqualTo(BackendGet.Kind.BAD_RESPONSE);

        Endpoint ep = endpoint("http://127.0.0.1:1", Map.of());
        assertThatThrownBy(() -> get.fetch(ep, URI.create("ftp://127.0.0.1/x"), TIMEOUT, 0))
                .isInstanceOfSatisfying(BackendGet.Failure.class, f -> assertThat(f.kind()).isEqualTo(BackendGet.Kind.BAD_URL));
        // a TLS handshake with a server that is not TLS fails as TLS, in words
        Raw plain = new Raw((req, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assertThatThrownBy(() -> get.fetch(ep, URI.create("https://127.0.0.1:" + plain.socket.getLocalPort() + "/"),
                TIMEOUT, 0)).isInstanceOfSatisfying(BackendGet.Failure.class, f -> {
                    assertThat(f.kind()).isIn(BackendGet.Kind.TLS, BackendGet.Kind.BROKEN);
                    assertThat(f.getMessage()).doesNotContain("Exception");
                });
    }

    @Test
    void cancellingAnAsyncCallInterruptsItAndClosesTheConnection() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        Raw silent = new Raw((req, out) -> {
            try {
                for (int i = 0; i < 500; i++) { // blank lines (skipped by a client) until the client hangs up
                    write(out, "\r\n");
                    Thread.sleep(20);
                }
            } catch (IOException gone) {
                closed.countDown();
            }
        });
        Endpoint ep = endpoint(silent.url(), Map.of());
        CompletableFuture<BackendGet.Response> call = get.fetchAsync(io, ep, BackendGet.under(ep, "/"),
                Duration.ofSeconds(30), 0);
        assertThat(awaitSeen(silent)).isTrue();
        call.cancel(true);
        io.shutdown();
        assertThat(io.awaitTermination(2, TimeUnit.SECONDS)).as("the call's thread ended").isTrue();
        assertThat(closed.await(5, TimeUnit.SECONDS)).as("the connection was closed").isTrue();
    }

    private static boolean awaitSeen(Raw s) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (s.seen.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return !s.seen.isEmpty();
    }
}
