package dev.olla.sim;

import static dev.olla.sim.SimTestSupport.Capture;
import static dev.olla.sim.SimTestSupport.RawHttp;
import static dev.olla.sim.SimTestSupport.RawResponse;
import static dev.olla.sim.SimTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulators' occupancy routes against the llama.cpp captures: {@code /slots} idle and all busy,
 * {@code /slots?fail_on_no_slot=1}, {@code /props}, {@code /metrics}; generations beyond the slots wait
 * inside the server (no error) and run when a slot frees; a cold model loads before its first token.
 */
class SimSlotsTest {
    static final String LONG_STREAM = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"stream\":true}";
    static final String SHORT = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":2}";

    SimulatedBackend sim;
    Path fixtures;
    final List<RawHttp> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        fixtures = SimTestSupport.fixtures();
        // As instance A/B of the captures: -c 2048 -np 4 (4 slots of 512)
        sim = SimulatedBackend.builder(SimFlavor.LLAMACPP)
                .models(List.of(new SimModel("tiny-llama", "llama", "185.92K", "F32", 2048, SimModel.Type.LLM, true)))
                .tokens(400).interTokenDelay(Duration.ofMillis(10)).build().start();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawHttp c : clients) {
            c.close();
        }
        sim.close();
    }

    private Capture fixture(String name) throws Exception {
        assumeTrue(fixtures != null, "shared/fixtures/llamacpp not found");
        return Capture.read(fixtures.resolve(name));
    }

    private static List<String> stable(List<String> headLines) {
        return headLines.stream().filter(l -> !l.startsWith("Content-Length:") && !l.startsWith("Process-Start-Time-Unix:"))
                .toList();
    }

    private void assertMatches(String fixture, String path) throws Exception {
        Capture cap = fixture(fixture);
        try (RawHttp c = new RawHttp(sim.port())) {
            RawResponse r = c.exchange("GET", path, null, "User-Agent: curl/7.88.1", "Accept: */*");
            assertThat(stable(r.headLines())).isEqualTo(stable(cap.headLines()));
            assertThat(normalize(r.bodyText())).isEqualTo(normalize(cap.body()));
        }
    }

    static String normalize(String s) {
        return s.replaceAll("\"(model_alias|model_path)\":\"[^\"]*\"", "\"$1\":\"*\"")
                .replaceAll("(?<=[\": ])-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?", "0");
    }

    /** Starts a long stream on its own connection and waits until its head arrived (it holds a slot). */
    private RawHttp startLongStream() throws Exception {
        RawHttp c = new RawHttp(sim.port());
        clients.add(c);
        c.send("POST", "/v1/chat/completions", LONG_STREAM);
        return c;
    }

    private void awaitBusy(int busy, int deferred) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end && (sim.slots().busy() != busy || sim.slots().deferred() != deferred)) {
            Thread.sleep(5);
        }
        assertThat(sim.slots().busy()).isEqualTo(busy);
        assertThat(sim.slots().deferred()).isEqualTo(deferred);
    }

    @Test
    void idleSlotsPropsAndMetricsMatchTheCaptures() throws Exception {
        assertMatches("slots--idle.txt", "/slots");
        assertMatches("props--ok.txt", "/props");
        assertMatches("metrics--fresh.txt", "/metrics");
    }

    @Test
    void allBusyMatchesTheCapturesAndTheNextRequestWaitsInsideTheServer() throws Exception {
        for (int i = 0; i < 4; i++) {
            startLongStream();
        }
        awaitBusy(4, 0);
        RawHttp queued = new RawHttp(sim.port());
        clients.add(queued);
        queued.send("POST", "/v1/chat/completions", SHORT);
        awaitBusy(4, 1);

        assertMatches("slots--all-busy.txt", "/slots");
        assertMatches("slots--all-busy-fail-on-no-slot.txt", "/slots?fail_on_no_slot=1");
        assertMatches("metrics--all-busy.txt", "/metrics");
        assertMatches("health--all-busy.txt", "/health");
        try (RawHttp c = new RawHttp(sim.port())) {
            String metrics = c.exchange("GET", "/metrics", null).bodyText();
            assertThat(metrics).contains("llamacpp:requests_processing 4\n").contains("llamacpp:requests_deferred 1\n");
            JsonNode slots = json(c.exchange("GET", "/slots", null).bodyText());
            assertThat(slots).hasSize(4);
            slots.forEach(s -> assertThat(s.get("is_processing").asBoolean()).isTrue());
        }

        // as in the capture: dropping one streaming client frees its slot and the queued request runs
        clients.get(0).close();
        RawResponse r = queued.read();
        assertThat(r.statusLine()).contains("200");
        assertThat(json(r.bodyText()).path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        awaitBusy(3, 0);
    }

    @Test
    void coldModelLoadsBeforeItsFirstTokenThenIsLoaded() throws Exception {
        try (SimulatedBackend ollama = SimulatedBackend.builder(SimFlavor.OLLAMA)
                .models(List.of(SimModel.of("llama3.2:3b").withLoaded(false)))
                .loadDelay(Duration.ofMillis(300)).build().start();
                RawHttp c = new RawHttp(ollama.port())) {
            assertThat(json(c.exchange("GET", "/api/ps", null).bodyText()).path("models")).isEmpty();
            long t0 = System.nanoTime();
            RawResponse r = c.exchange("POST", "/api/generate",
                    "{\"model\":\"llama3.2:3b\",\"prompt\":\"hi\",\"stream\":false}");
            assertThat(r.statusLine()).contains("200");
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
            JsonNode ps = json(c.exchange("GET", "/api/ps", null).bodyText()).path("models");
            assertThat(ps).hasSize(1);
            assertThat(ps.get(0).path("name").asText()).isEqualTo("llama3.2:3b");
            long t1 = System.nanoTime();
            c.exchange("POST", "/api/generate", "{\"model\":\"llama3.2:3b\",\"prompt\":\"hi\",\"stream\":false}");
            assertThat(System.nanoTime() - t1).isLessThan(Duration.ofMillis(250).toNanos());
        }
    }

    @Test
    void vllmPublishesRunningAndWaitingRequests() throws Exception {
        try (SimulatedBackend vllm = SimulatedBackend.builder(SimFlavor.VLLM).slots(1).tokens(400)
                .interTokenDelay(Duration.ofMillis(10)).build().start()) {
            String body = "{\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true}";
            for (int i = 0; i < 3; i++) {
                RawHttp c = new RawHttp(vllm.port());
                clients.add(c);
                c.send("POST", "/v1/chat/completions", body);
            }
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < end && vllm.slots().deferred() < 2) {
                Thread.sleep(5);
            }
            try (RawHttp c = new RawHttp(vllm.port())) {
                String m = c.exchange("GET", "/metrics", null).bodyText();
                assertThat(m).contains("vllm:num_requests_running{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 1.0")
                        .contains("vllm:num_requests_waiting{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 2.0");
            }
        }
    }
}
