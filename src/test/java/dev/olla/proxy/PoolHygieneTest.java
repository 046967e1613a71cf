package dev.olla.proxy;

import static dev.olla.proxy.ProxyStreamingTest.awaitTrue;
import static dev.olla.proxy.ScriptedBackend.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointState;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Backend connection pool hygiene over real sockets, both engines: idle connections are swept after
 * connection_keep_alive, open connections per endpoint are capped (a stream waiting for a slot hears SSE
 * keep-alives meanwhile), and a POST written to a reused connection that then died is not sent to that
 * endpoint again.
 */
class PoolHygieneTest {
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

    private void start(String engine, ScriptedBackend.Script script, Object... proxySettings) throws Exception {
        backend = new ScriptedBackend(script);
        TestOlla.Builder b = TestOlla.builder().engine(engine)
                .set("discovery", "model_discovery", Map.of("enabled", false))
                .endpoint("one", backend.url(), "openai-compatible", "health_check_url", backend.url() + "/health");
        for (int i = 0; i < proxySettings.length; i += 2) {
            b.proxy((String) proxySettings[i], proxySettings[i + 1]);
        }
        olla = b.start();
    }

    static boolean ok(ScriptedBackend.Request r, java.io.OutputStream out) throws Exception {
        if (r.path().startsWith("/v1/slow")) {
            Thread.sleep(300);
        }
        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"));
        return true;
    }

    private int inFlight() {
        return olla.olla().endpoints().all().stream().mapToInt(EndpointState::inFlight).sum();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void idleConnectionsAreClosedAfterTheKeepAliveWithoutAnyRequest(String engine) throws Exception {
        start(engine, PoolHygieneTest::ok, "connection_keep_alive", "1s");
        for (int i = 0; i < 3; i++) {
            assertThat(olla.get("/olla/openai/v1/thing").statusCode()).isEqualTo(200);
        }
        assertThat(backend.openConnections()).isPositive();
        long t0 = System.nanoTime();
        awaitTrue(() -> backend.openConnections() == 0, 4000);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("closed by the sweep, not before").isGreaterThan(500);
        awaitTrue(() -> olla.olla().proxy().engine().pool().idleCount() == 0, 2000);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void openConnectionsPerEndpointAreCappedAndRequestsWaitForASlot(String engine) throws Exception {
        start(engine, PoolHygieneTest::ok, "max_connections_per_endpoint", 2);
        ChannelPool pool = olla.olla().proxy().engine().pool();
        dev.olla.endpoint.Endpoint one = olla.olla().endpoints().byName("one").endpoint();
        java.util.concurrent.atomic.AtomicInteger maxOpen = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (sampling.get()) {
                maxOpen.accumulateAndGet(pool.openCount(one), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            replies.add(TestOlla.client().sendAsync(HttpRequest.newBuilder(olla.uri("/olla/openai/v1/slow?i=" + i))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> r : replies) {
            assertThat(r.get().statusCode()).as(r.get().body()).isEqualTo(200);
        }
        sampling.set(false);
        sampler.join();
        assertThat(backend.requests()).hasSize(8);
        assertThat(maxOpen.get()).as("open connections, as the pool counts them").isBetween(1, 2);
        assertThat(backend.maxConcurrentRequests()).as("requests at the backend at once").isLessThanOrEqualTo(2);
        awaitTrue(() -> inFlight() == 0, 2000);
    }

    /** A streamed chat answer as an OpenAI backend sends it, 1.2 s after the request. */
    static boolean slowStream(ScriptedBackend.Request r, java.io.OutputStream out) throws Exception {
        Thread.sleep(1200);
        String body = "data: {\"choices\":[{\"delta\":{\"content\":\"pool-tok\"}}]}\n\ndata: [DONE]\n\n";
        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body));
        return true;
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aStreamWaitingForAConnectionSlotGetsKeepAlivesThenItsStream(String engine) throws Exception {
        // the cap is reached: the second stream waits for the first one's connection, and its client
        // hears SSE keep-alives meanwhile instead of silence
        start(engine, PoolHygieneTest::slowStream, "max_connections_per_endpoint", 1, "sse_keepalive_interval", "100ms");
        String chat = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (dev.olla.RawHttp first = new dev.olla.RawHttp(olla.port());
             dev.olla.RawHttp second = new dev.olla.RawHttp(olla.port())) {
            first.send("POST", "/olla/openai/v1/chat/completions", chat);
            awaitTrue(() -> backend.requests().size() == 1, 5000);
            second.send("POST", "/olla/openai/v1/chat/completions", chat);
            for (dev.olla.RawHttp c : List.of(second, first)) { // second first: its reads are timed as they come
                assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
                assertThat(c.text()).startsWith("HTTP/1.1 200").contains("pool-tok").contains("data: [DONE]");
            }
            String body = second.text().substring(second.text().indexOf("\r\n\r\n") + 4);
            assertThat(body.indexOf(": keep-alive\n\n")).as(body).isGreaterThanOrEqualTo(0).isLessThan(body.indexOf("data: {"));
            assertThat(second.reads().get(0).atMillis()).as("a keep-alive while the slot is still taken (it frees after 1.2 s)")
                    .isLessThan(900);
        }
        assertThat(backend.maxConcurrentRequests()).as("one connection at a time").isEqualTo(1);
        awaitTrue(() -> inFlight() == 0, 2000);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aPostWrittenToAReusedConnectionThatDiesIsNotReplayed(String engine) throws Exception {
        Map<Integer, Integer> served = new ConcurrentHashMap<>();
        start(engine, (r, out) -> {
            if (served.merge(r.connection(), 1, Integer::sum) > 1) {
                return false; // reads the request, then dies without answering
            }
            return ok(r, out);
        });
        assertThat(olla.post("/olla/openai/v1/chat/completions", "{\"n\":1}").statusCode()).isEqualTo(200);
        HttpResponse<String> second = olla.post("/olla/openai/v1/chat/completions", "{\"n\":2}");
        assertThat(second.statusCode()).as(second.body()).isEqualTo(502);
        assertThat(second.body()).contains("not sent to it again");
        Thread.sleep(200);
        assertThat(backend.requests().stream().filter(r -> r.text().equals("{\"n\":2}")).count())
                .as("the second POST reached the backend once").isEqualTo(1);
        assertThat(olla.olla().proxy().stats().staleReconnects()).isZero();

        // the same with an Idempotency-Key: the client said it is safe to send twice
        assertThat(olla.post("/olla/openai/v1/chat/completions", "{\"n\":3}").statusCode()).isEqualTo(200);
        HttpResponse<String> keyed = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/olla/openai/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "k-4")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\":4}")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(keyed.statusCode()).as(keyed.body()).isEqualTo(200);
        assertThat(olla.olla().proxy().stats().staleReconnects()).isEqualTo(1);
    }
}
