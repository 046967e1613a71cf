package dev.olla.balance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.sim.SimBackends;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** proxy.sticky_sessions over a real proxy: pins, key sources, per-model scope, repin, stats. */
class StickySessionsProxyTest {
    final SimBackends sims = new SimBackends();
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        sims.close();
    }

    TestOlla.Builder three() {
        TestOlla.Builder b = TestOlla.builder().balancer("round-robin");
        for (String name : new String[] {"a", "b", "c"}) {
            b.endpoint(name, sims.ollama(1, "llama3.2:3b", "phi4:14b").baseUrl(), "ollama");
        }
        return b;
    }

    HttpResponse<String> chat(String model, String session, String firstMessage) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(olla.uri("/olla/ollama/api/chat"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":false,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + firstMessage + "\"}]}"));
        if (session != null) {
            r.header("X-Olla-Session-ID", session);
        }
        return TestOlla.client().send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String endpoint(HttpResponse<String> r) {
        return r.headers().firstValue("X-Olla-Endpoint").orElseThrow();
    }

    @Test
    void offByDefaultWithoutAnyStickyHeaders() throws Exception {
        olla = three().start().ready();
        HttpResponse<String> r = chat("llama3.2:3b", "s1", "hi");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.toLowerCase().startsWith("x-olla-sticky"));
        assertThat(olla.get("/internal/stats/sticky").body()).isEqualTo("{\"enabled\":false}");
    }

    @Test
    void aSessionStaysOnItsEndpointPerModelAndRepinsWhenItGoesDown() throws Exception {
        olla = three().proxy("sticky_sessions", Map.of("enabled", true)).start().ready();
        HttpResponse<String> first = chat("llama3.2:3b", "conv-1", "hello");
        assertThat(first.headers().firstValue("X-Olla-Sticky-Session")).hasValue("miss");
        assertThat(first.headers().firstValue("X-Olla-Sticky-Key-Source")).hasValue("session_header");
        assertThat(first.headers().firstValue("X-Olla-Session-ID")).hasValue("conv-1");
        String pinned = endpoint(first);
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = chat("llama3.2:3b", "conv-1", "turn " + i);
            assertThat(endpoint(r)).isEqualTo(pinned);
            assertThat(r.headers().firstValue("X-Olla-Sticky-Session")).hasValue("hit");
        }
        // the same session with another model is a different key
        assertThat(chat("phi4:14b", "conv-1", "x").headers().firstValue("X-Olla-Sticky-Session")).hasValue("miss");
        // the pinned endpoint dies: the session moves and stays on its new endpoint
        sims.get(List.of("a", "b", "c").indexOf(pinned)).faults().refuseConnections(true);
        HttpResponse<String> moved = chat("llama3.2:3b", "conv-1", "after");
        assertThat(moved.statusCode()).isEqualTo(200);
        assertThat(endpoint(moved)).isNotEqualTo(pinned);
        assertThat(moved.headers().firstValue("X-Olla-Sticky-Session")).hasValue("repin");
        assertThat(endpoint(chat("llama3.2:3b", "conv-1", "again"))).isEqualTo(endpoint(moved));

        JsonNode stats = new ObjectMapper().readTree(olla.get("/internal/stats/sticky").body());
        assertThat(stats.path("enabled").asBoolean()).isTrue();
        assertThat(stats.path("hits").asLong()).isGreaterThanOrEqualTo(7);
        assertThat(stats.path("active_sessions").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(stats.path("max_sessions").asInt()).isEqualTo(10000);
    }

    @Test
    void conversationsWithoutASessionIdArePinnedByTheirPrefix() throws Exception {
        olla = three().proxy("sticky_sessions", Map.of("enabled", true)).start().ready();
        Set<String> endpoints = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = chat("llama3.2:3b", null, "the same opening message");
            endpoints.add(endpoint(r));
            assertThat(r.headers().firstValue("X-Olla-Sticky-Key-Source")).hasValue("prefix_hash");
            assertThat(r.headers().firstValue("X-Olla-Session-ID")).isEmpty();
        }
        assertThat(endpoints).hasSize(1);
    }

    @Test
    void noApplicableKeySourceIsReportedAsDisabled() throws Exception {
        olla = three().proxy("sticky_sessions", Map.of("enabled", true, "key_sources", List.of("session_header")))
                .start().ready();
        HttpResponse<String> r = chat("llama3.2:3b", null, "hi");
        assertThat(r.headers().firstValue("X-Olla-Sticky-Session")).hasValue("disabled");
        assertThat(r.headers().firstValue("X-Olla-Sticky-Key-Source")).isEmpty();
    }

    @Test
    void theIpKeyIsTheTrustedClientAddressNotTheProxyInFront() throws Exception {
        olla = three().proxy("sticky_sessions", Map.of("enabled", true, "key_sources", List.of("ip")))
                .set("server", "rate_limits", Map.of("global_requests_per_minute", 0, "per_ip_requests_per_minute", 0,
                        "health_requests_per_minute", 0, "trust_proxy_headers", true))
                .start().ready();
        // three clients behind one trusted proxy (the loopback peer): three pins, not one shared pin
        Map<String, String> pinned = new java.util.HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (String client : new String[] {"203.0.113.1", "203.0.113.2", "203.0.113.3"}) {
                HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/olla/ollama/api/chat"))
                        .header("Content-Type", "application/json")
                        // the first entry is the client's own claim: it must not matter
                        .header("X-Forwarded-For", "198.51.100." + round + ", " + client)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2:3b\",\"stream\":false,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Olla-Sticky-Key-Source")).hasValue("ip");
                String prev = pinned.putIfAbsent(client, endpoint(r));
                if (prev != null) {
                    assertThat(endpoint(r)).as(client).isEqualTo(prev);
                    assertThat(r.headers().firstValue("X-Olla-Sticky-Session")).hasValue("hit");
                }
            }
        }
        JsonNode stats = new ObjectMapper().readTree(olla.get("/internal/stats/sticky").body());
        assertThat(stats.path("active_sessions").asLong()).isEqualTo(3);
        // round-robin gave each new client the next endpoint: the pins differ
        assertThat(new HashSet<>(pinned.values())).hasSize(3);
    }

    @Test
    void aHugeSessionIdStillPinsButIsNotEchoed() throws Exception {
        olla = three().proxy("sticky_sessions", Map.of("enabled", true)).start().ready();
        String huge = "s".repeat(20_000);
        HttpResponse<String> first = chat("llama3.2:3b", huge, "hello");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Olla-Sticky-Key-Source")).hasValue("session_header");
        assertThat(first.headers().firstValue("X-Olla-Session-ID")).isEmpty();
        HttpResponse<String> again = chat("llama3.2:3b", huge, "turn 2");
        assertThat(endpoint(again)).isEqualTo(endpoint(first));
        assertThat(again.headers().firstValue("X-Olla-Sticky-Session")).hasValue("hit");
        assertThat(chat("llama3.2:3b", "short-id", "x").headers().firstValue("X-Olla-Session-ID")).hasValue("short-id");
    }
}
