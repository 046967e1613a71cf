package dev.olla;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.olla.config.ConfigLoader;
import dev.olla.config.LoadedConfig;
import dev.olla.config.OllaConfig;
import dev.olla.profile.ProfileRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real Olla on 127.0.0.1 (ephemeral port) for integration tests, configured through the same
 * YAML path users take. Build with {@link #builder()}, talk to it with {@link #get}/{@link #post}.
 */
public final class TestOlla implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final Olla olla;

    private TestOlla(Olla olla) {
        this.olla = olla;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Olla olla() {
        return olla;
    }

    /**
     * Waits (at most 10 s) until every endpoint is routable: on a loaded machine the first health
     * probe can time out and leave an endpoint offline until the next check.
     */
    public TestOlla ready() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!olla.endpoints().all().stream().allMatch(s -> s.routable()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return this;
    }

    public int port() {
        return olla.port();
    }

    public String base() {
        return "http://127.0.0.1:" + olla.port();
    }

    public URI uri(String path) {
        return URI.create(base() + path);
    }

    public static HttpClient client() {
        return CLIENT;
    }

    public HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String json) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Reloads the running instance with this builder's configuration; returns the ignored restart-only keys. */
    public List<String> reload(Builder next) throws Exception {
        return olla.reload(next.config(), ProfileRegistry.builtIn());
    }

    /** Waits (up to 15 s: discovery is slow on a loaded machine) until /olla/models lists {@code model}. */
    public TestOlla awaitModel(String model) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (!get("/olla/models").body().contains("\"" + model + "\"") && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        return this;
    }

    @Override
    public void close() {
        olla.close();
    }

    /** The configuration with server.port 0 (validation rightly refuses 0 in a user's file). */
    public static OllaConfig ephemeralPort(OllaConfig c) {
        OllaConfig.Server s = c.server();
        OllaConfig.Server server = new OllaConfig.Server(s.host(), 0, s.readTimeout(), s.readHeaderTimeout(),
                s.writeTimeout(), s.idleTimeout(), s.shutdownTimeout(), s.requestLogging(), s.requestLimits(),
                s.rateLimits(), s.cors());
        return new OllaConfig(server, c.proxy(), c.discovery(), c.modelRegistry(), c.modelAliases(), c.translators(),
                c.logging(), c.engineering(), c.dashboard(), c.state(), c.reload());
    }

    /** Builds the YAML configuration as nested maps. */
    public static final class Builder {
        private final Map<String, Object> root = new LinkedHashMap<>();
        private final List<Map<String, Object>> endpoints = new ArrayList<>();

        Builder() {
            section("server").put("host", "127.0.0.1");
            section("server").put("port", 40114); // replaced by an ephemeral port at start
            section("server").put("shutdown_timeout", "2s");
            // tests send hundreds of requests a minute from one IP; RateLimitTest turns limits on
            section("server").put("rate_limits", new LinkedHashMap<>(Map.of("global_requests_per_minute", 0,
                    "per_ip_requests_per_minute", 0, "health_requests_per_minute", 0)));
            section("logging").put("level", "warn");
            Map<String, Object> discovery = section("discovery");
            discovery.put("static", Map.of("endpoints", endpoints));
            discovery.put("health_check", Map.of("initial_delay", "0s"));
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> section(String name) {
            return (Map<String, Object>) root.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
        }

        public Builder engine(String engine) {
            section("proxy").put("engine", engine);
            return this;
        }

        public Builder profile(String profile) {
            section("proxy").put("profile", profile);
            return this;
        }

        public Builder balancer(String balancer) {
            section("proxy").put("load_balancer", balancer);
            return this;
        }

        public Builder proxy(String key, Object value) {
            section("proxy").put(key, value);
            return this;
        }

        public Builder server(String key, Object value) {
            section("server").put(key, value);
            return this;
        }

        public Builder set(String section, String key, Object value) {
            section(section).put(key, value);
            return this;
        }

        /** An endpoint; extra pairs (key, value, ...) add endpoint keys such as preserve_path. */
        public Builder endpoint(String name, String url, String type, Object... extra) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", name);
            e.put("url", url);
            e.put("type", type);
            e.put("check_interval", "1s");
            e.put("check_timeout", "500ms");
            for (int i = 0; i + 1 < extra.length; i += 2) {
                e.put((String) extra[i], extra[i + 1]);
            }
            endpoints.add(e);
            return this;
        }

        public String yaml() {
            try {
                return new YAMLMapper().writeValueAsString(root);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        public TestOlla start() throws Exception {
            return new TestOlla(Olla.start(config(), ProfileRegistry.builtIn()));
        }

        /** The validated configuration (server.port 0). */
        public OllaConfig config() throws Exception {
            ProfileRegistry profiles = ProfileRegistry.builtIn();
            LoadedConfig loaded = ConfigLoader.parse(yaml(), "test config", Map.of(), profiles.knownTypes(), null);
            return ephemeralPort(loaded.config());
        }
    }
}
