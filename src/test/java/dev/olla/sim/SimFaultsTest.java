package dev.olla.sim;

import com.fasterxml.jackson.core.JacksonException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static dev.olla.sim.SimTestSupport.HTTP;
import static dev.olla.sim.SimTestSupport.RawHttp;
import static dev.olla.sim.SimTestSupport.RawResponse;
import static dev.olla.sim.SimTestSupport.get;
import static dev.olla.sim.SimTestSupport.json;
import static dev.olla.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimFaultsTest {
    static SimulatedBackend ollama;
    static SimulatedBackend llama;
    static final String CHAT = "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @BeforeAll
    static void start() {
        ollama = SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(6).build().start();
        llama = SimulatedBackend.builder(SimFlavor.LLAMACPP).tokens(6).build().start();
    }

    @AfterEach
    void reset() {
        ollama.faults().reset();
        llama.faults().reset();
    }

    @AfterAll
    static void stop() {
        ollama.close();
        llama.close();
    }

    @Test
    void httpErrorHitsApiRoutesButNotHealth() throws Exception {
        ollama.faults().httpError(500);
        HttpResponse<String> r = post(ollama, "/api/chat", CHAT + "}");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r.body()).get("error").asText()).contains("500");
        assertThat(get(ollama, "/api/tags").statusCode()).isEqualTo(500);
        assertThat(get(ollama, "/").statusCode()).isEqualTo(200);

        llama.faults().httpError(503);
        try (RawHttp c = new RawHttp(llama.port())) {
            RawResponse e = c.exchange("POST", "/v1/chat/completions", "{\"messages\":[]}");
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.bodyText()).isEqualTo("{\"error\":{\"message\":\"Loading model\",\"type\":\"unavailable_error\",\"code\":503}}");
            assertThat(e.header("Connection")).isEqualTo("close");
        }
        assertThat(get(llama, "/health").statusCode()).isEqualTo(200);
        ollama.faults().httpError(0);
        assertThat(post(ollama, "/api/chat", CHAT + ",\"stream\":false}").statusCode()).isEqualTo(200);
    }

    @Test
    void healthStatus() throws Exception {
        ollama.faults().healthStatus(503);
        assertThat(get(ollama, "/").statusCode()).isEqualTo(503);
        assertThat(get(ollama, "/api/tags").statusCode()).isEqualTo(200);
        llama.faults().healthStatus(503);
        HttpResponse<String> h = get(llama, "/health");
        assertThat(h.statusCode()).isEqualTo(503);
        assertThat(json(h.body()).get("error").get("type").asText()).isEqualTo("unavailable_error");
    }

    @Test
    void firstByteDelay() throws Exception {
        ollama.faults().firstByteDelay(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        assertThat(get(ollama, "/api/version").statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(290);
    }

    @Test
    void dropAfterTokensTruncatesTheStream() throws Exception {
        ollama.faults().dropAfterTokens(2);
        try (RawHttp c = new RawHttp(ollama.port())) {
            c.send("POST", "/api/chat", CHAT + "}");
            assertThatThrownBy(c::read).isInstanceOf(IOException.class).hasMessageContaining("truncated chunked body after 2 chunks");
        }
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(ollama.uri("/api/chat"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT + "}")).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
        SimTestSupport.await(() -> ollama.stats().droppedStreams() >= 2 && ollama.stats().activeStreams() == 0, Duration.ofSeconds(2));
        ollama.faults().dropAfterTokens(-1);
        assertThat(post(ollama, "/api/chat", CHAT + "}").body().lines().count()).isEqualTo(7);
    }

    @Test
    void refuseConnectionsThenRebindTheSamePort() throws Exception {
        int port = ollama.port();
        RawHttp open = new RawHttp(port);
        ollama.faults().refuseConnections(true);
        assertThat(open.closedByServer(Duration.ofSeconds(2))).isTrue();
        open.close();
        // The listener's close can take a moment to reach the kernel: allow a few tries.
        boolean refused = false;
        for (int i = 0; i < 10 && !refused; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                Thread.sleep(50);
            } catch (ConnectException e) {
                refused = true;
            }
        }
        assertThat(refused).as("connection refused on port " + port).isTrue();
        ollama.faults().refuseConnections(false);
        assertThat(ollama.port()).isEqualTo(port);
        assertThat(get(ollama, "/").statusCode()).isEqualTo(200);
    }

    @Test
    void garbageModels() throws Exception {
        ollama.faults().garbageModels(true);
        HttpResponse<String> r = get(ollama, "/api/tags");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> json(r.body())).isInstanceOf(JacksonException.class);
        assertThatThrownBy(() -> json(get(ollama, "/v1/models").body())).isInstanceOf(JacksonException.class);
        ollama.faults().reset();
        assertThat(json(get(ollama, "/api/tags").body()).get("models").isArray()).isTrue();
    }
}
