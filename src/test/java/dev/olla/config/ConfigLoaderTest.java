package dev.olla.config;

import static dev.olla.config.ConfigTesting.failure;
import static dev.olla.config.ConfigTesting.load;
import static dev.olla.config.ConfigTesting.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.olla.config.OllaConfig.LoadBalancer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ search order

    @Test
    void explicitPathWins() throws Exception {
        Path explicit = write(dir, "elsewhere/mine.yaml", "server:\n  port: 1111\n");
        write(dir, "config.yaml", "server:\n  port: 2222\n");
        Path envFile = write(dir, "env.yaml", "server:\n  port: 3333\n");
        LoadedConfig lc = ConfigLoader.load(explicit, Map.of("OLLA_CONFIG_FILE", envFile.toString()), dir);
        assertThat(lc.config().server().port()).isEqualTo(1111);
        assertThat(lc.source()).isEqualTo(explicit.toString());
    }

    @Test
    void relativeExplicitPathResolvesAgainstWorkingDir() throws Exception {
        write(dir, "sub/mine.yaml", "server:\n  port: 1111\n");
        LoadedConfig lc = ConfigLoader.load(Path.of("sub/mine.yaml"), Map.of(), dir);
        assertThat(lc.config().server().port()).isEqualTo(1111);
    }

    @Test
    void missingExplicitPathIsAnError() {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml"), Map.of(), dir))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .contains("config file not found").contains("nope.yaml").contains("-c/--config"));
    }

    @Test
    void envConfigFileBeatsDefaultLocations() throws Exception {
        write(dir, "config.yaml", "server:\n  port: 2222\n");
        Path envFile = write(dir, "env.yaml", "server:\n  port: 3333\n");
        LoadedConfig lc = ConfigLoader.load(null, Map.of("OLLA_CONFIG_FILE", envFile.toString()), dir);
        assertThat(lc.config().server().port()).isEqualTo(3333);
    }

    @Test
    void missingEnvConfigFileIsAnError() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OLLA_CONFIG_FILE", "missing.yaml"), dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config file not found")
                .hasMessageContaining("missing.yaml")
                .hasMessageContaining("OLLA_CONFIG_FILE");
    }

    @Test
    void configYamlBeforeConfigDirectory() throws Exception {
        write(dir, "config/config.yaml", "server:\n  port: 4444\n");
        assertThat(ConfigLoader.load(null, Map.of(), dir).config().server().port()).isEqualTo(4444);
        write(dir, "config.yaml", "server:\n  port: 5555\n");
        LoadedConfig lc = ConfigLoader.load(null, Map.of(), dir);
        assertThat(lc.config().server().port()).isEqualTo(5555);
        assertThat(lc.source()).isEqualTo(dir.resolve("config.yaml").toString());
    }

    @Test
    void noFileMeansEmbeddedDefaults() throws Exception {
        assertThat(ConfigLoader.locate(null, Map.of(), dir)).isEmpty();
        assertThat(ConfigLoader.load(null, Map.of(), dir).source()).isEqualTo(ConfigLoader.EMBEDDED_SOURCE);
    }

    @Test
    void directoryIsNotAConfigFile() {
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of(), dir))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a regular file");
    }

    // ------------------------------------------------------------------ merge

    @Test
    void omittedKeysKeepDefaultsAndListsReplace() throws Exception {
        OllaConfig c = load(dir, """
                server:
                  port: 8080
                  rate_limits:
                    trusted_proxy_cidrs: [10.1.0.0/16]
                  cors:
                    allowed_methods: [GET]
                proxy:
                  load_balancer: round-robin
                """).config();
        assertThat(c.server().port()).isEqualTo(8080);
        assertThat(c.server().host()).isEqualTo("localhost");
        assertThat(c.server().readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.server().rateLimits().trustedProxyCidrs()).containsExactly("10.1.0.0/16");
        assertThat(c.server().rateLimits().burstSize()).isEqualTo(50);
        assertThat(c.server().cors().allowedMethods()).containsExactly("GET");
        assertThat(c.server().cors().allowedOrigins()).containsExactly("*");
        assertThat(c.proxy().loadBalancer()).isEqualTo(LoadBalancer.ROUND_ROBIN);
        assertThat(c.proxy().engine()).isEqualTo(OllaConfig.Engine.SHERPA);
        assertThat(c.proxy().retry().enabled()).isTrue();
    }

    @Test
    void userEndpointsReplaceTheDefaultAndGetPerEndpointDefaults() throws Exception {
        OllaConfig c = load(dir, ConfigTesting.endpoints("""
                - url: http://gpu1:11434
                  name: gpu1
                  type: ollama
                - url: http://gpu2:1234/
                  type: lm-studio
                  priority: 50
                  preserve_path: true
                  check_interval: 10s
                  model_filter:
                    exclude: ["*embed*"]
                  headers:
                    X-Team: ml
                """)).config();
        List<OllaConfig.Endpoint> eps = c.discovery().staticConfig().endpoints();
        assertThat(eps).hasSize(2);
        OllaConfig.Endpoint a = eps.get(0);
        assertThat(a.name()).isEqualTo("gpu1");
        assertThat(a.priority()).isEqualTo(100);
        assertThat(a.preservePath()).isFalse();
        assertThat(a.checkInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(a.checkTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(a.healthCheckUrl()).isNull();
        assertThat(a.auth()).isNull();
        assertThat(a.headers()).isEmpty();
        OllaConfig.Endpoint b = eps.get(1);
        assertThat(b.name()).as("unnamed endpoint is named by its URL").isEqualTo("http://gpu2:1234/");
        assertThat(b.priority()).isEqualTo(50);
        assertThat(b.preservePath()).isTrue();
        assertThat(b.checkInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(b.modelFilter().include()).isEmpty();
        assertThat(b.modelFilter().exclude()).containsExactly("*embed*");
        assertThat(b.headers()).containsExactly(Map.entry("X-Team", "ml"));
    }

    @Test
    void emptyValuesKeepDefaults() throws Exception {
        OllaConfig c = load(dir, """
                server:
                  cors:
                  port:
                proxy:
                  engine: olla
                """).config();
        assertThat(c.server().cors()).isEqualTo(ConfigLoader.defaults().server().cors());
        assertThat(c.server().port()).isEqualTo(40114);
        assertThat(c.proxy().engine()).isEqualTo(OllaConfig.Engine.OLLA);
    }

    @Test
    void enumsAcceptCaseAndSeparatorVariants() throws Exception {
        OllaConfig c = load(dir, """
                proxy:
                  engine: Olla
                  profile: STREAMING
                  load_balancer: least_connections
                model_registry:
                  routing_strategy:
                    type: optimistic
                    options:
                      fallback_behavior: compatible-only
                """).config();
        assertThat(c.proxy().engine()).isEqualTo(OllaConfig.Engine.OLLA);
        assertThat(c.proxy().profile()).isEqualTo(OllaConfig.ProxyProfile.STREAMING);
        assertThat(c.proxy().loadBalancer()).isEqualTo(LoadBalancer.LEAST_CONNECTIONS);
        assertThat(c.modelRegistry().routingStrategy().type()).isEqualTo(OllaConfig.RoutingStrategyType.OPTIMISTIC);
        assertThat(c.modelRegistry().routingStrategy().options().fallbackBehavior())
                .isEqualTo(OllaConfig.FallbackBehavior.COMPATIBLE_ONLY);
        assertThat(ConfigEnums.yamlName(LoadBalancer.ROUND_ROBIN)).isEqualTo("round-robin");
        assertThat(ConfigEnums.yamlName(OllaConfig.FallbackBehavior.COMPATIBLE_ONLY)).isEqualTo("compatible_only");
    }

    @Test
    void zeroMeansDefaultForTheOriginalsZeroDefaultedKeys() throws Exception {
        OllaConfig c = load(dir, """
                server:
                  read_header_timeout: 0s
                proxy:
                  connection_keep_alive: 0
                  response_header_timeout: 0s
                  tls_handshake_timeout: 0s
                  response_timeout: 0s
                translators:
                  anthropic:
                    max_message_size: 0
                """).config();
        assertThat(c.server().readHeaderTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.proxy().connectionKeepAlive()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.proxy().responseHeaderTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.proxy().tlsHandshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.proxy().responseTimeout()).as("0 stays 0 elsewhere").isZero();
        assertThat(c.translators().anthropic().maxMessageSize()).isEqualTo(10485760L);
    }

    @Test
    void modelAliasesBind() throws Exception {
        OllaConfig c = load(dir, """
                model_aliases:
                  gpt-oss-120b:
                    - gpt-oss:120b
                    - openai/gpt-oss-120b
                """).config();
        assertThat(c.modelAliases()).containsOnlyKeys("gpt-oss-120b");
        assertThat(c.modelAliases().get("gpt-oss-120b")).containsExactly("gpt-oss:120b", "openai/gpt-oss-120b");
    }

    // ------------------------------------------------------------------ unknown keys

    @Test
    void unknownKeysWarnWithFullPathAndAreNeverFatal() throws Exception {
        LoadedConfig lc = load(dir, """
                proxy:
                  max_retries: 3
                  retry_backoff: 500ms
                  retry:
                    foo: 1
                discovery:
                  health_check:
                    interval: 5s
                  static:
                    endpoints:
                      - url: http://a:11434
                        type: ollama
                        weigth: 3
                model_registry:
                  unification:
                    enabled: true
                dashboard:
                  gate_internal_api: false
                surprise: true
                """);
        assertThat(lc.warnings()).contains(
                "unknown key proxy.max_retries (ignored)",
                "unknown key proxy.retry_backoff (ignored)",
                "unknown key proxy.retry.foo (ignored)",
                "unknown key discovery.health_check.interval (ignored)",
                "unknown key discovery.static.endpoints[0].weigth (ignored)",
                "unknown key model_registry.unification.enabled (ignored)",
                "unknown key dashboard.gate_internal_api (ignored)",
                "unknown key surprise (ignored)");
        assertThat(lc.config().discovery().staticConfig().endpoints()).hasSize(1);
    }

    @Test
    void freeFormMapsAreNotUnknownKeys() throws Exception {
        LoadedConfig lc = load(dir, ConfigTesting.endpoints("""
                - url: http://a:11434
                  type: ollama
                  headers:
                    X-Anything: "1"
                """) + "model_aliases:\n  whatever: [x]\n");
        assertThat(lc.warnings()).isEmpty();
    }

    // ------------------------------------------------------------------ YAML errors

    @Test
    void duplicateKeyIsAnErrorNamingKeyAndLine() {
        ConfigException e = failure(dir, """
                server:
                  host: localhost
                  port: 1
                  port: 2
                """);
        assertThat(e.problems()).singleElement().asString()
                .contains("config.yaml")
                .contains("line 4")
                .contains("duplicate key \"port\"")
                .contains("server.port");
    }

    @Test
    void duplicateTopLevelKey() {
        ConfigException e = failure(dir, "proxy:\n  engine: olla\nserver:\n  port: 1\nproxy:\n  profile: auto\n");
        assertThat(e.problems()).singleElement().asString().contains("line 5").contains("duplicate key \"proxy\"");
    }

    @Test
    void malformedYamlGivesFileLineAndColumn() {
        ConfigException e = failure(dir, "server:\n  port: 1\n  host: a: b\n");
        assertThat(e.problems()).singleElement().asString()
                .startsWith(dir.resolve("config.yaml").toString() + ": line 3, column 10: ")
                .contains("mapping values are not allowed here")
                .doesNotContain("\n")
                .doesNotContain("Exception");
    }

    @Test
    void badIndentationAndUnclosedBrackets() {
        assertThat(failure(dir, "server:\n  port: 1\n host: x\n").problems()).singleElement().asString()
                .contains("line 3, column 2");
        assertThat(failure(dir, "server:\n  cors:\n    allowed_origins: [a, b\n").problems()).singleElement().asString()
                .contains("line 4").contains("expected ',' or ']'");
        assertThat(failure(dir, "server:\n\tport: 1\n").problems()).singleElement().asString()
                .contains("line 2").contains("TAB");
    }

    @Test
    void topLevelMustBeAMapping() {
        assertThat(failure(dir, "- a\n- b\n").problems()).singleElement().asString()
                .contains("top level must be a mapping");
    }

    @Test
    void aliasesAreRejectedNotMisread() {
        ConfigException e = failure(dir, "x: &p 8080\nserver:\n  port: *p\n");
        assertThat(e.problems()).singleElement().asString().contains("line 3").contains("*p").contains("not supported");
    }

    @Test
    void typeErrorsAreCollectedWithPaths() {
        ConfigException e = failure(dir, """
                server:
                  port: eighty
                  request_logging: maybe
                  rate_limits: 12
                  cors:
                    allowed_origins: "*"
                proxy:
                  stream_buffer_size: 1.5
                """);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "server.port: \"eighty\" is not an integer",
                "server.request_logging: \"maybe\" is not a boolean (use true or false)",
                "server.rate_limits: expected a mapping, got 12",
                "server.cors.allowed_origins: expected a list, got \"*\"",
                "proxy.stream_buffer_size: 1.5 is not an integer");
    }

    @Test
    void integerOutOfIntRange() {
        assertThat(failure(dir, "server:\n  port: 99999999999\n").problems())
                .singleElement().asString().contains("server.port").contains("99999999999").contains("out of range");
    }

    @Test
    void neverAStackTraceForGarbage() {
        for (String garbage : new String[] {"\u0000\u0001", "{{{{", "key: [", "\"", ": :"}) {
            ConfigException e = failure(dir, garbage);
            assertThat(e.problems()).allSatisfy(p -> assertThat(p).doesNotContain("\tat ").doesNotContain("Exception")
                    .doesNotContain("org.yaml").contains("line 1"));
        }
    }
}
