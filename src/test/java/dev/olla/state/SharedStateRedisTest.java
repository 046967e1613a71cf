package dev.olla.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointState;
import dev.olla.sim.SimBackends;
import dev.olla.sim.SimulatedBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two Olla instances sharing state through a real redis-server: sticky pins, rate limits and
 * endpoint observations, and what happens while Redis is gone.
 */
class SharedStateRedisTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final SimBackends sims = new SimBackends();
    final List<TestOlla> instances = new ArrayList<>();
    RedisServer redis;
    String prefix;

    @BeforeEach
    void redis() throws Exception {
        redis = RedisServer.startOrSkip();
        prefix = "t" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 20) + ":";
    }

    @AfterEach
    void stop() throws Exception {
        instances.forEach(TestOlla::close);
        sims.close();
        if (redis != null) {
            redis.close();
        }
    }

    SimulatedBackend sim() {
        return sims.ollama(1, "llama3.2:3b");
    }

    TestOlla.Builder shared() {
        return shared("1s");
    }

    TestOlla.Builder shared(String commandTimeout) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("url", redis.url());
        r.put("key_prefix", prefix);
        r.put("retry_interval", "200ms");
        // 1s: generous for a loaded test machine, where a timeout would (correctly) decide locally
        r.put("command_timeout", commandTimeout);
        return TestOlla.builder().set("state", "type", "redis").set("state", "redis", r);
    }

    TestOlla start(TestOlla.Builder b) throws Exception {
        TestOlla o = b.start();
        instances.add(o);
        await("the instance to reach Redis", Duration.ofSeconds(5), () -> !degraded(o));
        return o;
    }

    static HttpResponse<String> chat(TestOlla o, String session, String auth) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(o.uri("/olla/ollama/api/chat"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2:3b\",\"stream\":false,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        if (session != null) {
            r.header("X-Olla-Session-ID", session);
        }
        if (auth != null) {
            r.header("Authorization", auth);
        }
        return TestOlla.client().send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void await(String what, Duration bound, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + bound.toMillis() + " ms waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    List<String> redisKeys() {
        RedisClient c = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            List<String> out = new ArrayList<>();
            for (String k : conn.sync().keys(prefix + "*")) {
                out.add(k + "=" + (conn.sync().type(k).equals("string") ? conn.sync().get(k) : "<" + conn.sync().type(k) + ">"));
            }
            return out;
        } finally {
            c.shutdown();
        }
    }

    @Test
    void twoInstancesShareStickyPinsAndNeverStoreTheAuthorizationHeader() throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        TestOlla.Builder cfg = shared().balancer("round-robin")
                .proxy("sticky_sessions", Map.of("enabled", true, "key_sources", List.of("session_header", "auth_header")))
                .endpoint("a", a.baseUrl(), "ollama").endpoint("b", b.baseUrl(), "ollama");
        TestOlla one = start(cfg);
        TestOlla two = start(cfg);
        Map<String, String> pinned = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            HttpResponse<String> r = chat(one, "conv-" + i, null);
            assertThat(r.statusCode()).isEqualTo(200);
            pinned.put("conv-" + i, r.headers().firstValue("X-Olla-Endpoint").orElseThrow());
        }
        HttpResponse<String> viaAuth = chat(one, null, "Bearer secret-token-123");
        String authPinned = viaAuth.headers().firstValue("X-Olla-Endpoint").orElseThrow();
        assertThat(pinned.values()).contains("a", "b"); // round-robin spread them
        await("the pins to reach the second instance", Duration.ofSeconds(5),
                () -> count(two, "/internal/stats/sticky", "active_sessions") >= 9);
        for (Map.Entry<String, String> e : pinned.entrySet()) {
            HttpResponse<String> r = chat(two, e.getKey(), null);
            assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue(e.getValue());
            assertThat(r.headers().firstValue("X-Olla-Sticky-Session")).hasValue("hit");
        }
        HttpResponse<String> authAgain = chat(two, null, "Bearer secret-token-123");
        assertThat(authAgain.headers().firstValue("X-Olla-Endpoint")).hasValue(authPinned);
        List<String> keys = redisKeys();
        assertThat(keys).anyMatch(k -> k.startsWith(prefix + "pin:"));
        assertThat(keys).allMatch(k -> k.startsWith(prefix));
        assertThat(String.join("\n", keys)).doesNotContain("secret-token").doesNotContain("Bearer");
        RedisClient c = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            for (String k : conn.sync().keys(prefix + "pin:*")) {
                long ttl = conn.sync().ttl(k);
                assertThat(ttl).as("expiry of %s", k).isPositive();
            }
        } finally {
            c.shutdown();
        }
    }

    static long count(TestOlla o, String path, String field) {
        try {
            return json(o.get(path)).path(field).asLong();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void aRateLimitHoldsExactlyAcrossBothInstances() throws Exception {
        SimulatedBackend a = sim();
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("global_requests_per_minute", 0);
        limits.put("per_ip_requests_per_minute", 10);
        limits.put("health_requests_per_minute", 0);
        limits.put("burst_size", 10);
        TestOlla.Builder cfg = shared().server("rate_limits", limits).endpoint("a", a.baseUrl(), "ollama");
        TestOlla one = start(cfg);
        TestOlla two = start(cfg);
        int ok = 0;
        int refused = 0;
        for (int i = 0; i < 14; i++) {
            HttpResponse<String> r = chat(i % 2 == 0 ? one : two, null, null);
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
                refused++;
            }
        }
        assertThat(ok).isEqualTo(10);
        assertThat(refused).isEqualTo(4);
        assertThat(redisKeys()).anyMatch(k -> k.startsWith(prefix + "rl:"));
        JsonNode state = json(one.get("/internal/status")).path("state");
        assertThat(state.path("type").asText()).isEqualTo("redis");
        assertThat(state.path("degraded").asBoolean()).isFalse();
        assertThat(state.path("local_rate_decisions").asLong()).isZero();
    }

    @Test
    void aFailureAndARecoverySeenByOneInstanceReachTheOtherWithinOneSecond() throws Exception {
        SimulatedBackend x = sim();
        SimulatedBackend y = sim();
        // Slow probes: only the observation can tell the second instance in time.
        TestOlla.Builder cfg = shared().balancer("priority")
                .endpoint("x", x.baseUrl(), "ollama", "priority", 100, "check_interval", "30s", "check_timeout", "3s")
                .endpoint("y", y.baseUrl(), "ollama", "priority", 50, "check_interval", "30s", "check_timeout", "3s");
        TestOlla one = start(cfg);
        TestOlla two = start(cfg);
        EndpointState xOnTwo = two.olla().endpoints().byName("x");
        assertThat(xOnTwo.routable()).isTrue();

        x.faults().refuseConnections(true);
        HttpResponse<String> r = chat(one, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("y");
        long t0 = System.nanoTime();
        assertThat(one.olla().endpoints().byName("x").routable()).isFalse();
        await("the second instance to take x out", Duration.ofSeconds(1), () -> !xOnTwo.routable());
        long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(chat(two, null, null).headers().firstValue("X-Olla-Endpoint")).hasValue("y");

        x.faults().refuseConnections(false);
        one.olla().health().checkAllNow().get(5, TimeUnit.SECONDS);
        assertThat(one.olla().endpoints().byName("x").routable()).isTrue();
        long t1 = System.nanoTime();
        await("the second instance to put x back", Duration.ofSeconds(1), xOnTwo::routable);
        long upMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
        assertThat(chat(two, null, null).headers().firstValue("X-Olla-Endpoint")).hasValue("x");
        System.out.printf("observation latency: down %d ms, up %d ms%n", downMillis, upMillis);
    }

    @Test
    void aBreakerOpenedByBadAnswersOnOneInstanceOpensOnTheOther() throws Exception {
        SimulatedBackend x = sim();
        SimulatedBackend y = sim();
        TestOlla.Builder cfg = shared().balancer("priority").proxy("consecutive_5xx", 2)
                .endpoint("x", x.baseUrl(), "ollama", "priority", 100, "check_interval", "30s", "check_timeout", "3s")
                .endpoint("y", y.baseUrl(), "ollama", "priority", 50, "check_interval", "30s", "check_timeout", "3s");
        TestOlla one = start(cfg);
        TestOlla two = start(cfg);
        EndpointState xOnTwo = two.olla().endpoints().byName("x");
        x.faults().httpError(500); // inference fails, its health URL still answers
        assertThat(chat(one, null, null).statusCode()).isEqualTo(500);
        assertThat(chat(one, null, null).statusCode()).isEqualTo(500);
        assertThat(one.olla().health().breaker(one.olla().endpoints().byName("x")).state())
                .isNotEqualTo(dev.olla.health.CircuitBreaker.State.CLOSED);
        long t0 = System.nanoTime();
        await("the second instance to open x's breaker", Duration.ofSeconds(1),
                () -> two.olla().health().breaker(xOnTwo).state() != dev.olla.health.CircuitBreaker.State.CLOSED);
        System.out.printf("breaker observation latency: %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        assertThat(xOnTwo.routable()).as("probes still pass: only the breaker is open").isTrue();
        HttpResponse<String> r = chat(two, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("y");
    }

    @Test
    void withRedisGoneRequestsGoOnLocallyAndTheStateResyncsWhenItReturns() throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("global_requests_per_minute", 0);
        limits.put("per_ip_requests_per_minute", 1000);
        limits.put("health_requests_per_minute", 0);
        limits.put("burst_size", 1000);
        TestOlla.Builder cfg = shared("100ms").balancer("round-robin").server("rate_limits", limits)
                .proxy("sticky_sessions", Map.of("enabled", true))
                .endpoint("a", a.baseUrl(), "ollama").endpoint("b", b.baseUrl(), "ollama");
        TestOlla one = start(cfg);
        TestOlla two = start(cfg);

        redis.stop();
        long worst = 0;
        for (int i = 0; i < 20; i++) {
            long t = System.nanoTime();
            HttpResponse<String> r = chat(one, "down-" + i, null);
            worst = Math.max(worst, System.nanoTime() - t);
            assertThat(r.statusCode()).isEqualTo(200);
        }
        // bounded by the command timeout (100 ms) for the request that found Redis gone; then local
        assertThat(TimeUnit.NANOSECONDS.toMillis(worst)).isLessThan(1000);
        JsonNode state = json(one.get("/internal/status")).path("state");
        assertThat(state.path("degraded").asBoolean()).isTrue();
        assertThat(state.path("outages").asLong()).isEqualTo(1);
        assertThat(state.path("local_rate_decisions").asLong()).isPositive();

        assertThat(redis.launch()).isTrue();
        await("both instances to use Redis again", Duration.ofSeconds(5),
                () -> !degraded(one) && !degraded(two));
        HttpResponse<String> r = chat(one, "after", null);
        String e = r.headers().firstValue("X-Olla-Endpoint").orElseThrow();
        await("the new pin to reach the second instance", Duration.ofSeconds(5),
                () -> count(two, "/internal/stats/sticky", "active_sessions") >= 1);
        assertThat(chat(two, "after", null).headers().firstValue("X-Olla-Endpoint")).hasValue(e);
        assertThat(json(one.get("/internal/status")).path("state").path("outages").asLong()).isEqualTo(1);
    }

    static boolean degraded(TestOlla o) {
        try {
            return json(o.get("/internal/status")).path("state").path("degraded").asBoolean(true);
        } catch (Exception e) {
            return true;
        }
    }
}
