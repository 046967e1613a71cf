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

    /** One Ollama simulator behind an Olla with these {@code server.rate_limits}. */
    static final class Rig implements AutoCloseable {
        private final SimulatedBackend sim = sim();
        private final TestOlla olla;
        private final long discovered;

        Rig(Map<String, Object> limits) throws Exception {
            try {
                olla = TestOlla.builder().endpoint("one", sim.baseUrl(), "ollama").set("server", "rate_limits", limits)
                        .start().ready();
            } catch (Exception | Error e) {
                sim.close();
                throw e;
            }
            discovered = sim.stats().requests("/api/version"); // model discovery reads the version too
        }

        TestOlla olla() {
            return olla;
        }

        /** Requests for /api/version that reached the backend through the proxy. */
        long proxied() {
            return sim.stats().requests("/api/version") - discovered;
        }

        @Override
        public void close() {
            try (sim) {
                olla.close();
            }
        }
    }

    @Test
    void perIpBurstThen429WithRetryAfterAndHeadersOnEveryProxyResponse() throws Exception {
        try (Rig rig = new Rig(Map.of("per_ip_requests_per_minute", 60, "burst_size", 5,
                "global_requests_per_minute", 0))) {
            TestOlla olla = rig.olla();
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
            assertThat(rig.proxied()).isEqualTo(5);
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
        try (Rig rig = new Rig(Map.of("global_requests_per_minute", 60, "burst_size", 3,
                "per_ip_requests_per_minute", 1000, "trust_proxy_headers", true))) {
            TestOlla olla = rig.olla();
            int ok = 0;
            int limited = 0;
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = getAs(olla, "/olla/ollama/api/version", "10.0.0." + i);
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
        try (Rig rig = new Rig(Map.of("per_ip_requests_per_minute", 60, "burst_size", 2,
                "global_requests_per_minute", 0, "trust_proxy_headers", true))) {
            TestOlla trusting = rig.olla();
            // 127.0.0.1 is in the default trusted ranges: each X-Forwarded-For client has its own bucket
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = getAs(trusting, "/olla/ollama/api/version", "192.168.1." + i + ", 10.0.0.1");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
        }
        try (Rig rig = new Rig(Map.of("per_ip_requests_per_minute", 60, "burst_size", 2,
                "global_requests_per_minute", 0, "trust_proxy_headers", false))) {
            TestOlla strict = rig.olla();
            int limited = 0;
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = getAs(strict, "/olla/ollama/api/version", "192.168.1." + i);
                if (r.statusCode() == 429) {
                    limited++;
                }
            }
            assertThat(limited).isEqualTo(4);
        }
    }

    @Test
    void healthHasItsOwnBudget() throws Exception {
        try (Rig rig = new Rig(Map.of("health_requests_per_minute", 60, "burst_size", 2,
                "per_ip_requests_per_minute", 60, "global_requests_per_minute", 0))) {
            TestOlla olla = rig.olla();
            assertThat(olla.get("/internal/health").statusCode()).isEqualTo(200);
            assertThat(olla.get("/internal/health").statusCode()).isEqualTo(200);
            assertThat(olla.get("/internal/health").statusCode()).isEqualTo(429);
            // the proxy budget is separate
            assertThat(olla.get("/olla/ollama/api/version").statusCode()).isEqualTo(200);
        }
    }

    static HttpResponse<String> getAs(TestOlla olla, String path, String forwardedFor) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(olla.uri(path));
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        return TestOlla.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void globalLimitWorksWithThePerIpLimitOff() throws Exception {
        try (Rig rig = new Rig(Map.of("global_requests_per_minute", 60, "burst_size", 3,
                "per_ip_requests_per_minute", 0, "health_requests_per_minute", 0))) {
            TestOlla olla = rig.olla();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = olla.get("/olla/ollama/api/version");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-RateLimit-Limit")).hasValue("60");
                assertThat(r.headers().firstValue("X-RateLimit-Remaining")).hasValue(String.valueOf(2 - i));
            }
            HttpResponse<String> limited = olla.get("/olla/ollama/api/version");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After")).isPresent();
            assertThat(rig.proxied()).isEqualTo(3);
        }
    }

    @Test
    void aRequestRefusedPerIpSpendsNoGlobalToken() throws Exception {
        // burst_size 0: each bucket holds its per-minute rate (global 5, per client 2)
        try (Rig rig = new Rig(Map.of("global_requests_per_minute", 5, "burst_size", 0,
                "per_ip_requests_per_minute", 2, "trust_proxy_headers", true))) {
            TestOlla olla = rig.olla();
            int noisyOk = 0;
            for (int i = 0; i < 10; i++) {
                if (getAs(olla, "/olla/ollama/api/version", "203.0.113.1").statusCode() == 200) {
                    noisyOk++;
                }
            }
            assertThat(noisyOk).isEqualTo(2);
            // 8 refusals by the client's own bucket left the global bucket at 3: others still get in
            assertThat(getAs(olla, "/olla/ollama/api/version", "203.0.113.2").statusCode()).isEqualTo(200);
            assertThat(getAs(olla, "/olla/ollama/api/version", "203.0.113.2").statusCode()).isEqualTo(200);
            assertThat(getAs(olla, "/olla/ollama/api/version", "203.0.113.3").statusCode()).isEqualTo(200);
            // now the global bucket is empty; its refusal gives the client's token back
            HttpResponse<String> global = getAs(olla, "/olla/ollama/api/version", "203.0.113.4");
            assertThat(global.statusCode()).isEqualTo(429);
            assertThat(global.headers().firstValue("X-RateLimit-Limit")).hasValue("2");
            assertThat(rig.proxied()).isEqualTo(5);
        }
    }

    @Test
    void behindTrustedProxiesTheClientIsTheRightmostUntrustedForwardedAddress() throws Exception {
        try (Rig rig = new Rig(Map.of("per_ip_requests_per_minute", 60, "burst_size", 2,
                "global_requests_per_minute", 0, "trust_proxy_headers", true))) {
            TestOlla olla = rig.olla();
            // The client writes whatever it likes into the first entries; the trusted proxy (10.0.0.5,
            // inside the default trusted ranges, like the loopback peer) appended the real address.
            int ok = 0;
            int limited = 0;
            for (int i = 0; i < 6; i++) {
                int code = getAs(olla, "/olla/ollama/api/version", "198.51.100." + i + ", 203.0.113.7, 10.0.0.5")
                        .statusCode();
                if (code == 200) {
                    ok++;
                } else if (code == 429) {
                    limited++;
                }
            }
            assertThat(ok).isEqualTo(2);
            assertThat(limited).isEqualTo(4);
            // another real client behind the same proxies has its own budget
            assertThat(getAs(olla, "/olla/ollama/api/version", "203.0.113.8, 10.0.0.5").statusCode()).isEqualTo(200);
            assertThat(rig.proxied()).isEqualTo(3);
        }
    }
}
