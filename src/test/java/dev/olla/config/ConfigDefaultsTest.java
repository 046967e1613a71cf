package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig.*;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No file, no environment: every default of reference section 2. */
class ConfigDefaultsTest {

    @TempDir
    Path dir;

    static OllaConfig expectedDefaults() {
        Server server = new Server("localhost", 40114, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ZERO, Duration.ofSeconds(10), true,
                new RequestLimits(52428800L, 1048576L),
                new RateLimits(1000, 100, 1000, 50, Duration.ofMinutes(5), false,
                        List.of("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
                new Cors(false, List.of("*"), List.of("GET", "POST", "OPTIONS"), List.of("*"), List.of(), false, 300));
        Proxy proxy = new Proxy(Engine.SHERPA, ProxyProfile.AUTO, LoadBalancer.LEAST_CONNECTIONS, 0,
                Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ofMinutes(10),
                Duration.ofSeconds(30), Duration.ofSeconds(10),
                new Retry(true, true, 0),
                new StickySessions(false, 600, 10000, List.of("session_header", "prefix_hash", "auth_header"), 512),
                new Filter(List.of(), List.of()), true, 50, 0, 32L * 1024 * 1024, 256,
                new Capacity(true, Duration.ofSeconds(1), Duration.ofMillis(800)),
                new Queue(true, 256, Duration.ofSeconds(30), Duration.ofSeconds(5)),
                true, Duration.ofSeconds(30), Duration.ofSeconds(10));
        Endpoint local = new Endpoint("http://localhost:11434", "localhost", "ollama", 100, false, null, null,
                Duration.ofSeconds(5), Duration.ofSeconds(2), new Filter(List.of(), List.of()), null, Map.of(), 1, 0);
        Discovery discovery = new Discovery("static", Duration.ofSeconds(30), new Static(List.of(local)),
                new HealthCheck(Duration.ofSeconds(1)),
                new ModelDiscovery(true, Duration.ofMinutes(5), Duration.ofSeconds(30), 5, 3, Duration.ofSeconds(1)));
        ModelRegistry registry = new ModelRegistry("memory", true,
                new RoutingStrategy(RoutingStrategyType.STRICT,
                        new RoutingOptions(FallbackBehavior.COMPATIBLE_ONLY, Duration.ofSeconds(2), false)),
                new Unification(Duration.ofHours(24), Duration.ofMinutes(10)));
        Translators translators = new Translators(new Anthropic(true, true, 10485760L,
                new Inspector(false, "logs/inspector/anthropic", "X-Session-ID")));
        return new OllaConfig(server, proxy, discovery, registry, Map.of(), translators,
                new Logging("info", "json", "stdout"), new Engineering(false),
                new Dashboard(true, new AccessPolicy(List.of("127.0.0.0/8", "::1/128"), List.of("localhost"))),
                new OllaConfig.State("memory", new OllaConfig.Redis(null, null, null, null, "olla:",
                        Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(2))),
                new OllaConfig.Reload(false, Duration.ofSeconds(2)));
    }

    @Test
    void noFileGivesEveryDefault() throws Exception {
        LoadedConfig loaded = ConfigLoader.load(null, Map.of(), dir);
        assertThat(loaded.source()).isEqualTo("embedded defaults");
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.config()).isEqualTo(expectedDefaults());
    }

    @Test
    void defaultsHelperMatches() {
        assertThat(ConfigLoader.defaults()).isEqualTo(expectedDefaults());
    }

    @Test
    void emptyFileGivesDefaults() throws Exception {
        LoadedConfig loaded = ConfigTesting.load(dir, "# nothing here\n");
        assertThat(loaded.source()).isEqualTo(dir.resolve("config.yaml").toString());
        assertThat(loaded.config()).isEqualTo(expectedDefaults());
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void boundCollectionsAreImmutable() {
        OllaConfig c = ConfigLoader.defaults();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.server().cors().allowedOrigins().add("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.discovery().staticConfig().endpoints().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void defaultsResourceHoldsEveryKey() {
        // Every record component has a key in defaults.yaml: nothing falls back to a Java constant.
        var tree = YamlTrees.defaults();
        var template = tree.remove(YamlTrees.ENDPOINT_DEFAULTS_KEY);
        tree.remove(YamlTrees.AUTH_DEFAULTS_KEY);
        java.util.List<String> missing = new java.util.ArrayList<>();
        assertHasAllKeys(tree, OllaConfig.class, "", missing);
        assertHasAllKeys(template, Endpoint.class, "endpoint_defaults", missing);
        assertThat(missing).isEmpty();
        Problems problems = new Problems();
        new TreeBinder(problems).checkUnknown(tree, OllaConfig.class, "");
        new TreeBinder(problems).checkUnknown(template, Endpoint.class, "endpoint_defaults");
        assertThat(problems.warnings).isEmpty();
    }

    private static void assertHasAllKeys(com.fasterxml.jackson.databind.JsonNode node, Class<?> type, String path,
            java.util.List<String> missing) {
        for (var c : type.getRecordComponents()) {
            String key = TreeBinder.yamlName(c);
            String child = path.isEmpty() ? key : path + "." + key;
            if (!node.has(key)) {
                missing.add(child);
            } else if (c.getType().isRecord() && node.get(key).isObject()) {
                assertHasAllKeys(node.get(key), c.getType(), child, missing);
            }
        }
    }
}
