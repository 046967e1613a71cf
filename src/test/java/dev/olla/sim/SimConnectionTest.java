package dev.olla.sim;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static dev.olla.sim.SimTestSupport.RawHttp;
import static dev.olla.sim.SimTestSupport.RawResponse;
import static dev.olla.sim.SimTestSupport.await;
import static dev.olla.sim.SimTestSupport.get;
import static dev.olla.sim.SimTestSupport.json;
import static dev.olla.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

/** Keep-alive, pipelining, cancellation, big bodies, stats, lifecycle and the CLI. */
class SimConnectionTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OPENAI).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            RawResponse a = c.exchange("GET", "/v1/models", null);
            RawResponse b = c.exchange("POST", "/v1/chat/completions", CHAT + "}");
            RawResponse s = c.exchange("POST", "/v1/chat/completions", CHAT + ",\"stream\":true}");
            RawResponse d = c.exchange("GET", "/health", null);
            assertThat(List.of(a.status(), b.status(), s.status(), d.status())).containsOnly(200);
            assertThat(b.header("Content-Length")).isEqualTo(String.valueOf(b.body().length));
            assertThat(s.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(sim.stats().acceptedConnections()).isEqualTo(1);
            assertThat(sim.stats().openConnections()).isEqualTo(1);
            assertThat(sim.stats().requests()).isEqualTo(4);
            assertThat(sim.stats().requests("/v1/chat/completions")).isEqualTo(2);
            assertThat(sim.stats().completedStreams()).isEqualTo(1);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OPENAI).tokens(3)
                .interTokenDelay(Duration.ofMillis(10)).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            byte[] r1 = RawHttp.request("POST", "/v1/chat/completions", CHAT + ",\"stream\":true}");
            byte[] r2 = RawHttp.request("GET", "/health", null);
            byte[] all = new byte[r1.length + r2.length];
            System.arraycopy(r1, 0, all, 0, r1.length);
            System.arraycopy(r2, 0, all, r1.length, r2.length);
            c.write(all);
            assertThat(c.read().bodyText()).endsWith("data: [DONE]\n\n");
            assertThat(c.read().bodyText()).isEqualTo("{\"status\":\"ok\"}");
        }
    }

    @Test
    void connectionCloseFromTheClientIsHonoured() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.VLLM).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("GET", "/v1/models", null, "Connection: close");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(c.closedByServer(Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void idleKeepAliveConnectionsAreClosedAfterTheTimeout() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.LLAMACPP)
                .keepAliveTimeout(Duration.ofMillis(200)).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            assertThat(c.exchange("GET", "/health", null).status()).isEqualTo(200);
            assertThat(c.closedByServer(Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void clientDisconnectCancelsTheStream() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OPENAI).tokens(100)
                .interTokenDelay(Duration.ofMillis(20)).build().start()) {
            RawHttp c = new RawHttp(sim.port());
            c.send("POST", "/v1/chat/completions", CHAT + ",\"stream\":true}");
            await(() -> sim.stats().activeStreams() == 1, Duration.ofSeconds(2));
            Thread.sleep(60);
            c.close();
            await(() -> sim.stats().cancelledStreams() == 1, Duration.ofSeconds(1));
            assertThat(sim.stats().activeStreams()).isZero();
            await(() -> sim.stats().openConnections() == 0, Duration.ofSeconds(1));
            assertThat(sim.stats().completedStreams()).isZero();
        }
    }

    @Test
    void nonStreamedAnswersWaitForAllTokens() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OPENAI).tokens(5)
                .interTokenDelay(Duration.ofMillis(40)).build().start()) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = post(sim, "/v1/chat/completions", CHAT + "}");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(190);
        }
    }

    @Test
    void streamChunksArriveSpreadOverTime() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.LLAMACPP).tokens(5)
                .interTokenDelay(Duration.ofMillis(50)).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("POST", "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}");
            List<SimTestSupport.Chunk> chunks = r.chunks();
            assertThat(chunks).hasSize(7);
            long first = (chunks.get(0).nanos() - r.headersNanos()) / 1_000_000;
            long spread = (chunks.get(4).nanos() - chunks.get(0).nanos()) / 1_000_000;
            assertThat(first).isGreaterThanOrEqualTo(40);
            assertThat(spread).isGreaterThanOrEqualTo(180);
        }
    }

    @Test
    void theFirstTokenCanGoOutWithoutThePacingDelay() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OPENAI).tokens(3)
                .interTokenDelay(Duration.ofMillis(300)).firstTokenDelay(Duration.ZERO).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("POST", "/v1/chat/completions", CHAT + ",\"stream\":true}");
            long tok0 = -1;
            long tok1 = -1;
            for (SimTestSupport.Chunk ch : r.chunks()) {
                if (tok0 < 0 && ch.data().contains("\"content\":\"tok0")) {
                    tok0 = ch.nanos();
                }
                if (tok1 < 0 && ch.data().contains("\"content\":\"tok1")) {
                    tok1 = ch.nanos();
                }
            }
            assertThat(tok0).isPositive();
            // tok0 at once (not after 300 ms), the next one paced as before
            assertThat((tok0 - r.headersNanos()) / 1_000_000).isLessThan(250);
            assertThat((tok1 - tok0) / 1_000_000).isGreaterThanOrEqualTo(250);
        }
        List<SimulatedBackend> sims = SimCli.start(new String[] {"--port", "0", "--delay-ms", "40",
                "--first-token-delay-ms", "0"}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            assertThat(sims.get(0).firstTokenDelayNanos()).isZero();
            assertThat(sims.get(0).interTokenDelay()).isEqualTo(Duration.ofMillis(40));
        } finally {
            sims.forEach(SimulatedBackend::close);
        }
    }

    @Test
    void largeBodiesAreReadAndRecorded() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OPENAI).build().start()) {
            String big = "x".repeat(8 * 1024 * 1024);
            String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + big + "\"}]}";
            HttpResponse<String> r = post(sim, "/v1/chat/completions?trace=1", body);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(json(r.body()).get("usage").get("prompt_tokens").asInt()).isGreaterThan(2_000_000);
            SimStats.RecordedRequest last = sim.stats().lastRequest();
            assertThat(last.method()).isEqualTo("POST");
            assertThat(last.uri()).isEqualTo("/v1/chat/completions?trace=1");
            assertThat(last.path()).isEqualTo("/v1/chat/completions");
            assertThat(last.header("content-type")).isEqualTo("application/json");
            assertThat(last.body()).isEqualTo(body);
        }
    }

    @Test
    void headOnGetRoutes() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OLLAMA).build().start();
             RawHttp c = new RawHttp(sim.port())) {
            c.send("HEAD", "/", null);
            RawResponse h = c.read();
            assertThat(h.status()).isEqualTo(200);
            assertThat(h.header("Content-Length")).isEqualTo("17");
            c.send("GET", "/", null);
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void closeIsFastAndFreesThePort() throws Exception {
        SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(1000)
                .interTokenDelay(Duration.ofMillis(10)).build().start();
        int port = sim.port();
        RawHttp streaming = new RawHttp(port);
        streaming.send("POST", "/api/chat", "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        await(() -> sim.stats().activeStreams() == 1, Duration.ofSeconds(2));
        long t0 = System.nanoTime();
        sim.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("close() took %d ms", ms).isLessThan(500);
        assertThat(streaming.closedByServer(Duration.ofSeconds(1))).isTrue();
        streaming.close();
        try (SimulatedBackend again = SimulatedBackend.builder(SimFlavor.OLLAMA).port(port).build().start()) {
            assertThat(get(again, "/").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void cliStartsBackendsAndPrintsTheirUrls() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<SimulatedBackend> sims = SimCli.start(new String[] {"--flavor", "lm-studio", "--port", "0", "--count", "2",
                "--tokens", "3", "--delay-ms=0", "--models", "m1,m2"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(sims).hasSize(2);
            String out = buf.toString(StandardCharsets.UTF_8);
            assertThat(out.lines()).containsExactly(sims.get(0).baseUrl(), sims.get(1).baseUrl());
            assertThat(json(get(sims.get(1), "/api/v0/models").body()).get("data")).hasSize(2);
            assertThat(json(post(sims.get(0), "/v1/completions", "{\"model\":\"m2\",\"prompt\":\"x\"}").body())
                    .get("choices").get(0).get("text").asText()).isEqualTo("tok0 tok1 tok2 ");
        } finally {
            sims.forEach(SimulatedBackend::close);
        }
    }

    @Test
    void modelDetailsAreGuessedFromNames() {
        SimModel m = SimModel.of("llama3.1:70b-instruct-q4_K_M");
        assertThat(m.family()).isEqualTo("llama");
        assertThat(m.parameterSize()).isEqualTo("70.0B");
        assertThat(m.type()).isEqualTo(SimModel.Type.LLM);
        assertThat(SimModel.of("meta-llama/Llama-3.1-8B-Instruct").parameterSize()).isEqualTo("8.0B");
        assertThat(SimModel.of("nomic-embed-text").type()).isEqualTo(SimModel.Type.EMBEDDINGS);
        assertThat(SimModel.of("llava:13b").type()).isEqualTo(SimModel.Type.VLM);
        assertThat(SimFlavor.parse("llama.cpp")).isEqualTo(SimFlavor.LLAMACPP);
        assertThat(SimFlavor.parse("LM_Studio")).isEqualTo(SimFlavor.LMSTUDIO);
    }
}
