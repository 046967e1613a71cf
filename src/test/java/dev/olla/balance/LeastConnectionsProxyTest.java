package dev.olla.balance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** least-connections over a real proxy: the idle endpoint is preferred while the other streams. */
class LeastConnectionsProxyTest {
    static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void idleEndpointIsPreferredWhileTheOtherHoldsSlowStreams() throws Exception {
        try (SimulatedBackend busy = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0)
                        .models(List.of(SimModel.of("shared:7b"), SimModel.of("slow:7b"))).tokens(40)
                        .interTokenDelay(Duration.ofMillis(50)).build().start();
                SimulatedBackend idle = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0)
                        .models(List.of(SimModel.of("shared:7b"))).tokens(40).interTokenDelay(Duration.ofMillis(50))
                        .build().start();
                TestOlla olla = TestOlla.builder().balancer("least-connections")
                        .endpoint("busy", busy.baseUrl(), "ollama").endpoint("idle", idle.baseUrl(), "ollama")
                        .start()) {
            List<RawHttp> streams = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) { // only "busy" has slow:7b
                    RawHttp s = new RawHttp(olla.port());
                    s.send("POST", "/olla/ollama/api/chat", chat("slow:7b"));
                    assertThat(s.readUntil("tok0", 3000)).isTrue();
                    streams.add(s);
                }
                assertThat(olla.olla().endpoints().byName("busy").inFlight()).isEqualTo(3);
                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> r = olla.post("/olla/ollama/api/chat",
                            chat("shared:7b").replace("}]}", "}],\"stream\":false,\"options\":{\"num_predict\":1}}"));
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("idle");
                }
            } finally {
                for (RawHttp s : streams) {
                    s.close();
                }
            }
            // once the streams are gone both share the load again
            long deadline = System.currentTimeMillis() + 3000;
            while (olla.olla().endpoints().byName("busy").inFlight() > 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = olla.post("/olla/ollama/api/chat",
                        chat("shared:7b").replace("}]}", "}],\"stream\":false,\"options\":{\"num_predict\":1}}"));
                counts.merge(r.headers().firstValue("X-Olla-Endpoint").orElseThrow(), 1, Integer::sum);
            }
            assertThat(counts).containsKeys("busy", "idle");
        }
    }
}
