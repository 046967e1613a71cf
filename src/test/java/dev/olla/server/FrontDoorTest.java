package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the front door accepts on the wire: HTTP versions, Host, methods, HTTP/1.0 bodies. */
class FrontDoorTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String STREAM_CHAT = "{\"model\":\"llama3.2:3b\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static SimulatedBackend sim;
    static TestOlla olla;

    @BeforeAll
    static void start() throws Exception {
        sim = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0).modelNames("llama3.2:3b")
                .tokens(5).interTokenDelay(Duration.ZERO).build().start();
        olla = TestOlla.builder().endpoint("one", sim.baseUrl(), "ollama").start();
    }

    @AfterAll
    static void stop() {
        if (olla != null) {
            olla.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    static RawHttp raw(String request) throws Exception {
        RawHttp c = new RawHttp(olla.port());
        c.sendRaw(request.getBytes(StandardCharsets.UTF_8));
        return c;
    }

    static String post(String version, String extraHeaders, String body) {
        return "POST /olla/ollama/api/chat " + version + "\r\nHost: 127.0.0.1\r\n" + extraHeaders
                + "Content-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    static String head(String text) {
        int end = text.indexOf("\r\n\r\n");
        return end < 0 ? text : text.substring(0, end + 2).toLowerCase();
    }

    static String body(String text) {
        int end = text.indexOf("\r\n\r\n");
        return end < 0 ? "" : text.substring(end + 4);
    }

    @Test
    void anUnsupportedHttpVersionIs505() throws Exception {
        for (String v : new String[] {"HTTP/9.9", "HTTP/2.0", "HTTP/0.9"}) {
            try (RawHttp c = raw("GET /internal/health " + v + "\r\nHost: x\r\n\r\n")) {
                assertThat(c.readToEof(5000)).isTrue();
                assertThat(c.text()).as(v).startsWith("HTTP/1.1 505 ");
                assertThat(JSON.readTree(body(c.text())).path("error").path("code").asText())
                        .isEqualTo("http_version_not_supported");
            }
        }
        // a higher HTTP/1.x minor is served as HTTP/1.1
        try (RawHttp c = raw("GET /internal/health HTTP/1.2\r\nHost: x\r\n\r\n")) {
            assertThat(c.readUntil("healthy", 5000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void http11WithoutExactlyOneHostIs400() throws Exception {
        try (RawHttp c = raw("GET /internal/health HTTP/1.1\r\n\r\n")) {
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 400 ").contains("Missing Host header");
        }
        try (RawHttp c = raw("GET /internal/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")) {
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 400 ").contains("More than one Host header");
        }
        // an HTTP/1.0 request with Transfer-Encoding has faulty framing (RFC 9112 6.1, request smuggling):
        // Netty's decoder refuses it and the handler answers 400 and closes
        try (RawHttp c = raw("POST /olla/ollama/api/chat HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Type: application/json\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\n")) {
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 400 ").contains("Transfer-Encoding");
        }
        // HTTP/1.0 has no Host requirement
        try (RawHttp c = raw("GET /internal/health HTTP/1.0\r\n\r\n")) {
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void traceAndConnectAreNotForwarded() throws Exception {
        // (under /olla/ollama/ outside /v1/ the same 501 comes in Ollama's shape: ModelRoutesTest)
        for (String line : new String[] {"TRACE /olla/ollama/v1/trace-me", "TRACE /internal/health",
                "TRACE /olla/proxy/v1/trace-me", "CONNECT 127.0.0.1:443"}) {
            try (RawHttp c = raw(line + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n\r\n")) {
                assertThat(c.readUntil("}}", 5000)).isTrue();
                assertThat(c.text()).as(line).startsWith("HTTP/1.1 501 ").doesNotContain("secret");
                JsonNode err = JSON.readTree(body(c.text())).path("error");
                assertThat(err.path("code").asText()).isEqualTo("method_not_supported");
            }
        }
        assertThat(sim.stats().requests("/api/trace-me") + sim.stats().requests("/v1/trace-me")).isZero();
    }

    @Test
    void aStreamToAnHttp10ClientIsCloseDelimitedNotChunked() throws Exception {
        try (RawHttp c = raw(post("HTTP/1.0", "", STREAM_CHAT))) {
            assertThat(c.readToEof(10_000)).as("closed after the last byte").isTrue();
            String h = head(c.text());
            assertThat(h).startsWith("http/1.1 200 ").doesNotContain("transfer-encoding").doesNotContain("content-length")
                    .contains("connection: close");
            String b = body(c.text());
            // newline-delimited JSON, verbatim: no chunk sizes between the lines
            String[] lines = b.strip().split("\n");
            assertThat(lines.length).isGreaterThan(2);
            for (String line : lines) {
                assertThat(JSON.readTree(line).has("model")).as(line).isTrue();
            }
            assertThat(JSON.readTree(lines[lines.length - 1]).path("done").asBoolean()).isTrue();
        }
        // even when the HTTP/1.0 client asks to keep the connection alive
        try (RawHttp c = raw(post("HTTP/1.0", "Connection: keep-alive\r\n", STREAM_CHAT))) {
            assertThat(c.readToEof(10_000)).isTrue();
            assertThat(head(c.text())).doesNotContain("transfer-encoding").contains("connection: close");
            assertThat(body(c.text())).contains("\"done\":true");
        }
    }

    @Test
    void http10KeepAliveOnlyWhenAskedAndOnlyWithALength() throws Exception {
        try (RawHttp c = raw("GET /internal/health HTTP/1.0\r\n\r\n")) {
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(head(c.text())).contains("connection: close").contains("content-length: ");
        }
        String get = "GET /internal/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        try (RawHttp c = raw(get)) {
            assertThat(c.readUntil("healthy\"}", 5000)).isTrue();
            assertThat(head(c.text())).contains("connection: keep-alive").contains("content-length: ");
            c.sendRaw(get.getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readUntil("healthy\"}HTTP/1.1 200", 5000) || c.text().split("HTTP/1.1 200").length == 3)
                    .as("second response on the same connection").isTrue();
        }
        // a chunked stream to HTTP/1.1 is unchanged
        try (RawHttp c = raw(post("HTTP/1.1", "", STREAM_CHAT))) {
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).isTrue();
            assertThat(head(c.text())).contains("transfer-encoding: chunked").doesNotContain("connection: close");
        }
    }

    @Test
    void aBrokenStreamToAnHttp10ClientEndsWithAnErrorLineItCanTell() throws Exception {
        try (SimulatedBackend dying = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0)
                .modelNames("llama3.2:3b").tokens(50).interTokenDelay(Duration.ofMillis(5)).build().start();
                TestOlla o = TestOlla.builder().endpoint("dying", dying.baseUrl(), "ollama").start().ready()) {
            dying.faults().dropAfterTokens(3);
            String req = post("HTTP/1.0", "", STREAM_CHAT);
            try (java.net.Socket sock = new java.net.Socket("127.0.0.1", o.port())) {
                sock.setSoTimeout(10_000);
                sock.getOutputStream().write(req.getBytes(StandardCharsets.UTF_8));
                java.io.InputStream in = sock.getInputStream();
                java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    got.write(buf, 0, n);
                }
                // a close-delimited body whose backend died ends with Ollama's error line (issue 13), then the close
                assertThat(got.toString(StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200 ").doesNotContain("\"done\":true")
                        .endsWith("\"}\n").contains("{\"error\":\"Proxy error: endpoint dying closed the connection");
            }
        }
    }
}
