package dev.olla.sim;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static dev.olla.sim.SimTestSupport.Drained;
import static dev.olla.sim.SimTestSupport.RawHttp;
import static dev.olla.sim.SimTestSupport.RawResponse;
import static dev.olla.sim.SimTestSupport.get;
import static dev.olla.sim.SimTestSupport.json;
import static dev.olla.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

/** The stream faults of {@link SimFaults}: their exact bytes per flavour, their budgets and their timing. */
class SimStreamFaultsTest {
    static SimulatedBackend openai;
    static SimulatedBackend vllm;
    static SimulatedBackend llama;
    static SimulatedBackend ollama;
    static SimulatedBackend lmstudio;

    static final String OAI_CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";
    static final String OLLAMA_CHAT = "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String SIM_500 = "simulated failure: 500 Internal Server Error";
    static final String OLLAMA_ERR = "an error was encountered while running the model";

    @BeforeAll
    static void start() {
        openai = SimulatedBackend.builder(SimFlavor.OPENAI).tokens(4).build().start();
        vllm = SimulatedBackend.builder(SimFlavor.VLLM).tokens(4).build().start();
        llama = SimulatedBackend.builder(SimFlavor.LLAMACPP).tokens(4).build().start();
        ollama = SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(4).build().start();
        lmstudio = SimulatedBackend.builder(SimFlavor.LMSTUDIO).tokens(4).build().start();
    }

    @AfterEach
    void reset() {
        for (SimulatedBackend s : all()) {
            s.faults().reset();
        }
    }

    @AfterAll
    static void stop() {
        for (SimulatedBackend s : all()) {
            s.close();
        }
    }

    static List<SimulatedBackend> all() {
        return List.of(openai, vllm, llama, ollama, lmstudio);
    }

    static String chat(SimulatedBackend sim) {
        return OAI_CHAT.formatted(sim.models().get(0).name());
    }

    static RawResponse exchange(SimulatedBackend sim, String path, String body) throws Exception {
        try (RawHttp c = new RawHttp(sim.port())) {
            return c.exchange("POST", path, body);
        }
    }

    /** One request with Connection: close, read to the end of the connection. */
    static Drained raw(SimulatedBackend sim, String path, String body) throws Exception {
        try (RawHttp c = new RawHttp(sim.port())) {
            c.send("POST", path, body, "Connection: close");
            return c.drain(Duration.ofSeconds(5));
        }
    }

