package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server's limits and lifecycle over a real socket. */
class ServerLimitsTest {
    SimulatedBackend sim;
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    private TestOlla.Builder base() {
        sim = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0).modelNames("llama3.2:3b")
                .tokens(3).interTokenDelay(Duration.ZERO).build().start();
        return TestOlla.builder().endpoint("one", sim.baseUrl(), "ollama");
    }

    @Test
    void healthAnswersAnyMethodAndVersionCarriesVersionAndCommit() throws Exception {
        olla = base().start();
        for (String method : new String[] {"GET", "POST", "HEAD", "PUT"}) {
            HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/internal/health"))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(method).isEqualTo(200);
            if (!method.equals("HEAD")) {
                assertThat(r.body()).isEqualTo("{\"status\":\"healthy\"}");
            }
        }
        HttpResponse<String> v = olla.get("/version");
        assertThat(v.statusCode()).isEqualTo(200);
        assertThat(v.body()).contains("\"version\":").contains("\"commit\":").contains("\"name\":\"Olla\"");
    }

    @Test
    void unknownPathIsJson404() throws Exception {
        olla = base().start();
        HttpResponse<String> r = olla.get("/no/such/thing");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).startsWith("{\"error\":{\"message\":");
    }

    @Test
    void bodyLargerThanTheLimitIs413FromContentLength() throws Exception {
        olla = base().set("server", "request_limits", java.util.Map.of("max_body_size", 1024)).start();
        HttpResponse<String> r = olla.post("/olla/ollama/api/chat", "{\"model\":\"x\",\"pad\":\"" + "a".repeat(2000) + "\"}");
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("Request body too large");
        assertThat(sim.stats().requests("/api/chat")).isZero();
    }

    @Test
    void chunkedBodyLargerThanTheLimitIs413() throws Exception {
        olla = base().set("server", "request_limits", java.util.Map.of("max_body_size", 1024)).start();
        try (RawHttp c = new RawHttp(olla.port())) {
            StringBuilder req = new StringBuilder("POST /olla/ollama/api/chat HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 5; i++) {
                req.append("200\r\n").append("a".repeat(512)).append("\r\n");
            }
            req.append("0\r\n\r\n");
            c.sendRaw(req.toString().getBytes(StandardCharsets.US_ASCII));
            c.readToEof(3000);
            assertThat(c.text()).startsWith("HTTP/1.1 413").contains("Request body too large");
        }
        assertThat(sim.stats().requests("/api/chat")).isZero();
    }

    @Test
    void headersLargerThanTheLimitGetA431JsonResponse() throws Exception {
        olla = base().set("server", "request_limits", java.util.Map.of("max_header_size", 8192)).start();
        try (RawHttp c = new RawHttp(olla.port())) {
            String req = "GET /internal/health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n";
            c.sendRaw(req.getBytes(StandardCharsets.US_ASCII));
            c.readToEof(3000);
            assertThat(c.text()).startsWith("HTTP/1.1 431").contains("Request headers too large");
        }
    }

    @Test
    void slowlorisHeadersAreCutAfterReadHeaderTimeout() throws Exception {
        olla = base().server("read_header_timeout", "300ms").start();
        try (RawHttp c = new RawHttp(olla.port())) {
            long t0 = System.nanoTime();
            c.sendRaw("GET /internal/health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(100);
            c.sendRaw("a".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readToEof(3000)).as("closed by the server").isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isBetween(250L, 1500L);
            assertThat(c.text()).isEmpty();
        }
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnectionAndPipelinesInOrder() throws Exception {
        olla = base().start();
        try (RawHttp c = new RawHttp(olla.port())) {
            String one = "GET /internal/health HTTP/1.1\r\nHost: x\r\n\r\n";
            String two = "GET /version HTTP/1.1\r\nHost: x\r\n\r\n";
            String three = "GET /olla/ollama/api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            c.sendRaw((one + two + three).getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readToEof(3000)).isTrue();
            String t = c.text();
            int a = t.indexOf("{\"status\":\"healthy\"}");
            int b = t.indexOf("\"name\":\"Olla\"");
            int d = t.indexOf("\"version\":\"0.12");
            assertThat(a).isPositive();
            assertThat(b).isGreaterThan(a);
            assertThat(d).isGreaterThan(b);
        }
    }

    @Test
    void gracefulShutdownLetsAStreamInFlightFinish() throws Exception {
        sim = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0).modelNames("llama3.2:3b")
                .tokens(10).interTokenDelay(Duration.ofMillis(60)).build().start();
        olla = TestOlla.builder().server("shutdown_timeout", "5s").endpoint("one", sim.baseUrl(), "ollama").start();
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat",
                    "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(c.readUntil("tok1", 3000)).isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(olla::close);
            Thread.sleep(100);
            // no new connections while draining
            assertThat(canConnect(olla.port())).isFalse();
            assertThat(c.readToEof(5000)).isTrue();
            assertThat(c.text()).contains("\"done\":true");
            assertThat(c.chunkedComplete()).isTrue();
            closing.get();
            olla = null;
        }
    }

    private static boolean canConnect(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
