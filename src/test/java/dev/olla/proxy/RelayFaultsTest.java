package dev.olla.proxy;

import static dev.olla.proxy.ProxyStreamingTest.awaitTrue;
import static dev.olla.proxy.ScriptedBackend.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointState;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The relay against bad peers, over real sockets, for both engines: broken chunks either way, a
 * reply that is not HTTP, a non-streamed body over the buffer cap, an abort that still delivers
 * what was relayed, and a client that stops reading.
 */
class RelayFaultsTest {
    static volatile boolean firehoseStop;
    static final String NOT_STREAMED = "{\"stream\":false}";

    ScriptedBackend backend;
    TestOlla olla;

    @AfterEach
    void stop() throws Exception {
        if (olla != null) {
            olla.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** The answers, by path. */
    static boolean answer(ScriptedBackend.Request r, OutputStream out) throws Exception {
        switch (r.path()) {
            case "/v1/broken-stream" -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "b\r\ndata: one\n\n\r\n" + "zz\r\nbroken\r\n"));
                return true; // the connection stays open: it must not go back to the pool
            }
            case "/v1/broken-json" -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\n{\"a\":\r\n" + "zz\r\n1}\r\n"));
                return true;
            }
            case "/v1/not-http" -> {
                // what a TLS server says to a plain-text client: an alert record, then it hangs up
                out.write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46, '\r', '\n', '\r', '\n'});
                return false;
            }
            case "/v1/big" -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
                        + "x".repeat(10000)));
                return true;
            }
            case "/v1/big-chunked" -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
                for (int i = 0; i < 3; i++) {
                    out.write(ascii("fa0\r\n" + "y".repeat(4000) + "\r\n"));
                }
                out.write(ascii("0\r\n\r\n"));
                return true;
            }
            case "/v1/big-stream" -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"));
                for (int i = 0; i < 3; i++) {
                    out.write(ascii("fa0\r\n" + "z".repeat(4000) + "\r\n"));
                }
                out.write(ascii("0\r\n\r\n"));
                return true;
            }
            case "/v1/firehose" -> {
                // events as fast as the proxy takes them until the test says stop, then the backend dies
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"));
                for (int i = 0; !firehoseStop; i++) {
                    out.write(ascii(Integer.toHexString(event(i).length()) + "\r\n" + event(i) + "\r\n"));
                }
                out.flush();
                throw new ScriptedBackend.Reset(); // dies (a reset) without ending the body
            }
            case "/v1/endless" -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"));
                String event = "data: " + "e".repeat(1000) + "\n\n";
                byte[] chunk = ascii(Integer.toHexString(event.length()) + "\r\n" + event + "\r\n");
                while (true) {
                    out.write(chunk); // blocks once nobody reads; fails once the proxy hangs up
                }
            }
            default -> {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"));
                return true;
            }
        }
    }

    private void start(String engine, Object... settings) throws Exception {
        backend = new ScriptedBackend(RelayFaultsTest::answer);
        TestOlla.Builder b = TestOlla.builder().engine(engine)
                .set("discovery", "model_discovery", Map.of("enabled", false))
                .endpoint("one", backend.url(), "openai-compatible", "health_check_url", backend.url() + "/health");
        for (int i = 0; i < settings.length; i += 3) {
            b.set((String) settings[i], (String) settings[i + 1], settings[i + 2]);
        }
        olla = b.start();
    }

    private int inFlight() {
        return olla.olla().endpoints().all().stream().mapToInt(EndpointState::inFlight).sum();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aMalformedChunkFromTheClientIs400AndNothingIsForwarded(String engine) throws Exception {
        start(engine);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.sendRaw(ascii("POST /olla/openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "8\r\n{\"model\"\r\n" + "zz\r\n:\"m\"}\r\n0\r\n\r\n"));
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 400").contains("application/json").contains("\"error\"")
                    .contains("chunked encoding is invalid");
        }
        Thread.sleep(200);
        assertThat(backend.requests()).as("nothing forwarded").isEmpty();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aMalformedChunkFromTheBackendAbortsTheStreamAndTheConnectionIsNotPooled(String engine) throws Exception {
        start(engine);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("GET", "/olla/openai/v1/broken-stream", null);
            assertThat(c.readToEof(5000)).as("the client's stream ends, no hang").isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("data: one");
            assertThat(c.chunkedComplete()).as("a failure, not a clean end").isFalse();
        }
        assertThat(olla.olla().proxy().stats().failures()).isEqualTo(1);
        long t0 = System.nanoTime();
        HttpResponse<String> next = olla.get("/olla/openai/v1/ok");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("no wait on a poisoned connection").isLessThan(2000);
        assertThat(backend.requests().get(1).connection()).as("a fresh connection")
                .isNotEqualTo(backend.requests().get(0).connection());
        awaitTrue(() -> inFlight() == 0, 2000);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aMalformedChunkInABufferedResponseIs502(String engine) throws Exception {
        start(engine);
        HttpResponse<String> r = olla.post("/olla/openai/v1/broken-json", NOT_STREAMED);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("not valid HTTP");
        HttpResponse<String> next = olla.get("/olla/openai/v1/ok");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(backend.requests().get(1).connection()).isNotEqualTo(backend.requests().get(0).connection());
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aReplyThatIsNotHttpIs502WithoutADoubleRelease(String engine) throws Exception {
        start(engine);
        HttpResponse<String> r = olla.get("/olla/openai/v1/not-http");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("not valid HTTP");
        assertThat(olla.get("/olla/openai/v1/ok").statusCode()).isEqualTo(200);
        awaitTrue(() -> inFlight() == 0, 2000);
        // a buffer released twice would have thrown on the event loop and leaked its pair (NettyLeakCheck)
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aNonStreamedResponseOverTheBufferCapIs502ButAStreamIsNotCapped(String engine) throws Exception {
        start(engine, "proxy", "max_response_buffer", 4096);
        HttpResponse<String> declared = olla.post("/olla/openai/v1/big", NOT_STREAMED);
        assertThat(declared.statusCode()).isEqualTo(502);
        assertThat(declared.body()).contains("response_too_large").contains("proxy.max_response_buffer");
        HttpResponse<String> chunked = olla.post("/olla/openai/v1/big-chunked", NOT_STREAMED);
        assertThat(chunked.statusCode()).isEqualTo(502);
        assertThat(chunked.body()).contains("response_too_large");
        HttpResponse<String> stream = olla.get("/olla/openai/v1/big-stream");
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).hasSize(12000);
        awaitTrue(() -> inFlight() == 0, 2000);
    }

    static String event(int i) {
        return "data: " + String.format("%05d", i) + " " + "p".repeat(500) + "\n\n";
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void anAbortDeliversEverythingAlreadyRelayedToASlowClient(String engine) throws Exception {
        // A slow client keeps the proxy's queue for it between the low and high water marks (the
        // backend paused and resumed in turn) and the kernel's buffers full. The backend dies: the
        // proxy sees it at its next read, with tens of KiB still queued for the client, which must
        // still reach the client before the connection closes (closing at once dropped them).
        firehoseStop = false;
        start(engine);
        try (RawHttp c = new RawHttp(olla.port(), 4096)) {
            c.send("GET", "/olla/openai/v1/firehose", null);
            try {
                awaitTrue(() -> olla.olla().proxy().stats().backpressurePauses() > 0, 30_000);
            } finally {
                Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(1500); // while the client reads slowly
                    } catch (InterruptedException ignored) {
                        // stop now
                    }
                    firehoseStop = true;
                });
            }
            assertThat(c.readSlowlyToEof(4096, 2, 60_000)).isTrue();
            String text = c.text();
            assertThat(text).startsWith("HTTP/1.1 200");
            assertThat(c.chunkedComplete()).as("still reported as a failure").isFalse();
            String body = dechunk(text);
            long relayed = olla.olla().endpoints().byName("one").bytes();
            assertThat(relayed).as("the proxy relayed a good part of the stream").isGreaterThan(256 * 1024);
            assertThat(olla.olla().proxy().stats().failures()).isEqualTo(1);
            assertThat((long) body.length()).as("every byte the proxy relayed reached the client").isEqualTo(relayed);
            int events = body.length() / event(0).length();
            for (int i = 0; i < events; i++) {
                if (!body.startsWith(event(i), i * event(0).length())) {
                    throw new AssertionError("event " + i + " damaged");
                }
            }
        }
        awaitTrue(() -> inFlight() == 0, 2000);
    }

    /** The body of a chunked response as far as it came (the framing removed). */
    static String dechunk(String response) {
        int at = response.indexOf("\r\n\r\n") + 4;
        StringBuilder body = new StringBuilder();
        while (true) {
            int eol = response.indexOf("\r\n", at);
            if (eol < 0) {
                return body.toString();
            }
            int size = Integer.parseInt(response.substring(at, eol).strip(), 16);
            int start = eol + 2;
            if (size == 0 || start + size > response.length()) {
                return body.append(response, start, Math.min(response.length(), start + size)).toString();
            }
            body.append(response, start, start + size);
            at = start + size + 2;
        }
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aClientThatStopsReadingIsDroppedAfterTheWriteTimeout(String engine) throws Exception {
        start(engine, "server", "write_timeout", "1s");
        try (RawHttp c = new RawHttp(olla.port(), 4096)) {
            c.send("GET", "/olla/openai/v1/endless", null);
            // the kernel's loopback buffers (up to ~4 MiB) fill first: slow on a loaded machine
            awaitTrue(() -> olla.olla().proxy().stats().backpressurePauses() > 0, 40_000);
            long t0 = System.nanoTime();
            awaitTrue(() -> olla.olla().proxy().stats().writeStalls() == 1, 5000);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(500L, 3000L);
            awaitTrue(() -> inFlight() == 0, 2000);
            awaitTrue(() -> backend.openConnections() == 0, 5000);
            assertThat(olla.olla().endpoints().byName("one").routable()).as("the backend is not blamed").isTrue();
        }
    }
}
