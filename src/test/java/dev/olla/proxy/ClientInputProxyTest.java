package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What a client can put in a request, and what a broken backend can send, never reaches the client raw. */
class ClientInputProxyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger root;

    @BeforeEach
    void captureLog() {
        root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        root.detachAppender(log);
    }

    static SimulatedBackend sim() {
        return SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0).modelNames("llama3.2:3b")
                .tokens(1).interTokenDelay(Duration.ZERO).build().start();
    }

    static String chat(String modelJson) {
        return "{\"model\":" + modelJson + ",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /** The raw response to a POST, read until the server has answered (and the JSON body is complete). */
    static String post(TestOlla olla, String path, String body) throws Exception {
        try (RawHttp c = new RawHttp(olla.port())) {
            c.send("POST", path, body);
            c.readUntil("}}", 10_000);
            return c.text();
        }
    }

    static String head(String raw) {
        return raw.substring(0, raw.indexOf("\r\n\r\n"));
    }

    static JsonNode body(String raw) throws Exception {
        return JSON.readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4));
    }

    @Test
    void aControlCharacterInTheModelIs400WithoutAStackTrace() throws Exception {
        try (SimulatedBackend s = sim(); TestOlla olla = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                .start().ready()) {
            log.list.clear();
            for (String model : new String[] {"\"a\\u0001b\"", "\"llama\\r\\nX-Evil: 1\"", "\"x\\u007f\"", "\"\\u0085y\""}) {
                for (String path : new String[] {"/olla/ollama/api/chat", "/olla/proxy/v1/chat/completions"}) {
                    HttpResponse<String> r = olla.post(path, chat(model));
                    assertThat(r.statusCode()).as(model + " " + path).isEqualTo(400);
                    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                            v -> assertThat(v).startsWith("application/json"));
                    assertThat(r.body()).contains("control characters");
                    assertThat(r.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("X-Evil"));
                }
            }
            // the Anthropic route (passthrough or translated) answers in its own shape, still a 400
            HttpResponse<String> anthropic = olla.post("/olla/anthropic/v1/messages",
                    "{\"model\":\"a\\u0001b\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(anthropic.statusCode()).as(anthropic.body()).isEqualTo(400);
            assertThat(anthropic.body()).contains("control characters");
            assertThat(s.stats().requests("/api/chat") + s.stats().requests("/v1/chat/completions")
                    + s.stats().requests("/v1/messages")).isZero();
            assertThat(log.list).as("log lines").allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
            assertThat(log.list.size()).as("at most one line per request").isLessThanOrEqualTo(9);
        }
    }

    @Test
    void aHugeModelNameIsEchoedCappedAndHeadersStayPrintable() throws Exception {
        try (SimulatedBackend s = sim(); TestOlla olla = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                .start().ready()) {
            String huge = "m".repeat(1_000_000);
            String raw = post(olla, "/olla/proxy/v1/chat/completions", chat("\"" + huge + "\""));
            assertThat(raw).startsWith("HTTP/1.1 404 ");
            assertThat(raw.length()).as("whole response").isLessThan(4000);
            String message = body(raw).path("error").path("message").asText();
            assertThat(message).contains("m".repeat(256) + "...(1000000 characters)").doesNotContain("m".repeat(257));
            String model = head(raw).lines().filter(l -> l.startsWith("X-Olla-Model:")).findFirst().orElseThrow();
            assertThat(model.length()).isLessThan(300);

            // a name outside ASCII: kept in the JSON body, '?' in the header
            HttpResponse<String> r = olla.post("/olla/proxy/v1/chat/completions", chat("\"modèle-ü\""));
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.headers().firstValue("X-Olla-Model")).hasValue("mod?le-?");
            assertThat(JSON.readTree(r.body()).path("error").path("message").asText()).contains("modèle-ü");
        }
    }

    @Test
    void a502SaysWhatHappenedInWordsAndTheLogKeepsTheDetail() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread backend = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket sock = server.accept();
                        Thread.ofVirtual().start(() -> serveBareLineFeeds(sock));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            String url = "http://127.0.0.1:" + server.getLocalPort();
            try (TestOlla olla = TestOlla.builder()
                    .endpoint("lf", url, "openai-compatible", "health_check_url", url + "/health")
                    .start().ready()) {
                log.list.clear();
                HttpResponse<String> r = olla.get("/olla/openai/v1/thing");
                assertThat(r.statusCode()).isEqualTo(502);
                String message = JSON.readTree(r.body()).path("error").path("message").asText();
                assertThat(message).contains("endpoint lf").contains("not valid HTTP")
                        .doesNotContain("io.netty").doesNotContain("Exception");
                List<ILoggingEvent> detail = log.list.stream()
                        .filter(e -> e.getFormattedMessage().contains("endpoint lf")).toList();
                assertThat(detail).hasSize(1);
                assertThat(detail.get(0).getFormattedMessage()).containsIgnoringCase("line");
                assertThat(detail.get(0).getThrowableProxy()).isNull();
            }
            backend.interrupt();
        }
    }

    /** Answers /health properly and everything else with LF-only line ends (not valid HTTP/1.1). */
    private static void serveBareLineFeeds(Socket s) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                String path = line.split(" ")[1];
                while (!(line = in.readLine()).isEmpty()) {
                    // skip headers
                }
                if (path.startsWith("/health")) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                } else if (path.startsWith("/v1/models")) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"data\":[]}"
                            .getBytes(StandardCharsets.US_ASCII));
                } else {
                    out.write("HTTP/1.1 200 OK\nContent-Length: 2\n\nok".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            }
        } catch (Exception e) {
            // the client went away
        }
    }
}
