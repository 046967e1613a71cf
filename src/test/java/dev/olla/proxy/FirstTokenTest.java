package dev.olla.proxy;

import static dev.olla.proxy.ProxyStreamingTest.awaitTrue;
import static dev.olla.proxy.ScriptedBackend.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointState;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Streams that survive (issue 13), over real sockets: a held first token with invisible failover
 * (an error event first, a reset after the role chunk, a stall past first_token_timeout), a
 * well-formed error end in the client's protocol when a backend dies after its first tokens
 * (OpenAI SSE, Ollama NDJSON, Anthropic translated), SSE keep-alives before the first byte (never
 * on NDJSON), and hold_first_token off.
 */
class FirstTokenTest {
    static final String CHAT = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String ANTHROPIC = "{\"model\":\"" + ScriptedBackend.MODEL + "\",\"max_tokens\":16,\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    final List<AutoCloseable> open = new ArrayList<>();
    TestOlla olla;

    @AfterEach
    void stop() throws Exception {
        if (olla != null) {
            olla.close();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ scripted answers

    /** How a scripted backend answers a generation request. */
    enum Mode { GOOD, ERROR_FIRST, ERROR_200, RESET_AFTER_ROLE, STALL_AFTER_ROLE, DIES_AFTER_5, SLOW_HEAD, ROLE_PAUSE,
        BIG_PREAMBLE, SLOW_500 }

    static final String HEAD_SSE = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    static final String HEAD_NDJSON = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";

    static String role(String who) {
        return "data: {\"id\":\"" + who + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
    }

    static String token(String who, int i) {
        return "data: {\"id\":\"" + who + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"" + who + "-tok" + i + " \"},\"finish_reason\":null}]}\n\n";
    }

    static String ollama(String who, int i, boolean done) {
        return "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"" + (i < 0 ? "" : who + "-tok" + i + " ")
                + "\"},\"done\":" + done + "}\n";
    }

    static byte[] chunk(String s) {
        return ascii(Integer.toHexString(s.length()) + "\r\n" + s + "\r\n");
    }

    static ScriptedBackend.Script script(String who, Mode mode) {
        return (r, out) -> {
            boolean ndjson = r.path().startsWith("/api/");
            if (mode == Mode.SLOW_HEAD) {
                Thread.sleep(700);
            }
            if (mode == Mode.SLOW_500) {
                Thread.sleep(700);
                String body = "{\"error\":{\"message\":\"" + who + ": model failed to load\",\"type\":\"server_error\"}}";
                out.write(ascii("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body));
                return true;
            }
            if (mode == Mode.ERROR_200) {
                String body = "{\"error\":{\"message\":\"" + who + " has no model loaded\",\"type\":\"server_error\"}}";
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body));
                return true;
            }
            out.write(ascii(ndjson ? HEAD_NDJSON : HEAD_SSE));
            out.flush();
            if (mode == Mode.ERROR_FIRST) {
                out.write(chunk(ndjson ? "{\"error\":\"" + who + " crashed\"}\n"
                        : "data: {\"error\":{\"message\":\"" + who + " crashed\",\"type\":\"server_error\"}}\n\n"));
                out.write(ascii("0\r\n\r\n"));
                return true;
            }
            out.write(chunk(ndjson ? ollama(who, -1, false) : role(who)));
            out.flush();
            switch (mode) {
                case RESET_AFTER_ROLE -> throw new ScriptedBackend.Reset();
                case STALL_AFTER_ROLE -> {
                    Thread.sleep(5000);
                    return false;
                }
                case ROLE_PAUSE -> Thread.sleep(400);
                case BIG_PREAMBLE -> {
                    for (int i = 0; i < 80; i++) { // 80 KB of comments: more than the gate holds
                        out.write(chunk(": " + "p".repeat(996) + "\n\n"));
                    }
                    out.flush();
                    Thread.sleep(1000);
                }
                default -> { }
            }
            int n = mode == Mode.DIES_AFTER_5 ? 5 : 3;
            for (int i = 0; i < n; i++) {
                out.write(chunk(ndjson ? ollama(who, i, false) : token(who, i)));
                out.flush();
            }
            if (mode == Mode.DIES_AFTER_5) {
                Thread.sleep(50); // the tokens reach the client first
                throw new ScriptedBackend.Reset();
            }
            if (ndjson) {
                out.write(chunk(ollama(who, -1, true)));
            } else {
                out.write(chunk("data: {\"id\":\"" + who + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"));
                out.write(chunk("data: [DONE]\n\n"));
            }
            out.write(ascii("0\r\n\r\n"));
            return true;
        };
    }

    ScriptedBackend backend(String who, Mode mode) throws Exception {
        ScriptedBackend b = new ScriptedBackend(script(who, mode));
        open.add(b);
        return b;
    }

    /** Olla in front of {@code backends} (tried in this order: priority balancer), of {@code type}. */
    TestOlla olla(String engine, String type, List<ScriptedBackend> backends, Object... proxy) throws Exception {
        TestOlla.Builder b = TestOlla.builder().engine(engine).balancer("priority")
                .set("discovery", "model_discovery", Map.of("enabled", false));
        for (int i = 0; i < proxy.length; i += 2) {
            b.proxy((String) proxy[i], proxy[i + 1]);
        }
        int priority = 100;
        for (int i = 0; i < backends.size(); i++) {
            ScriptedBackend s = backends.get(i);
            b.endpoint(i == 0 ? "first" : "second", s.url(), type, "priority", priority,
                    "health_check_url", s.url() + "/health");
            priority -= 10;
        }
        olla = b.start().ready();
        return olla;
    }

    ProxyStats stats() {
        return olla.olla().proxy().stats();
    }

    int inFlight() {
        return olla.olla().endpoints().all().stream().mapToInt(EndpointState::inFlight).sum();
    }

    /** Proxied generations (discovery and capacity polls of an Ollama-typed endpoint aside). */
    static long posts(ScriptedBackend b) {
        return b.requests().stream().filter(r -> r.method().equals("POST")).count();
    }

    static String body(String wire) {
        return wire.substring(wire.indexOf("\r\n\r\n") + 4);
    }

    /** The client got one clean stream, entirely from the second endpoint. */
    void oneCleanStreamFromTheSecond(RawHttp c, ScriptedBackend first, ScriptedBackend second) throws Exception {
        assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
        String text = c.text();
        assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Olla-Endpoint: second")
                .contains("second-tok0").contains("second-tok2").doesNotContain("\"first\"").doesNotContain("first-")
                .doesNotContain("crashed").doesNotContain("keep-alive");
        assertThat(c.chunkedComplete()).isTrue();
        assertThat(posts(first)).isEqualTo(1);
        assertThat(posts(second)).isEqualTo(1);
        assertThat(stats().firstTokenFailovers()).isEqualTo(1);
        assertThat(stats().retries()).isEqualTo(1);
        assertThat(stats().failures()).isZero();
        awaitTrue(() -> inFlight() == 0, 3000);
        EndpointState bad = olla.olla().endpoints().byName("first");
        assertThat(bad.failures()).as("the endpoint that failed is blamed").isEqualTo(1);
    }

    /**
     * The first endpoint fails in {@code mode} before its first token, the second answers: the client must
     * get one clean stream from the second ({@link #oneCleanStreamFromTheSecond}). Returns the response body.
     */
    String failsOverInvisibly(Mode mode, String engine, String type, String path, String request, Object... proxy)
            throws Exception {
        ScriptedBackend first = backend("first", mode);
        ScriptedBackend second = backend("second", Mode.GOOD);
        olla(engine, type, List.of(first, second), proxy);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", path, request);
            oneCleanStreamFromTheSecond(c, first, second);
            return body(c.text());
        }
    }

    // ------------------------------------------------------------------ (a) (b) (c): invisible failover

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void anErrorEventFirstFailsOverInvisibly(String engine) throws Exception {
        assertThat(failsOverInvisibly(Mode.ERROR_FIRST, engine, "openai-compatible", "/olla/openai/v1/chat/completions", CHAT))
                .contains("data: [DONE]");
        assertThat(olla.olla().proxy().stats().holds()).isEqualTo(1);
        String metrics = olla.get("/internal/metrics").body();
        assertThat(metrics).contains("olla_proxy_first_token_failovers_total 1\n")
                .contains("olla_proxy_stream_error_ends_total 0\n").contains("olla_proxy_sse_keepalives_total 0\n")
                .contains("olla_first_token_hold_seconds_count 1\n").contains("olla_first_token_hold_seconds_bucket{le=");
        String status = olla.get("/internal/status").body();
        assertThat(status).contains("\"first_token_failovers\":1").contains("\"held_responses\":1")
                .contains("\"stream_error_ends\":0").contains("\"hold_first_token\":true");
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aResetAfterTheRoleChunkFailsOverInvisibly(String engine) throws Exception {
        failsOverInvisibly(Mode.RESET_AFTER_ROLE, engine, "openai-compatible", "/olla/openai/v1/chat/completions", CHAT);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aStallPastFirstTokenTimeoutFailsOverInvisibly(String engine) throws Exception {
        ScriptedBackend first = backend("first", Mode.STALL_AFTER_ROLE);
        ScriptedBackend second = backend("second", Mode.GOOD);
        olla(engine, "openai-compatible", List.of(first, second), "first_token_timeout", "300ms");
        long t0 = System.nanoTime(); // timed from the request, not from Olla's start
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            oneCleanStreamFromTheSecond(c, first, second);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("after first_token_timeout, not the stall").isBetween(250L, 4000L);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void anOllamaErrorLineFirstFailsOverInvisibly(String engine) throws Exception {
        String streamsByDefault = CHAT.replace("\"stream\":true,", "");
        assertThat(failsOverInvisibly(Mode.ERROR_FIRST, engine, "ollama", "/olla/ollama/api/chat", streamsByDefault))
                .contains("\"done\":true").doesNotContain("keep-alive");
    }

    @Test
    void a200WithAnErrorBodyFailsOverInvisibly() throws Exception {
        failsOverInvisibly(Mode.ERROR_200, "olla", "openai-compatible", "/olla/openai/v1/chat/completions", CHAT);
    }

    @Test
    void whenEveryCandidateFailsBeforeTheFirstTokenTheClientGetsTheNormalError() throws Exception {
        ScriptedBackend first = backend("first", Mode.ERROR_FIRST);
        ScriptedBackend second = backend("second", Mode.RESET_AFTER_ROLE);
        olla("sherpa", "openai-compatible", List.of(first, second), "sse_keepalive_interval", "0s");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("}", 10_000)).isTrue();
            c.readUntil("\"}}", 2000);
            assertThat(c.text()).startsWith("HTTP/1.1 502").contains("application/json")
                    .contains("all endpoints failed before the first token").doesNotContain("second-");
        }
        assertThat(stats().firstTokenFailovers()).isEqualTo(1);
        awaitTrue(() -> inFlight() == 0, 3000);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aClientLeavingWhileTheResponseIsHeldReleasesItAndBlamesNobody(String engine) throws Exception {
        ScriptedBackend first = backend("first", Mode.STALL_AFTER_ROLE);
        olla(engine, "openai-compatible", List.of(first), "sse_keepalive_interval", "0s");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            awaitTrue(() -> posts(first) == 1, 3000);
            Thread.sleep(100); // the role chunk is held now
            assertThat(c.readUntil("HTTP/1.1", 50)).as("nothing sent while held").isFalse();
        }
        awaitTrue(() -> inFlight() == 0, 3000);
        assertThat(stats().cancelled()).isEqualTo(1);
        assertThat(stats().firstTokenFailovers()).isZero();
        assertThat(olla.olla().endpoints().byName("first").failures()).isZero();
        // the held chunk was released (NettyLeakCheck fails the class otherwise)
    }

    @Test
    void aPreambleBiggerThanTheBoundIsLetThroughAsIs() throws Exception {
        ScriptedBackend first = backend("first", Mode.BIG_PREAMBLE);
        olla("olla", "openai-compatible", List.of(first), "sse_keepalive_interval", "0s");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("first-tok2").contains("data: [DONE]");
            long preamble = SimStreamFaultsProxyTest.dechunk(c.text()).chars().filter(ch -> ch == 'p').count();
            assertThat(preamble).isGreaterThanOrEqualTo(80 * 996);
            assertThat(firstReadContaining(c, "first-tok0") - c.reads().get(0).atMillis())
                    .as("the held bytes went out at the bound, before the first token").isGreaterThanOrEqualTo(500);
        }
        assertThat(stats().holds()).isEqualTo(1);
        awaitTrue(() -> inFlight() == 0, 3000);
    }

    static long firstReadContaining(RawHttp c, String s) {
        return ProxyStreamingTest.firstReadContaining(c.reads(), s);
    }

    // ------------------------------------------------------------------ (d): a well-formed error end

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aBackendDyingAfterFiveTokensEndsAnOpenAiStreamWithAnErrorEvent(String engine) throws Exception {
        ScriptedBackend only = backend("only", Mode.DIES_AFTER_5);
        olla(engine, "openai-compatible", List.of(only));
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readToEof(10_000) || c.readUntil("\r\n0\r\n\r\n", 1)).isTrue();
            String body = body(c.text());
            assertThat(c.text()).startsWith("HTTP/1.1 200");
            assertThat(body).contains("only-tok4").contains("data: {\"error\":{\"message\":\"Proxy error: endpoint first")
                    .contains("\"type\":\"server_error\"").contains("\"code\":\"proxy_error\"");
            assertThat(body.indexOf("data: {\"error\"")).isGreaterThan(body.indexOf("only-tok4"));
            assertThat(body).endsWith("data: [DONE]\n\n\r\n0\r\n\r\n");
            assertThat(c.chunkedComplete()).as("a proper end, not a cut").isTrue();
        }
        assertThat(stats().streamErrorEnds()).isEqualTo(1);
        assertThat(stats().failures()).isEqualTo(1);
        awaitTrue(() -> inFlight() == 0, 3000);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aBackendDyingAfterFiveTokensEndsAnOllamaStreamWithAnErrorLine(String engine) throws Exception {
        ScriptedBackend only = backend("only", Mode.DIES_AFTER_5);
        olla(engine, "ollama", List.of(only));
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            String body = body(c.text());
            assertThat(body).contains("only-tok4").contains("{\"error\":\"Proxy error: endpoint first")
                    .doesNotContain("data:").doesNotContain("\"done\":true");
            assertThat(c.chunkedComplete()).isTrue();
            // every line of the body is one JSON object (the chunk framing aside)
            String lines = olla.post("/olla/ollama/api/chat", CHAT).body();
            for (String line : lines.split("\n")) {
                assertThat(line).startsWith("{").endsWith("}");
            }
            assertThat(lines).endsWith("\"}\n").contains("\"error\"");
        }
        assertThat(stats().streamErrorEnds()).isEqualTo(2);
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aBackendDyingAfterFiveTokensEndsAnAnthropicStreamWithAnErrorEvent(String engine) throws Exception {
        ScriptedBackend only = backend("only", Mode.DIES_AFTER_5);
        olla = TestOlla.builder().engine(engine).endpoint("first", only.url(), "openai-compatible",
                "health_check_url", only.url() + "/health").start().ready().awaitModel(ScriptedBackend.MODEL);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/anthropic/v1/messages", ANTHROPIC);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            String body = body(c.text());
            assertThat(body).contains("event: message_start").contains("only-tok4")
                    .contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Proxy error")
                    .doesNotContain("message_stop");
            assertThat(c.chunkedComplete()).isTrue();
        }
        assertThat(stats().streamErrorEnds()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Mode.class, names = {"RESET_AFTER_ROLE", "ERROR_200"})
    void anAnthropicTranslatedStreamFailsOverBeforeItsFirstToken(Mode mode) throws Exception {
        ScriptedBackend first = backend("first", mode);
        ScriptedBackend second = backend("second", Mode.GOOD);
        olla = TestOlla.builder().engine("olla").balancer("priority")
                .endpoint("first", first.url(), "openai-compatible", "priority", 100, "health_check_url", first.url() + "/health")
                .endpoint("second", second.url(), "openai-compatible", "priority", 50, "health_check_url", second.url() + "/health")
                .start().ready().awaitModel(ScriptedBackend.MODEL);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/anthropic/v1/messages", ANTHROPIC);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("event: message_start").contains("second-tok2")
                    .contains("event: message_stop").doesNotContain("first-").doesNotContain("event: error");
            assertThat(body(c.text()).indexOf("event: message_start"))
                    .isEqualTo(body(c.text()).lastIndexOf("event: message_start"));
        }
        assertThat(stats().firstTokenFailovers()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ (e): keep-alives before the first byte

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void keepAlivesArriveOnAnSseRouteWhileTheBackendIsSlow(String engine) throws Exception {
        ScriptedBackend slow = backend("slow", Mode.SLOW_HEAD);
        olla(engine, "openai-compatible", List.of(slow), "sse_keepalive_interval", "100ms");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            String text = c.text();
            assertThat(text).startsWith("HTTP/1.1 200").contains("text/event-stream");
            String body = body(text);
            assertThat(body.indexOf(": keep-alive\n\n")).isGreaterThanOrEqualTo(0).isLessThan(body.indexOf("data: {"));
            assertThat(body).contains("slow-tok2").contains("data: [DONE]");
            assertThat(c.reads().get(0).atMillis()).as("the first bytes come long before the backend answers")
                    .isLessThan(600);
            assertThat(c.chunkedComplete()).isTrue();
        }
        assertThat(stats().keepAlives()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void noKeepAlivesOnAnNdjsonRoute() throws Exception {
        ScriptedBackend slow = backend("slow", Mode.SLOW_HEAD);
        olla("olla", "ollama", List.of(slow), "sse_keepalive_interval", "100ms");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/ollama/api/chat", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("application/x-ndjson").contains("slow-tok2");
            assertThat(body(c.text())).doesNotContain("keep-alive").doesNotContain("\n:");
            assertThat(c.reads().get(0).atMillis()).as("nothing before the backend answers").isGreaterThanOrEqualTo(600);
        }
        assertThat(stats().keepAlives()).isZero();
    }

    @Test
    void noKeepAlivesWhenTheProfileSendsAnswersWhole() throws Exception {
        ScriptedBackend slow = backend("slow", Mode.SLOW_HEAD);
        olla("olla", "openai-compatible", List.of(slow), "sse_keepalive_interval", "100ms", "profile", "standard");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("data: [DONE]", 10_000)).as(c.text()).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length:")
                    .doesNotContain("keep-alive").contains("slow-tok2");
        }
        assertThat(stats().keepAlives()).isZero();
    }

    @Test
    void afterKeepAlivesAFailoverStaysInvisibleAndAFinalFailureIsAnErrorEvent() throws Exception {
        ScriptedBackend first = backend("first", Mode.SLOW_HEAD);
        ScriptedBackend second = backend("second", Mode.ERROR_FIRST);
        olla("olla", "openai-compatible", List.of(first, second), "sse_keepalive_interval", "100ms",
                "first_token_timeout", "400ms");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            String body = body(c.text());
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("text/event-stream");
            assertThat(body).contains(": keep-alive").contains("data: {\"error\":{\"message\":\"Proxy error: ")
                    .contains("data: [DONE]").doesNotContain("first-").doesNotContain("crashed\",\"type\":\"server_error\"}}");
            assertThat(c.chunkedComplete()).isTrue();
        }
        assertThat(stats().firstTokenFailovers()).isEqualTo(1);
    }

