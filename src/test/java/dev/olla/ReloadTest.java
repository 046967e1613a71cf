package dev.olla;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.sim.SimBackends;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Olla.reload: endpoints swapped under load with no failed request; a removed endpoint drains. */
class ReloadTest {
    final SimBackends sims = new SimBackends();
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        sims.close();
    }

    SimulatedBackend sim(int tokens, Duration delay) {
        return sims.start(SimFlavor.OLLAMA, b -> b.modelNames("llama3.2:3b").tokens(tokens).interTokenDelay(delay));
    }

    static HttpRequest chat(TestOlla o, boolean stream) {
        return HttpRequest.newBuilder(o.uri("/olla/ollama/api/chat")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2:3b\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
    }

    @Test
    void endpointsSwapUnderLoadWithoutAFailedRequestAndARemovedEndpointDrains() throws Exception {
        SimulatedBackend a = sim(20, Duration.ofMillis(25)); // slow: its requests are in flight at each swap
        SimulatedBackend b = sim(1, Duration.ZERO);
        SimulatedBackend c = sim(1, Duration.ZERO);
        TestOlla.Builder first = TestOlla.builder().balancer("priority")
                .endpoint("a", a.baseUrl(), "ollama", "priority", 100)
                .endpoint("b", b.baseUrl(), "ollama", "priority", 50);
        olla = first.start();

        // A stream on "a" that outlives a's removal.
        HttpResponse<String>[] streamed = new HttpResponse[1];
        Thread streamer = Thread.ofVirtual().start(() -> {
            try {
                streamed[0] = TestOlla.client().send(chat(olla, true), HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        Set<String> servedBy = ConcurrentHashMap.newKeySet();
        ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
            workers.add(load.submit(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = TestOlla.client().send(chat(olla, false),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                            r.headers().firstValue("X-Olla-Endpoint").ifPresent(servedBy::add);
                        } else {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
                return null;
            }));
        }
        Thread.sleep(300);
        // 1. a removed (drains), c added
        List<String> ignored = olla.reload(TestOlla.builder().balancer("priority")
                .endpoint("b", b.baseUrl(), "ollama", "priority", 50)
                .endpoint("c", c.baseUrl(), "ollama", "priority", 100));
        assertThat(ignored).isEmpty();
        assertThat(olla.olla().endpoints().all()).extracting(s -> s.name()).containsExactly("b", "c");
        Thread.sleep(300);
        // 2. balancer and priorities changed, a back
        olla.reload(TestOlla.builder().balancer("round-robin")
                .endpoint("b", b.baseUrl(), "ollama", "priority", 50)
                .endpoint("c", c.baseUrl(), "ollama", "priority", 50)
                .endpoint("a", a.baseUrl(), "ollama", "priority", 10));
        Thread.sleep(300);
        // 3. back to the start
        olla.reload(first);
        Thread.sleep(300);
        running.set(false);
        for (Future<?> f : workers) {
            f.get(30, TimeUnit.SECONDS);
        }
        load.close();
        streamer.join(Duration.ofSeconds(20));

        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThan(10);
        assertThat(servedBy).contains("a", "b", "c");
        assertThat(streamed[0].statusCode()).isEqualTo(200);
        assertThat(streamed[0].headers().firstValue("X-Olla-Endpoint")).hasValue("a");
        String[] lines = streamed[0].body().strip().split("\n");
        assertThat(lines).hasSizeGreaterThan(20);
        assertThat(lines[lines.length - 1]).contains("\"done\":true");
        System.out.printf("reload under load: %d requests, 0 failed, served by %s%n", ok.get(), servedBy);
    }

    @Test
    void restartOnlyKeysKeepTheirRunningValue() throws Exception {
        SimulatedBackend b = sim(1, Duration.ZERO);
        olla = TestOlla.builder().endpoint("b", b.baseUrl(), "ollama").start();
        int port = olla.port();
        List<String> ignored = olla.reload(TestOlla.builder().server("read_timeout", "7s")
                .set("logging", "level", "debug").endpoint("b", b.baseUrl(), "ollama"));
        assertThat(ignored).containsExactly("server.read_timeout", "logging");
        assertThat(olla.port()).isEqualTo(port);
        assertThat(olla.olla().config().server().readTimeout()).isNotEqualTo(Duration.ofSeconds(7));
        assertThat(olla.get("/internal/health").statusCode()).isEqualTo(200);
        var r = olla.post("/olla/ollama/api/chat", "{\"model\":\"llama3.2:3b\",\"stream\":false,\"messages\":[]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
}
