package dev.olla.config;

import static dev.olla.config.ConfigTesting.failure;
import static dev.olla.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EnvOverridesTest {

    @TempDir
    Path dir;

    private OllaConfig withEnv(String var, String value) throws ConfigException {
        return ConfigLoader.load(null, Map.of(var, value), dir).config();
    }

    static Stream<Arguments> overrides() {
        return Stream.of(
                arg("OLLA_SERVER_HOST", "0.0.0.0", c -> c.server().host(), "0.0.0.0"),
                arg("OLLA_SERVER_PORT", "8080", c -> c.server().port(), 8080),
                arg("OLLA_SERVER_READ_TIMEOUT", "1m", c -> c.server().readTimeout(), Duration.ofMinutes(1)),
                arg("OLLA_SERVER_READ_HEADER_TIMEOUT", "5s", c -> c.server().readHeaderTimeout(), Duration.ofSeconds(5)),
                arg("OLLA_SERVER_WRITE_TIMEOUT", "5m", c -> c.server().writeTimeout(), Duration.ofMinutes(5)),
                arg("OLLA_SERVER_MAX_BODY_SIZE", "100MB", c -> c.server().requestLimits().maxBodySize(), 104857600L),
                arg("OLLA_SERVER_MAX_BODY_SIZE", "2048", c -> c.server().requestLimits().maxBodySize(), 2048L),
                arg("OLLA_SERVER_MAX_BODY_SIZE", "1gb", c -> c.server().requestLimits().maxBodySize(), 1073741824L),
                arg("OLLA_SERVER_MAX_HEADER_SIZE", "64KB", c -> c.server().requestLimits().maxHeaderSize(), 65536L),
                arg("OLLA_SERVER_MAX_HEADER_SIZE", "512B", c -> c.server().requestLimits().maxHeaderSize(), 512L),
                arg("OLLA_SERVER_GLOBAL_RATE_LIMIT", "5000", c -> c.server().rateLimits().globalRequestsPerMinute(), 5000),
                arg("OLLA_SERVER_PER_IP_RATE_LIMIT", "7", c -> c.server().rateLimits().perIpRequestsPerMinute(), 7),
                arg("OLLA_SERVER_RATE_BURST_SIZE", "9", c -> c.server().rateLimits().burstSize(), 9),
                arg("OLLA_SERVER_HEALTH_RATE_LIMIT", "11", c -> c.server().rateLimits().healthRequestsPerMinute(), 11),
                arg("OLLA_SERVER_RATE_CLEANUP_INTERVAL", "90s", c -> c.server().rateLimits().cleanupInterval(),
                        Duration.ofSeconds(90)),
                arg("OLLA_SERVER_TRUST_PROXY_HEADERS", "true", c -> c.server().rateLimits().trustProxyHeaders(), true),
                arg("OLLA_SERVER_TRUSTED_PROXY_CIDRS", "10.0.0.0/8, 192.168.1.0/24,", c -> c.server().rateLimits()
                        .trustedProxyCidrs(), List.of("10.0.0.0/8", "192.168.1.0/24")),
                arg("OLLA_SERVER_CORS_ENABLED", "1", c -> c.server().cors().enabled(), true),
                arg("OLLA_SERVER_CORS_ALLOWED_ORIGINS", "https://a.example,https://b.example",
                        c -> c.server().cors().allowedOrigins(), List.of("https://a.example", "https://b.example")),
                arg("OLLA_SERVER_CORS_ALLOWED_METHODS", "GET,PUT", c -> c.server().cors().allowedMethods(),
                        List.of("GET", "PUT")),
                arg("OLLA_SERVER_CORS_ALLOWED_HEADERS", "Content-Type", c -> c.server().cors().allowedHeaders(),
                        List.of("Content-Type")),
                arg("OLLA_SERVER_CORS_EXPOSED_HEADERS", "X-Olla-Endpoint,X-Olla-Model",
                        c -> c.server().cors().exposedHeaders(), List.of("X-Olla-Endpoint", "X-Olla-Model")),
                arg("OLLA_SERVER_CORS_ALLOW_CREDENTIALS", "true", c -> c.server().cors().allowCredentials(), true),
                arg("OLLA_SERVER_CORS_MAX_AGE", "60", c -> c.server().cors().maxAge(), 60),
                arg("OLLA_PROXY_ENGINE", "olla", c -> c.proxy().engine(), OllaConfig.Engine.OLLA),
                arg("OLLA_PROXY_PROFILE", "streaming", c -> c.proxy().profile(), OllaConfig.ProxyProfile.STREAMING),
                arg("OLLA_PROXY_LOAD_BALANCER", "round-robin", c -> c.proxy().loadBalancer(),
                        OllaConfig.LoadBalancer.ROUND_ROBIN),
                arg("OLLA_PROXY_RESPONSE_TIMEOUT", "20m", c -> c.proxy().responseTimeout(), Duration.ofMinutes(20)),
                arg("OLLA_PROXY_READ_TIMEOUT", "2m", c -> c.proxy().readTimeout(), Duration.ofMinutes(2)),
                arg("OLLA_PROXY_RESPONSE_HEADER_TIMEOUT", "45s", c -> c.proxy().responseHeaderTimeout(),
                        Duration.ofSeconds(45)),
                arg("OLLA_PROXY_TLS_HANDSHAKE_TIMEOUT", "3s", c -> c.proxy().tlsHandshakeTimeout(), Duration.ofSeconds(3)),
                arg("OLLA_PROXY_CONNECTION_KEEP_ALIVE", "1m", c -> c.proxy().connectionKeepAlive(), Duration.ofMinutes(1)),
                arg("OLLA_PROXY_STICKY_SESSIONS_ENABLED", "true", c -> c.proxy().stickySessions().enabled(), true),
                arg("OLLA_LOGGING_LEVEL", "debug", c -> c.logging().level(), "debug"),
                arg("OLLA_LOGGING_FORMAT", "text", c -> c.logging().format(), "text"),
                arg("OLLA_LOG_LEVEL", "WARN", c -> c.logging().level(), "warn"),
                arg("OLLA_SHOW_NERD_STATS", "true", c -> c.engineering().showNerdstats(), true),
                arg("OLLA_MODEL_REGISTRY_TYPE", "memory", c -> c.modelRegistry().type(), "memory"),
                arg("OLLA_MODEL_UNIFIER_ENABLED", "false", c -> c.modelRegistry().enableUnifier(), false),
                arg("OLLA_TRANSLATORS_ANTHROPIC_ENABLED", "false", c -> c.translators().anthropic().enabled(), false),
                arg("OLLA_TRANSLATORS_ANTHROPIC_PASSTHROUGH_ENABLED", "false",
                        c -> c.translators().anthropic().passthroughEnabled(), false),
                arg("OLLA_TRANSLATORS_ANTHROPIC_MAX_MESSAGE_SIZE", "20MB",
                        c -> c.translators().anthropic().maxMessageSize(), 20971520L),
                // the type alone: redis also needs a URL, so the test value is the (normalised) default
                arg("OLLA_STATE_TYPE", " Memory ", c -> c.state().type(), "memory"),
                arg("OLLA_STATE_REDIS_URL", "redis://cache:6379/1", c -> c.state().redis().url(), "redis://cache:6379/1"),
                arg("OLLA_RELOAD_WATCH", "true", c -> c.reload().watch(), true));
    }

    private static Arguments arg(String var, String value, Function<OllaConfig, Object> getter, Object expected) {
        return Arguments.of(var, value, getter, expected);
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("overrides")
    void eachOverrideSetsItsKey(String var, String value, Function<OllaConfig, Object> getter, Object expected)
            throws Exception {
        OllaConfig c = withEnv(var, value);
        assertThat(getter.apply(c)).isEqualTo(expected);
        // "memory" is the only value valid on its own; the Redis URL has no default
        if (!java.util.Set.of("OLLA_MODEL_REGISTRY_TYPE", "OLLA_STATE_TYPE", "OLLA_STATE_REDIS_URL").contains(var)) {
            assertThat(getter.apply(ConfigLoader.defaults())).as("the test value differs from the default")
                    .isNotEqualTo(expected).isNotNull();
        }
    }

    @Test
    void everyDocumentedVariableIsCovered() {
        List<String> tested = overrides().map(a -> (String) a.get()[0]).distinct().toList();
        assertThat(tested).containsExactlyInAnyOrderElementsOf(EnvOverrides.variables().keySet());
    }

    @Test
    void envBeatsFileAndEmptyValueIsUnset() throws Exception {
        OllaConfig c = load(dir, "server:\n  port: 1234\n  host: filehost\n",
                Map.of("OLLA_SERVER_PORT", "4321", "OLLA_SERVER_HOST", "")).config();
        assertThat(c.server().port()).isEqualTo(4321);
        assertThat(c.server().host()).isEqualTo("filehost");
    }

    @Test
    void loggingLevelWinsOverLogLevel() throws Exception {
        Map<String, String> env = Map.of("OLLA_LOG_LEVEL", "error", "OLLA_LOGGING_LEVEL", "debug");
        assertThat(ConfigLoader.load(null, env, dir).config().logging().level()).isEqualTo("debug");
    }

    @Test
    void invalidValuesAreErrorsNamingTheVariable() {
        Map<String, String> env = new HashMap<>();
        env.put("OLLA_SERVER_PORT", "http");
        env.put("OLLA_SERVER_MAX_BODY_SIZE", "lots");
        env.put("OLLA_SERVER_READ_TIMEOUT", "30");
        env.put("OLLA_SERVER_CORS_ENABLED", "maybe");
        ConfigException e = failure(dir, "", env);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "OLLA_SERVER_PORT: \"http\" is not an integer",
                "OLLA_SERVER_MAX_BODY_SIZE: \"lots\" is not a size (use bytes or a unit like 512KB, 50MB, 1GB)",
                "OLLA_SERVER_READ_TIMEOUT: \"30\" is not a duration (use Go syntax like 500ms, 30s, 1h30m)",
                "OLLA_SERVER_CORS_ENABLED: \"maybe\" is not a boolean (use true or false)");
    }

    @Test
    void validationOfAnEnvValueNamesTheVariable() {
        ConfigException e = failure(dir, "", Map.of("OLLA_SERVER_PORT", "70000", "OLLA_PROXY_ENGINE", "turbo",
                "OLLA_SERVER_TRUSTED_PROXY_CIDRS", "10.0.0.0/8,10.0.0/8", "OLLA_MODEL_REGISTRY_TYPE", "redis"));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "server.port: 70000 out of range 1-65535 (set by OLLA_SERVER_PORT)",
                "proxy.engine: \"turbo\" is not one of sherpa, olla (set by OLLA_PROXY_ENGINE)",
                "model_registry.type: \"redis\" is not one of memory (set by OLLA_MODEL_REGISTRY_TYPE)",
                "server.rate_limits.trusted_proxy_cidrs[1]: \"10.0.0/8\" is not a CIDR (use address/prefix, e.g. "
                        + "10.0.0.0/8) (set by OLLA_SERVER_TRUSTED_PROXY_CIDRS)");
    }

    @Test
    void invalidLoggingEnvWarnsAndIsIgnored() throws Exception {
        LoadedConfig lc = load(dir, "logging:\n  level: debug\n",
                Map.of("OLLA_LOGGING_LEVEL", "verbose", "OLLA_LOGGING_FORMAT", "xml"));
        assertThat(lc.config().logging().level()).isEqualTo("debug");
        assertThat(lc.config().logging().format()).isEqualTo("json");
        assertThat(lc.warnings()).anySatisfy(w -> assertThat(w).contains("OLLA_LOGGING_LEVEL").contains("\"verbose\""))
                .anySatisfy(w -> assertThat(w).contains("OLLA_LOGGING_FORMAT").contains("\"xml\""));
    }
}