    @Test
    void errorFirstSendsTheFlavoursErrorEventThenEnds() throws Exception {
        openai.faults().errorFirst(SimFaults.ALL);
        RawResponse r = exchange(openai, "/v1/chat/completions", chat(openai));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("text/event-stream; charset=utf-8");
        assertThat(r.bodyText()).isEqualTo("data: {\"error\":{\"message\":\"" + SIM_500
                + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");

        vllm.faults().errorFirst(1);
        r = exchange(vllm, "/v1/completions", "{\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"prompt\":\"x\",\"stream\":true}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("data: {\"error\": {\"message\": \"" + SIM_500
                + "\", \"type\": \"InternalServerError\", \"param\": null, \"code\": 500}}\n\ndata: [DONE]\n\n");

        llama.faults().errorFirst(1);
        r = exchange(llama, "/v1/chat/completions", chat(llama));
        assertThat(r.header("Content-Type")).isEqualTo("text/event-stream");
        assertThat(r.bodyText()).isEqualTo("data: {\"error\":{\"code\":500,\"message\":\"" + SIM_500
                + "\",\"type\":\"server_error\"}}\n\n");

        ollama.faults().errorFirst(3);
        r = exchange(ollama, "/api/chat", OLLAMA_CHAT);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/x-ndjson");
        assertThat(r.bodyText()).isEqualTo("{\"error\":\"" + OLLAMA_ERR + "\"}\n");
        r = exchange(ollama, "/api/generate", "{\"model\":\"llama3.2:3b\",\"prompt\":\"hi\"}");
        assertThat(r.bodyText()).isEqualTo("{\"error\":\"" + OLLAMA_ERR + "\"}\n");
        // Ollama's OpenAI layer writes the error object without "data: " and without [DONE], as the real one
        r = exchange(ollama, "/v1/chat/completions", chat(ollama));
        assertThat(r.header("Content-Type")).isEqualTo("text/event-stream");
        assertThat(r.bodyText()).isEqualTo("{\"error\":{\"message\":\"" + OLLAMA_ERR
                + "\",\"type\":\"api_error\",\"param\":null,\"code\":null}}\n");

        lmstudio.faults().errorFirst(1);
        r = exchange(lmstudio, "/v1/chat/completions", chat(lmstudio));
        assertThat(r.bodyText()).startsWith("data: {\"error\":{\"message\":").endsWith("}}\n\n");

        // budgets: used up after N streams; ALL stays on; a non-streamed request does not use the budget
        assertThat(vllm.faults().errorFirst()).isZero();
        assertThat(exchange(vllm, "/v1/chat/completions", chat(vllm)).bodyText()).endsWith("data: [DONE]\n\n").contains("tok3 ");
        assertThat(exchange(openai, "/v1/chat/completions", chat(openai)).bodyText()).startsWith("data: {\"error\"");
        assertThat(openai.faults().errorFirst()).isEqualTo(SimFaults.ALL);
        assertThat(post(openai, "/v1/chat/completions", chat(openai).replace("true", "false")).statusCode()).isEqualTo(200);
        assertThat(openai.stats().faultsInjected()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void errorBody200AnswersOkWithAnErrorObject() throws Exception {
        openai.faults().errorBody200(2);
        for (String body : List.of(chat(openai), chat(openai).replace("true", "false"))) {
            RawResponse r = exchange(openai, "/v1/chat/completions", body);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(r.body().length));
            assertThat(json(r.bodyText()).get("error").get("message").asText()).isEqualTo(SIM_500);
        }
        assertThat(exchange(openai, "/v1/chat/completions", chat(openai)).bodyText()).endsWith("data: [DONE]\n\n");

        ollama.faults().errorBody200(SimFaults.ALL);
        RawResponse r = exchange(ollama, "/api/chat", OLLAMA_CHAT);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        assertThat(r.bodyText()).isEqualTo("{\"error\":\"" + OLLAMA_ERR + "\"}");
        r = exchange(ollama, "/v1/chat/completions", chat(ollama));
        assertThat(json(r.bodyText()).get("error").get("type").asText()).isEqualTo("api_error");
        assertThat(get(ollama, "/api/tags").body()).contains("\"models\"");
    }

    @Test
    void resetAfterRoleSendsTheRoleChunkThenResets() throws Exception {
        openai.faults().resetAfterRole(1);
        Drained d = raw(openai, "/v1/chat/completions", chat(openai));
        assertThat(d.end()).isEqualTo("reset");
        assertThat(d.text()).startsWith("HTTP/1.1 200 OK\r\n").contains("Transfer-Encoding: chunked\r\n")
                .contains("\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}")
                .doesNotContain("tok0").doesNotContain("0\r\n\r\n").doesNotContain("[DONE]");
        assertThat(d.text().split("data: ", -1)).hasSize(2);
        // budget used: the next one is whole
        d = raw(openai, "/v1/chat/completions", chat(openai));
        assertThat(d.end()).isEqualTo("eof");
        assertThat(d.text()).contains("tok3 ").endsWith("data: [DONE]\n\n\r\n0\r\n\r\n");

        llama.faults().resetAfterRole(SimFaults.ALL);
        for (int i = 0; i < 2; i++) {
            d = raw(llama, "/v1/chat/completions", chat(llama));
            assertThat(d.end()).isEqualTo("reset");
            assertThat(d.text()).contains("\"delta\":{\"role\":\"assistant\",\"content\":null}").doesNotContain("tok0");
        }

        ollama.faults().resetAfterRole(1);
        d = raw(ollama, "/api/chat", OLLAMA_CHAT);
        assertThat(d.end()).isEqualTo("reset");
        assertThat(d.text()).contains("application/x-ndjson")
                .containsPattern("\\{\"model\":\"llama3.2:3b\",\"created_at\":\"[^\"]+\",\"message\":\\{\"role\":\"assistant\",\"content\":\"\"},\"done\":false}\n")
                .doesNotContain("tok0");
    }

    @Test
    void stallAfterHeadSendsHeadersThenNothingThenTheStream() throws Exception {
        openai.faults().stallAfterHead(Duration.ofMillis(600));
        RawResponse r = exchange(openai, "/v1/chat/completions", chat(openai));
        assertThat(r.chunks()).isNotEmpty();
        long gapMs = (r.chunks().get(0).nanos() - r.headersNanos()) / 1_000_000;
        assertThat(gapMs).as("headers, then nothing, even no role chunk").isGreaterThanOrEqualTo(550);
        assertThat(r.chunks().get(0).data()).contains("\"role\":\"assistant\"");
        assertThat(r.bodyText()).contains("tok3 ").endsWith("data: [DONE]\n\n");
        assertThat(r.bodyText().split("\"role\"", -1)).hasSize(2);

        llama.faults().stallAfterHead(Duration.ofMillis(600), true, 1);
        r = exchange(llama, "/v1/chat/completions", chat(llama));
        assertThat(r.chunks().get(0).data()).contains("\"delta\":{\"role\":\"assistant\",\"content\":null}").doesNotContain("tok0");
        assertThat((r.chunks().get(1).nanos() - r.chunks().get(0).nanos()) / 1_000_000).isGreaterThanOrEqualTo(550);
        assertThat(r.bodyText().split("\"role\"", -1)).as("the role is sent once").hasSize(2);
        assertThat(r.bodyText()).contains("tok3 ").endsWith("data: [DONE]\n\n");
        assertThat(llama.faults().stallAfterHead()).isZero();
    }

    @Test
    void loadDelayHoldsGenerationsButNotHealthOrModels() throws Exception {
        ollama.faults().loadDelay(Duration.ofMillis(1500), 1);
        Thread chat = Thread.ofVirtual().start(() -> {
            try {
                long t0 = System.nanoTime();
                HttpResponse<String> r = post(ollama, "/api/chat", OLLAMA_CHAT);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1450);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        long t0 = System.nanoTime();
        assertThat(get(ollama, "/").statusCode()).isEqualTo(200);
        assertThat(get(ollama, "/api/tags").statusCode()).isEqualTo(200);
        assertThat(get(ollama, "/v1/models").statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("health and model lists answer at once").isLessThan(1200);
        chat.join(5000);
        assertThat(chat.isAlive()).isFalse();
        assertThat(ollama.faults().loadDelay()).isZero();
        t0 = System.nanoTime();
        assertThat(post(ollama, "/api/chat", OLLAMA_CHAT).statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("budget used up").isLessThan(1200);
        assertThat(SimFlavor.isGenerationRoute("POST", "/v1/messages")).isTrue();
        assertThat(SimFlavor.isGenerationRoute("POST", "/api/embed")).isFalse();
        assertThat(SimFlavor.isGenerationRoute("GET", "/v1/chat/completions")).isFalse();
    }

    @Test
    void dropAfterTokensLooksLikeACrash() throws Exception {
        openai.faults().dropAfterTokens(2, 1);
        Drained d = raw(openai, "/v1/chat/completions", chat(openai));
        assertThat(d.end()).isIn("eof", "reset");
        assertThat(d.text()).contains("tok0 ").contains("tok1 ").doesNotContain("tok2")
                .doesNotContain("finish_reason\":\"").doesNotContain("[DONE]").doesNotContain("\r\n0\r\n\r\n");
        assertThat(openai.faults().dropAfterTokens()).isEqualTo(-1);
        assertThat(raw(openai, "/v1/chat/completions", chat(openai)).text()).endsWith("data: [DONE]\n\n\r\n0\r\n\r\n");

        ollama.faults().dropAfterTokens(1);
        d = raw(ollama, "/api/chat", OLLAMA_CHAT);
        assertThat(d.text()).contains("tok0 ").doesNotContain("tok1").doesNotContain("\"done\":true").doesNotContain("\r\n0\r\n\r\n");
    }

    static final String MESSAGES = "{\"model\":\"%s\",\"max_tokens\":16,\"stream\":%s,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    static final String ANTHROPIC_ERROR_EVENT = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
            + "\"message\":\"" + SIM_500 + "\"}}\n\n";

    static String messages(SimulatedBackend sim, boolean stream) {
        return MESSAGES.formatted(sim.models().get(0).name(), stream);
    }

    @Test
    void anthropicMessagesStreamsTakeEveryStreamFaultInTheirOwnShape() throws Exception {
        // an error event first: 200, the Messages API's error event, the end of the body
        llama.faults().errorFirst(1);
        RawResponse r = exchange(llama, "/v1/messages", messages(llama, true));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("text/event-stream");
        assertThat(r.bodyText()).isEqualTo(ANTHROPIC_ERROR_EVENT);

        // 200 with the error object as the whole body, streamed or not
        llama.faults().errorBody200(2);
        for (boolean stream : new boolean[] {true, false}) {
            r = exchange(llama, "/v1/messages", messages(llama, stream));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
            assertThat(json(r.bodyText()).get("type").asText()).isEqualTo("error");
            assertThat(json(r.bodyText()).get("error").get("message").asText()).isEqualTo(SIM_500);
        }

        // a reset after message_start (the event that carries the role)
        llama.faults().resetAfterRole(1);
        Drained d = raw(llama, "/v1/messages", messages(llama, true));
        assertThat(d.end()).isEqualTo("reset");
        assertThat(d.text()).contains("event: message_start\ndata: {\"type\":\"message_start\"")
                .contains("\"role\":\"assistant\"").doesNotContain("content_block").doesNotContain("\r\n0\r\n\r\n");

        // a stall after the head (with message_start before it), then the whole stream
        llama.faults().stallAfterHead(Duration.ofMillis(600), true, 1);
        r = exchange(llama, "/v1/messages", messages(llama, true));
        assertThat(r.chunks().get(0).data()).startsWith("event: message_start\n");
        assertThat((r.chunks().get(1).nanos() - r.chunks().get(0).nanos()) / 1_000_000).isGreaterThanOrEqualTo(550);
        assertThat(r.bodyText().split("event: message_start", -1)).as("message_start is sent once").hasSize(2);
        assertThat(r.bodyText()).contains("tok3 ").endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

        // a crash after 2 text deltas: flushed, then closed without content_block_stop or message_stop
        llama.faults().dropAfterTokens(2, 1);
        d = raw(llama, "/v1/messages", messages(llama, true));
        assertThat(d.end()).isIn("eof", "reset");
        assertThat(d.text()).contains("tok0 ").contains("tok1 ").doesNotContain("tok2")
                .doesNotContain("content_block_stop").doesNotContain("message_stop").doesNotContain("\r\n0\r\n\r\n");

        // every budget used up: the next stream is whole
        r = exchange(llama, "/v1/messages", messages(llama, true));
        assertThat(r.bodyText()).startsWith("event: message_start").contains("tok3 ").endsWith("\"message_stop\"}\n\n");
    }

    @Test
    void anthropicMessagesOfAnOllamaTakeTheStreamFaultsToo() throws Exception {
        try (SimulatedBackend o = SimulatedBackend.builder(SimFlavor.OLLAMA).version("0.14.0").tokens(4).build().start()) {
            o.faults().errorFirst(1);
            RawResponse r = exchange(o, "/v1/messages", messages(o, true));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo(ANTHROPIC_ERROR_EVENT.replace(SIM_500, OLLAMA_ERR));
            assertThat(o.stats().faultsInjected()).isEqualTo(1);
        }
    }

    @Test
    void cliSetsTheFaults() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<SimulatedBackend> sims = SimCli.start(new String[] {"--flavor", "openai", "--port", "0", "--load-delay-ms", "90000",
                "--stall-after-head-ms=500", "--stall-with-role", "--fault-requests", "3", "--error-first", "all",
                "--error-body-200", "2", "--reset-after-role", "1", "--drop-after-tokens", "5"},
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            SimFaults f = sims.get(0).faults();
            assertThat(f.loadDelay()).isEqualTo(Duration.ofSeconds(90));
            assertThat(f.stallAfterHead()).isEqualTo(Duration.ofMillis(500));
            assertThat(f.errorFirst()).isEqualTo(SimFaults.ALL);
            assertThat(f.errorBody200()).isEqualTo(2);
            assertThat(f.resetAfterRole()).isEqualTo(1);
            assertThat(f.dropAfterTokens()).isEqualTo(5);
            assertThat(get(sims.get(0), "/v1/models").statusCode()).isEqualTo(200);
            ByteArrayOutputStream help = new ByteArrayOutputStream();
            assertThat(SimCli.start(new String[] {"--help"}, new PrintStream(help, true, StandardCharsets.UTF_8))).isEmpty();
            assertThat(help.toString(StandardCharsets.UTF_8)).contains("--load-delay-ms", "--error-first", "--reset-after-role",
                    "--stall-after-head-ms", "--error-body-200", "--drop-after-tokens");
        } finally {
            sims.forEach(SimulatedBackend::close);
        }
    }
}