    @Test
    void aBackendErrorAfterKeepAlivesIsTheStreamsErrorEventInTheClientsProtocol() throws Exception {
        ScriptedBackend first = backend("first", Mode.SLOW_500);
        olla = TestOlla.builder().engine("olla").proxy("sse_keepalive_interval", "100ms")
                .endpoint("first", first.url(), "openai-compatible", "health_check_url", first.url() + "/health")
                .start().ready().awaitModel(ScriptedBackend.MODEL);
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            String body = SimStreamFaultsProxyTest.dechunk(c.text());
            assertThat(c.text()).startsWith("HTTP/1.1 200").contains("text/event-stream");
            assertThat(body).startsWith(": keep-alive\n\n").endsWith("\ndata: {\"error\":{\"message\":\"first: model failed to load\","
                    + "\"type\":\"server_error\",\"code\":\"backend_error\"}}\n\ndata: [DONE]\n\n");
        }
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/anthropic/v1/messages", ANTHROPIC);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).as(c.text()).isTrue();
            String body = SimStreamFaultsProxyTest.dechunk(c.text());
            assertThat(body).startsWith(": keep-alive\n\n").endsWith("\nevent: error\ndata: {\"type\":\"error\",\"error\":"
                    + "{\"type\":\"api_error\",\"message\":\"first: model failed to load\"}}\n\n");
        }
        awaitTrue(() -> inFlight() == 0, 3000);
    }

    // ------------------------------------------------------------------ (f): hold off

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void withHoldOffTheHeadAndRoleChunkGoOutAtOnceAndAnErrorFirstIsRelayed(String engine) throws Exception {
        ScriptedBackend first = backend("first", Mode.ERROR_FIRST);
        ScriptedBackend second = backend("second", Mode.ROLE_PAUSE);
        olla(engine, "openai-compatible", List.of(first, second), "hold_first_token", false,
                "sse_keepalive_interval", "0s");
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
            assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).isTrue();
            assertThat(c.text()).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Olla-Endpoint: first")
                    .contains("first crashed");
        }
        assertThat(stats().firstTokenFailovers()).isZero();
        // with the hold on, the role chunk of a pausing backend waits for the first token; off, it does not
        olla.close();
        olla = null;
        ScriptedBackend pausing = backend("p", Mode.ROLE_PAUSE);
        for (boolean hold : new boolean[] {false, true}) {
            try (TestOlla o = TestOlla.builder().engine(engine).proxy("hold_first_token", hold)
                    .set("discovery", "model_discovery", Map.of("enabled", false))
                    .endpoint("p", pausing.url(), "openai-compatible", "health_check_url", pausing.url() + "/health")
                    .start().ready();
                    RawHttp c = new RawHttp(o.port())) {
                c.send("POST", "/olla/openai/v1/chat/completions", CHAT);
                assertThat(c.readUntil("\r\n0\r\n\r\n", 10_000)).isTrue();
                long at = c.reads().get(0).atMillis();
                if (hold) {
                    assertThat(at).as("held until the first token").isGreaterThanOrEqualTo(350);
                    assertThat(c.reads().get(0).text()).startsWith("HTTP/1.1 200").contains("p-tok0");
                } else {
                    assertThat(at).as("head and role chunk at once").isLessThan(350);
                    assertThat(c.reads().get(0).text()).startsWith("HTTP/1.1 200").doesNotContain("p-tok0");
                }
            }
        }
    }
}
