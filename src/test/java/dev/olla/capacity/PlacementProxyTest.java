package dev.olla.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Placement over real sockets: simulated llama.cpp and Ollama backends that report slots and loaded
 * models, Olla polling them, the balancers and the queue choosing.
 */
class PlacementProxyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHAT = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]";
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    private SimulatedBackend llama(int slots, int tokens, Duration delay) {
        return keep(SimulatedBackend.builder(SimFlavor.LLAMACPP).slots(slots).tokens(tokens).interTokenDelay(delay)
                .models(List.of(new SimModel("tiny-llama", "llama", "185.92K", "F32", 2048, SimModel.Type.LLM, true)))
                .build().start());
    }

    private static TestOlla.Builder olla(String balancer) {
        return TestOlla.builder().balancer(balancer)
                .proxy("capacity", Map.of("enabled", true, "poll_interval", "250ms", "poll_timeout", "2s"));
    }

    static void await(BooleanSupplier c, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!c.getAsBoolean() && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertThat(c.getAsBoolean()).as("condition within " + millis + " ms").isTrue();
    }

    /** A long stream straight to a backend (not through Olla): a slot busy with someone else's work. */
    private void occupy(SimulatedBackend sim) throws Exception {
        RawHttp c = keep(new RawHttp(sim.port()));
        c.send("POST", "/v1/chat/completions", CHAT + ",\"stream\":true}");
    }

    private HttpResponse<String> post(TestOlla olla, String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(olla.uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", "Bearer " + auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void busySlotsReportedByTheBackendAreCountedByEveryBalancer() throws Exception {
        SimulatedBackend a = llama(2, 400, Duration.ofMillis(20));
        SimulatedBackend b = llama(2, 2, Duration.ZERO);
        occupy(a);
        occupy(a);
        await(() -> a.slots().busy() == 2, 5000);
        for (String balancer : List.of("least-connections", "priority", "round-robin", "capacity")) {
            try (TestOlla olla = olla(balancer).endpoint("a", a.baseUrl(), "llamacpp", "priority", 100)
                    .endpoint("b", b.baseUrl(), "llamacpp", "priority", 50).start()) {
                await(() -> olla.olla().endpoints().byName("a").freeSlots() == 0, 5000);
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> r = olla.post("/olla/llamacpp/v1/chat/completions", CHAT + ",\"max_tokens\":2}");
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.headers().firstValue("X-Olla-Endpoint")).as(balancer).hasValue("b");
                }
                JsonNode eps = JSON.readTree(olla.get("/internal/status/endpoints").body()).get("endpoints");
                JsonNode capA = null;
                for (JsonNode e : eps) {
                    if (e.get("name").asText().equals("a")) {
                        capA = e.get("capacity");
                    }
                }
                assertThat(capA).as(eps.toString()).isNotNull();
                assertThat(capA.get("slots_total").asInt()).isEqualTo(2);
                assertThat(capA.get("slots_busy").asInt()).isEqualTo(2);
                assertThat(capA.get("slots_free").asInt()).isZero();
                assertThat(capA.get("loaded_models").toString()).isEqualTo("[\"tiny-llama\"]");
                String metrics = olla.get("/internal/metrics").body();
                assertThat(metrics).contains("olla_endpoint_slots_total{endpoint=\"a\"} 2")
                        .contains("olla_endpoint_slots_busy{endpoint=\"a\"} 2")
                        .contains("olla_endpoint_model_loaded{endpoint=\"b\",model=\"tiny-llama\"} 1");
            }
        }
    }

    @Test
    void capacityAvoidsAColdLoadWhileAWarmCopyHasRoom() throws Exception {
        SimulatedBackend cold = keep(SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(2)
                .models(List.of(SimModel.of("llama3.2:3b").withLoaded(false))).loadDelay(Duration.ofSeconds(3))
                .build().start());
        SimulatedBackend warm = keep(SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(2)
                .models(List.of(SimModel.of("llama3.2:3b"))).build().start());
        try (TestOlla olla = olla("capacity").endpoint("cold", cold.baseUrl(), "ollama", "priority", 100)
                .endpoint("warm", warm.baseUrl(), "ollama", "priority", 50).start()) {
            await(() -> Boolean.TRUE.equals(olla.olla().endpoints().byName("warm").loaded("llama3.2:3b"))
                    && Boolean.FALSE.equals(olla.olla().endpoints().byName("cold").loaded("llama3.2:3b")), 5000);
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = olla.post("/olla/ollama/api/generate",
                        "{\"model\":\"llama3.2:3b\",\"prompt\":\"hi\",\"stream\":false}");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("warm");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            }
            JsonNode models = JSON.readTree(olla.get("/olla/models").body()).get("data");
            JsonNode availability = models.get(0).get("olla").get("availability");
            Map<String, Boolean> loaded = new java.util.HashMap<>();
            availability.forEach(a -> loaded.put(a.get("endpoint").asText(), a.get("loaded").asBoolean()));
            assertThat(loaded).containsEntry("warm", true).containsEntry("cold", false);
        }
    }

    @Test
    void aBurstOfThreeTimesTheSlotsIsServedInOrderWithoutErrors() throws Exception {
        SimulatedBackend a = llama(2, 10, Duration.ofMillis(20));
        SimulatedBackend b = llama(2, 10, Duration.ofMillis(20));
        try (TestOlla olla = olla("capacity").endpoint("a", a.baseUrl(), "llamacpp").endpoint("b", b.baseUrl(), "llamacpp")
                .proxy("queue", Map.of("enabled", true, "max_size", 64, "timeout", "10s", "keep_alive_interval", "0s"))
                .start()) {
            await(() -> olla.olla().endpoints().byName("a").cap() == 2 && olla.olla().endpoints().byName("b").cap() == 2, 15_000);
            int n = 12; // 3 x the 4 slots
            List<RawHttp> clients = new ArrayList<>();
            int maxDeferred = 0;
            for (int i = 0; i < n; i++) {
                RawHttp c = keep(new RawHttp(olla.port()));
                c.send("POST", "/olla/llamacpp/v1/chat/completions",
                        "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"req " + i + "\"}]}");
                clients.add(c);
                Thread.sleep(20); // a defined arrival order
                maxDeferred = Math.max(maxDeferred, a.slots().deferred() + b.slots().deferred());
            }
            for (RawHttp c : clients) {
                assertThat(c.readUntil("\"finish_reason\"", 15_000)).as(c.text()).isTrue();
                assertThat(c.text()).startsWith("HTTP/1.1 200 OK");
            }
            // served in arrival order: the backends started the generations in the order the requests came
            List<dev.olla.sim.SimStats.Started> started = new ArrayList<>(a.stats().startedGenerations());
            started.addAll(b.stats().startedGenerations());
            started.sort(java.util.Comparator.comparingLong(dev.olla.sim.SimStats.Started::nanoTime));
            List<Integer> order = started.stream()
                    .map(s -> Integer.parseInt(s.body().replaceAll(".*\"req (\\d+)\".*", "$1"))).toList();
            // in arrival order, within the slots' concurrency: no request overtakes one that arrived a
            // whole wave (4 slots) earlier (requests admitted a few ms apart may reach the backends swapped
            // by connection set-up)
            assertThat(order).hasSize(n);
            for (int rank = 0; rank < n; rank++) {
                assertThat(Math.abs(order.get(rank) - rank)).as("start order " + order).isLessThan(4);
            }
            // the queue kept requests out of full backends: nothing waited inside a llama-server
            assertThat(maxDeferred).isZero();
            JsonNode q = JSON.readTree(olla.get("/internal/status/placement").body()).get("queue");
            assertThat(q.get("enqueued_total").asInt()).isGreaterThanOrEqualTo(8);
            assertThat(q.get("timed_out_total").asInt()).isZero();
            assertThat(q.get("wait_ms_max").asDouble()).isLessThan(10_000);
            assertThat(q.get("depth").asInt()).isZero();
            assertThat(olla.olla().endpoints().byName("a").inFlight()).isZero();
        }
    }

    @Test
    void oneClientsBurstDoesNotStarveAnother() throws Exception {
        SimulatedBackend a = llama(1, 5, Duration.ofMillis(20));
        try (TestOlla olla = olla("capacity").endpoint("a", a.baseUrl(), "llamacpp").start()) {
            await(() -> olla.olla().endpoints().byName("a").cap() == 1, 15_000);
            List<RawHttp> clients = new ArrayList<>();
            for (int i = 0; i <= 6; i++) {
                String who = i < 6 ? "a" + i : "b";
                String body = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"" + who + "\"}]}";
                String req = "POST /olla/llamacpp/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer client-" + (i < 6 ? "a" : "b") + "\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body;
                RawHttp c = keep(new RawHttp(olla.port()));
                c.sendRaw(req.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                clients.add(c);
                Thread.sleep(20);
            }
            for (RawHttp c : clients) {
                assertThat(c.readUntil("\"finish_reason\"", 15_000)).as(c.text()).isTrue();
            }
            List<String> order = a.stats().startedGenerations().stream()
                    .map(st -> st.body().replaceAll(".*\"content\":\"([ab]\\d?)\".*", "$1")).toList();
            // a0 holds the slot; then a1 (first in line), then b's turn, not after a5
            assertThat(order).as("start order").hasSize(7);
            assertThat(order.indexOf("b")).as("start order " + order).isLessThanOrEqualTo(2);
            // (a's own requests in arrival order, give or take two sent 20 ms apart on separate connections)
            assertThat(order.stream().filter(x -> x.startsWith("a")).toList())
                    .containsExactlyInAnyOrder("a0", "a1", "a2", "a3", "a4", "a5");
        }
    }

    @Test
    void aFullQueueAndAQueueTimeoutAnswer503WithRetryAfter() throws Exception {
        SimulatedBackend a = llama(1, 400, Duration.ofMillis(20));
        try (TestOlla olla = olla("capacity").endpoint("a", a.baseUrl(), "llamacpp")
                .proxy("queue", Map.of("enabled", true, "max_size", 1, "timeout", "400ms", "keep_alive_interval", "0s"))
                .start()) {
            await(() -> olla.olla().endpoints().byName("a").cap() == 1, 15_000);
            RawHttp holder = keep(new RawHttp(olla.port()));
            holder.send("POST", "/olla/llamacpp/v1/chat/completions", CHAT + ",\"stream\":true}");
            await(() -> olla.olla().endpoints().byName("a").inFlight() == 1, 5000);
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
                try {
                    return olla.post("/olla/llamacpp/v1/chat/completions", CHAT + "}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> olla.olla().proxy().queueStats().get("depth").equals(1), 5000);
            HttpResponse<String> full = olla.post("/olla/llamacpp/v1/chat/completions", CHAT + "}");
            assertThat(full.statusCode()).isEqualTo(503);
            assertThat(full.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(full.body()).contains("queue is full");
            HttpResponse<String> timedOut = queued.get();
            assertThat(timedOut.statusCode()).isEqualTo(503);
            assertThat(timedOut.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(timedOut.body()).contains("proxy.queue.timeout");
            assertThat(a.slots().deferred()).isZero();
        }
    }

    @Test
    void aQueuedEventStreamGetsKeepAliveCommentsThenItsAnswer() throws Exception {
        SimulatedBackend a = llama(1, 30, Duration.ofMillis(20));
        try (TestOlla olla = olla("capacity").endpoint("a", a.baseUrl(), "llamacpp")
                .proxy("queue", Map.of("enabled", true, "max_size", 8, "timeout", "10s", "keep_alive_interval", "100ms"))
                .start()) {
            await(() -> olla.olla().endpoints().byName("a").cap() == 1, 15_000);
            RawHttp holder = keep(new RawHttp(olla.port()));
            holder.send("POST", "/olla/llamacpp/v1/chat/completions", CHAT + ",\"stream\":true}");
            await(() -> olla.olla().endpoints().byName("a").inFlight() == 1, 5000);
            RawHttp queued = keep(new RawHttp(olla.port()));
            queued.send("POST", "/olla/llamacpp/v1/chat/completions", CHAT + ",\"stream\":true}");
            assertThat(queued.readUntil("data: [DONE]", 15_000)).as(queued.text()).isTrue();
            String text = queued.text();
            assertThat(text).startsWith("HTTP/1.1 200").contains("text/event-stream").contains(": keep-alive\n\n");
            assertThat(text.indexOf(": keep-alive")).isLessThan(text.indexOf("data: {"));
            assertThat(holder.readUntil("data: [DONE]", 15_000)).isTrue();
        }
    }
}
