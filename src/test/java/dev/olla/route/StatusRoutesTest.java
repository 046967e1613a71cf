package dev.olla.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.config.ConfigLoader;
import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.EndpointStatus;
import dev.olla.health.HealthMonitor;
import dev.olla.health.TestEndpoints;
import dev.olla.server.Json;
import dev.olla.server.OllaServer;
import dev.olla.server.Router;
import dev.olla.server.ServerSettings;
import dev.olla.server.Transport;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StatusRoutesTest {
    private static final String SECRET = "sekret-token-123";
    private static EventLoopGroup boss;
    private static EventLoopGroup workers;
    private static OllaServer server;
    private static HealthMonitor health;
    private static HttpClient client;
    private static String base;
    private static EndpointState gpu1;
    private static EndpointState gpu2;

    @BeforeAll
    static void start() throws Exception {
        OllaConfig config = ConfigLoader.defaults();
        gpu1 = new EndpointState(TestEndpoints.endpoint("gpu1", "http://127.0.0.1:1/base?key=query-" + SECRET, 100,
                "/", Duration.ofSeconds(5), Duration.ofSeconds(2),
                Map.of("Authorization", "Bearer " + SECRET, "X-Team", "ml")));
        gpu2 = new EndpointState(TestEndpoints.endpoint("gpu2", "http://127.0.0.1:2", 50, "/", Duration.ofSeconds(5),
                Duration.ofSeconds(2), Map.of("Authorization", "Bearer " + SECRET)));
        EndpointRegistry registry = TestEndpoints.registry(gpu2, gpu1);
        health = new HealthMonitor(registry, Duration.ZERO, dev.olla.health.HealthMonitor.Options.DEFAULTS);
        gpu1.compareAndSetStatus(EndpointStatus.UNKNOWN, EndpointStatus.HEALTHY, "HTTP 200 in 3ms");
        gpu1.checked(Instant.now(), 3, Instant.now().plusSeconds(5), 0);
        for (int i = 0; i < 3; i++) { // three separate outages: each failure finds it back in rotation
            gpu2.status(EndpointStatus.HEALTHY, "back");
            health.connectionFailed(gpu2, dev.olla.health.CircuitBreaker.Permit.CLOSED, "auth Bearer " + SECRET + " rejected, connection refused");
        }
        gpu1.attemptStarted();
        gpu1.attemptEnded(false, 2048, 120_000);
        gpu1.attemptStarted(); // one still in flight

        boss = Transport.newGroup(1, "t-boss");
        workers = Transport.newGroup(1, "t");
        Router router = new Router();
        server = new OllaServer("127.0.0.1", 0, ServerSettings.from(config.server()), router, boss, workers);
        StatusRoutes.register(router,
                StatusRoutes.Sources.of(registry, health, server.stats(), config).withModelCount(s -> s == gpu1 ? 7 : 0));
        server.start();
        base = "http://127.0.0.1:" + server.port();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        gpu1.attemptEnded(false, 0, 0);
        server.stop(Duration.ZERO);
        health.close();
        client.shutdownNow();
        boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode json(HttpResponse<byte[]> res) throws Exception {
        return Json.tree(res.body());
    }

    @Test
    void statusSummarisesEndpointsProxyAndSystem() throws Exception {
        HttpResponse<byte[]> res = get("/internal/status");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
        String text = new String(res.body(), StandardCharsets.UTF_8);
        assertThat(text).doesNotContain(SECRET).doesNotContain("\": ").doesNotContain("query-");

        JsonNode body = json(res);
        assertThat(body.path("timestamp").asText()).isNotEmpty();
        assertThat(body.path("proxy").path("engine").asText()).isEqualTo("sherpa");
        assertThat(body.path("proxy").path("profile").asText()).isEqualTo("auto");
        assertThat(body.path("proxy").path("balancer").asText()).isEqualTo("least-connections");

        JsonNode system = body.path("system");
        assertThat(system.path("status").asText()).isEqualTo("degraded"); // 1 of 2 healthy, 100% success
        assertThat(system.path("endpoints_up").asText()).isEqualTo("1/2");
        assertThat(system.path("total_requests").asLong()).isEqualTo(2);
        assertThat(system.path("total_failures").asLong()).isZero();
        assertThat(system.path("active_connections").asLong()).isEqualTo(1);
        assertThat(system.path("has_traffic").asBoolean()).isTrue();
        assertThat(system.path("success_rate").asText()).isEqualTo("100%");
        assertThat(system.path("uptime").asText()).isNotEmpty();
        assertThat(system.has("version")).isTrue();

        JsonNode eps = body.path("endpoints");
        assertThat(eps).hasSize(2);
        JsonNode e1 = eps.get(0); // priority 100 first
        assertThat(e1.path("name").asText()).isEqualTo("gpu1");
        assertThat(e1.path("url").asText()).isEqualTo("http://127.0.0.1:1/base");
        assertThat(e1.path("status").asText()).isEqualTo("healthy");
        assertThat(e1.path("priority").asInt()).isEqualTo(100);
        assertThat(e1.path("connections").asInt()).isEqualTo(1);
        assertThat(e1.path("requests").asLong()).isEqualTo(2);
        assertThat(e1.path("avg_latency").asText()).isEqualTo("60ms");
        assertThat(e1.path("traffic").asText()).isEqualTo("2.00 KB");
        assertThat(e1.path("last_check").asText()).endsWith(" ago");
        assertThat(e1.path("next_check").asText()).startsWith("in ");
        assertThat(e1.path("models").path("count").asInt()).isEqualTo(7);
        assertThat(e1.path("id").asText()).isNotEmpty();

        JsonNode e2 = eps.get(1);
        assertThat(e2.path("name").asText()).isEqualTo("gpu2");
        assertThat(e2.path("status").asText()).isEqualTo("offline");
        assertThat(e2.path("success_rate").asText()).isEqualTo("N/A");
        assertThat(e2.path("last_check").asText()).isEqualTo("never");
        assertThat(e2.path("issues").asText()).contains("unavailable").contains("circuit breaker open");
        assertThat(e2.path("circuit_breaker").asText()).isEqualTo("open");

        assertThat(body.path("security").path("violations").path("rate_limits").asLong()).isZero();
        assertThat(body.path("security").path("violations").path("size_limits").asLong()).isZero();
        assertThat(body.path("security").path("status").asText()).isEqualTo("normal");
    }

    @Test
    void endpointsListCountsAndItemFields() throws Exception {
        HttpResponse<byte[]> res = get("/internal/status/endpoints");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(new String(res.body(), StandardCharsets.UTF_8)).doesNotContain(SECRET);
        JsonNode body = json(res);
        assertThat(body.path("total_count").asInt()).isEqualTo(2);
        assertThat(body.path("healthy_count").asInt()).isEqualTo(1);
        assertThat(body.path("routable_count").asInt()).isEqualTo(1);
        JsonNode e1 = body.path("endpoints").get(0);
        List<String> fields = new ArrayList<>();
        e1.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).contains("id", "name", "type", "status", "url", "priority", "model_count", "request_count",
                "success_rate", "health_check", "active_connections", "health_check_at", "next_check_at");
        assertThat(e1.path("type").asText()).isEqualTo("ollama");
        assertThat(e1.path("model_count").asInt()).isEqualTo(7);
        assertThat(e1.path("request_count").asLong()).isEqualTo(2);
        assertThat(e1.path("active_connections").asInt()).isEqualTo(1);
        assertThat(e1.path("response_time").asText()).isEqualTo("3ms");
        JsonNode e2 = body.path("endpoints").get(1);
        assertThat(e2.path("status_reason").asText()).contains("[redacted]").contains("connection refused");
        assertThat(e2.path("health_check").asText()).isEmpty();
    }

    @Test
    void etagAnswers304AndGzipWhenAccepted() throws Exception {
        HttpResponse<byte[]> first = get("/internal/status/endpoints");
        String etag = first.headers().firstValue("etag").orElseThrow();
        assertThat(etag).startsWith("W/\"");
        assertThat(first.headers().firstValue("cache-control")).hasValue("private, no-cache");

        HttpResponse<byte[]> again = get("/internal/status/endpoints", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        HttpResponse<byte[]> other = get("/internal/status/endpoints", "If-None-Match", "W/\"nope\"");
        assertThat(other.statusCode()).isEqualTo(200);

        HttpResponse<byte[]> zipped = get("/internal/status", "Accept-Encoding", "gzip");
        assertThat(zipped.headers().firstValue("content-encoding")).hasValue("gzip");
        byte[] plain;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
            plain = in.readAllBytes();
        }
        assertThat(Json.tree(plain).path("endpoints")).hasSize(2);
    }

    @Test
    void processReportsJvmMemoryThreadsAndGc() throws Exception {
        HttpResponse<byte[]> res = get("/internal/process");
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = json(res);
        JsonNode memory = body.path("memory");
        assertThat(memory.path("memory_pressure").asText()).isIn("LOW", "MEDIUM", "HIGH");
        assertThat(memory.path("heap_used_bytes").asLong()).isPositive();
        assertThat(memory.path("heap_used").asText()).matches("[0-9.]+ [KMGT]?B");
        assertThat(memory.has("direct_buffers")).isTrue();
        assertThat(memory.path("netty").path("pooled").has("used_direct_bytes")).isTrue();
        assertThat(body.path("threads").path("count").asInt()).isPositive();
        assertThat(body.path("threads").path("peak").asInt()).isPositive();
        assertThat(body.path("threads").has("daemon")).isTrue();
        assertThat(body.path("garbage_collection").path("collectors").size()).isPositive();
        assertThat(body.path("runtime").path("uptime").asText()).isNotEmpty();
    }

    @Test
    void wrongMethodIs405() throws Exception {
        HttpResponse<byte[]> res = client.send(HttpRequest.newBuilder(URI.create(base + "/internal/status"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(res.statusCode()).isEqualTo(405);
    }

    @Test
    void systemStatusRules() {
        assertThat(StatusRoutes.systemStatus(0, 0, false, 0)).isEqualTo("critical");
        assertThat(StatusRoutes.systemStatus(4, 4, false, 0)).isEqualTo("healthy");
        assertThat(StatusRoutes.systemStatus(5, 3, false, 0)).isEqualTo("degraded");
        assertThat(StatusRoutes.systemStatus(4, 1, false, 0)).isEqualTo("critical");
        assertThat(StatusRoutes.systemStatus(4, 4, true, 94.0)).isEqualTo("degraded");
        assertThat(StatusRoutes.systemStatus(4, 4, true, 89.0)).isEqualTo("critical");
        assertThat(StatusRoutes.systemStatus(4, 4, true, 99.0)).isEqualTo("healthy");
    }
}
