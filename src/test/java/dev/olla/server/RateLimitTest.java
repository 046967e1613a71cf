package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** server.rate_limits over a real socket: per-IP and global buckets, headers, 429, trusted proxies. */
class RateLimitTest {
    static SimulatedBackend sim() {
        return SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0).modelNames("llama3.2:3b")
                .tokens(1).interTokenDelay(Duration.ZERO).build().start();
    }

    @Test
    void perIpBurstThen429WithRetryAfterAndHeadersOnEveryProxyResponse() throws Exception {
        try (SimulatedBackend s = sim();
                TestOlla olla = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                        .set("server", "rate_limits", Map.of("per_ip_requests_per_minute", 60, "burst_size", 5,
                                "global_requests_per_minute", 0))
                        .start()) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = olla.get("/olla/ollama/api/version");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-RateLimit-Limit")).hasValue("60");
                assertThat(r.headers().firstValue("X-RateLimit-Remaining")).hasValue(String.valueOf(4 - i));
                assertThat(Long.parseLong(r.headers().firstValue("X-RateLimit-Reset").orElseThrow()))
                        .isGreaterThan(System.currentTimeMillis() / 1000 - 1);
            }
            HttpResponse<String> limited = olla.get("/olla/ollama/api/version");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.body()).contains("Too Many Requests");
            assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 2L);
            assertThat(s.stats().requests("/api/version")).isEqualTo(5);
            // Olla's own routes are not limited; the limit refills (1/s at 60/min)
            assertThat(olla.get("/internal/status").statusCode()).isEqualTo(200);
            Thread.sleep(1100);
            assertThat(olla.get("/olla/ollama/api/version").statusCode()).isEqualTo(200);
            assertThat(olla.olla().server().stats().rateLimitViolations()).isEqualTo(1);
            limited.headers().map().values().forEach(v -> v.forEach(x -> assertThat(x).doesNotContain("HTTP/")));
        }
    }

    @Test
    void globalLimitAppliesAcrossClients() throws Exception {
        try (SimulatedBackend s = sim();
                TestOlla olla = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                        .set("server", "rate_limits", Map.of("global_requests_per_minute", 60, "burst_size", 3,
                                "per_ip_requests_per_minute", 1000, "trust_proxy_headers", true))
                        .start()) {
            int ok = 0;
            int limited = 0;
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/olla/ollama/api/version"))
                        .header("X-Forwarded-For", "10.0.0." + i).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    ok++;
                } else if (r.statusCode() == 429) {
                    limited++;
                }
            }
            assertThat(ok).isEqualTo(3);
            assertThat(limited).isEqualTo(3);
        }
    }

    @Test
    void forwardedForIsTrustedOnlyFromTrustedProxies() throws Exception {
        try (SimulatedBackend s = sim();
                TestOlla trusting = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                        .set("server", "rate_limits", Map.of("per_ip_requests_per_minute", 60, "burst_size", 2,
                                "global_requests_per_minute", 0, "trust_proxy_headers", true))
                        .start()) {
            // 127.0.0.1 is in the default trusted ranges: each X-Forwarded-For client has its own bucket
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(trusting.uri("/olla/ollama/api/version"))
                        .header("X-Forwarded-For", "192.168.1." + i + ", 10.0.0.1").build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
        try (SimulatedBackend s = sim();
                TestOlla strict = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                        .set("server", "rate_limits", Map.of("per_ip_requests_per_minute", 60, "burst_size", 2,
                                "global_requests_per_minute", 0, "trust_proxy_headers", false))
                        .start()) {
            int limited = 0;
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = TestOlla.client().send(HttpRequest.newBuilder(strict.uri("/olla/ollama/api/version"))
                        .header("X-Forwarded-For", "192.168.1." + i).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 429) {
                    limited++;
                }
            }
            assertThat(limited).isEqualTo(4);
        }
    }

    @Test
    void healthHasItsOwnBudget() throws Exception {
        try (SimulatedBackend s = sim();
                TestOlla olla = TestOlla.builder().endpoint("one", s.baseUrl(), "ollama")
                        .set("server", "rate_limits", Map.of("health_requests_per_minute", 60, "burst_size", 2,
                                "per_ip_requests_per_minute", 60, "global_requests_per_minute", 0))
                        .start()) {
            assertThat(olla.get("/internal/health").statusCode()).isEqualTo(200);
            assertThat(olla.get("/internal/health").statusCode()).isEqualTo(200);
            assertThat(olla.get("/internal/health").statusCode()).isEqualTo(429);
            // the proxy budget is separate
            assertThat(olla.get("/olla/ollama/api/version").statusCode()).isEqualTo(200);
        }
    }
}
