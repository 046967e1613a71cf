package dev.olla.config;

import static dev.olla.config.ConfigTesting.endpoints;
import static dev.olla.config.ConfigTesting.failure;
import static dev.olla.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValidationTest {

    @TempDir
    Path dir;

    private List<String> problems(String yaml) {
        return failure(dir, yaml).problems();
    }

    @Test
    void unknownLoadBalancer() {
        assertThat(problems("proxy:\n  load_balancer: fastest\n")).containsExactly(
                "proxy.load_balancer: \"fastest\" is not one of priority, round-robin, least-connections, capacity");
    }

    @Test
    void enumKeys() {
        assertThat(problems("""
                proxy:
                  engine: nginx
                  profile: bursty
                discovery:
                  type: consul
                model_registry:
                  type: redis
                  routing_strategy:
                    type: random
                    options:
                      fallback_behavior: any
                """)).containsExactlyInAnyOrder(
                "proxy.engine: \"nginx\" is not one of sherpa, olla",
                "proxy.profile: \"bursty\" is not one of auto, streaming, standard",
                "discovery.type: \"consul\" is not one of static",
                "model_registry.type: \"redis\" is not one of memory",
                "model_registry.routing_strategy.type: \"random\" is not one of strict, optimistic, discovery",
                "model_registry.routing_strategy.options.fallback_behavior: \"any\" is not one of compatible_only, all, none");
    }

    @Test
    void portRange() {
        assertThat(problems("server:\n  port: 70000\n")).containsExactly("server.port: 70000 out of range 1-65535");
        assertThat(problems("server:\n  port: 0\n")).containsExactly("server.port: 0 out of range 1-65535");
    }

    @Test
    void durationsMustBeGoSyntax() {
        assertThat(problems("server:\n  read_timeout: 5 minutes\n")).containsExactly(
                "server.read_timeout: \"5 minutes\" is not a duration (use Go syntax like 500ms, 30s, 1h30m)");
        assertThat(problems("server:\n  read_timeout: 30\n")).containsExactly(
                "server.read_timeout: 30 is not a duration: a unit is required (use Go syntax like 500ms, 30s, 1h30m)");
        assertThat(problems("server:\n  read_timeout: \"30\"\n")).singleElement().asString()
                .contains("a unit is required");
        assertThat(problems("server:\n  shutdown_timeout: -1s\n")).containsExactly(
                "server.shutdown_timeout: -1s must not be negative");
    }

    @Test
    void zeroWithoutUnitIsAccepted() throws Exception {
        assertThat(load(dir, "server:\n  idle_timeout: 0\n  write_timeout: \"0\"\n").config().server().idleTimeout()).isZero();
    }

    @Test
    void cidrsMustParse() {
        assertThat(problems("""
                server:
                  rate_limits:
                    trusted_proxy_cidrs: [127.0.0.0/8, "::1/128", 10.0.0/8]
                dashboard:
                  access_policy:
                    allowed_cidrs: [localhost]
                """)).containsExactlyInAnyOrder(
                "server.rate_limits.trusted_proxy_cidrs[2]: \"10.0.0/8\" is not a CIDR (use address/prefix, e.g. 10.0.0.0/8)",
                "dashboard.access_policy.allowed_cidrs[0]: \"localhost\" is not a CIDR (use address/prefix, e.g. 10.0.0.0/8)");
    }

    @Test
    void dashboardNeedsCidrsWhenEnabled() throws Exception {
        assertThat(problems("dashboard:\n  access_policy:\n    allowed_cidrs: []\n")).singleElement().asString()
                .startsWith("dashboard.access_policy.allowed_cidrs: must not be empty");
        load(dir, "dashboard:\n  enabled: false\n  access_policy:\n    allowed_cidrs: []\n");
    }

    @Test
    void corsCredentialsWithWildcardOriginIsFatalWhenEnabled() throws Exception {
        assertThat(problems("""
                server:
                  cors:
                    enabled: true
                    allow_credentials: true
                    max_age: -1
                """)).containsExactlyInAnyOrder(
                "server.cors.allow_credentials: true is not allowed together with allowed_origins \"*\" (browsers "
                        + "reject it); list the allowed origins explicitly",
                "server.cors.max_age: -1 must be >= 0");
        LoadedConfig ok = load(dir, """
                server:
                  cors:
                    enabled: true
                    allow_credentials: true
                    allowed_origins: [https://app.example]
                """);
        assertThat(ok.config().server().cors().allowCredentials()).isTrue();
    }

    @Test
    void proxyNumbersMustNotBeNegative() {
        assertThat(problems("""
                proxy:
                  stream_buffer_size: -1
                  read_timeout: -5s
                  max_response_buffer: -1
                  max_connections_per_endpoint: -2
                  first_token_timeout: -1s
                  sse_keepalive_interval: -10ms
                  retry:
                    max_attempts: -2
                  sticky_sessions:
                    key_sources: [session_header, cookie]
                    max_sessions: 0
                """)).containsExactlyInAnyOrder(
                "proxy.stream_buffer_size: -1 must be >= 0",
                "proxy.read_timeout: -5s must not be negative",
                "proxy.max_response_buffer: -1 must be >= 0",
                "proxy.max_connections_per_endpoint: -2 must be >= 0",
                "proxy.first_token_timeout: -1s must not be negative",
                "proxy.sse_keepalive_interval: -10ms must not be negative",
                "proxy.retry.max_attempts: -2 must be >= 0",
                "proxy.sticky_sessions.key_sources[1]: \"cookie\" is not one of session_header, prefix_hash, auth_header, ip",
                "proxy.sticky_sessions.max_sessions: 0 must be greater than 0");
    }

    @Test
    void modelDiscoveryNeedsPositiveValuesOnlyWhenEnabled() throws Exception {
        String zeros = """
                discovery:
                  model_discovery:
                    enabled: %s
                    interval: 0s
                    timeout: 0s
                    concurrent_workers: 0
                """;
        assertThat(problems(zeros.formatted("true"))).containsExactlyInAnyOrder(
                "discovery.model_discovery.interval: 0s must be greater than 0 when model discovery is enabled",
                "discovery.model_discovery.timeout: 0s must be greater than 0 when model discovery is enabled",
                "discovery.model_discovery.concurrent_workers: 0 must be greater than 0 when model discovery is enabled");
        assertThat(load(dir, zeros.formatted("false")).config().discovery().modelDiscovery().enabled()).isFalse();
    }

    // ------------------------------------------------------------------ endpoints

    @Test
    void endpointUrlRules() {
        assertThat(problems(endpoints("""
                - url: http://user:pw@host:11434
                  type: ollama
                - type: ollama
                  name: nourl
                - url: localhost:11434
                  type: ollama
                - url: ftp://files/x
                  type: ollama
                - url: http://
                  type: ollama
                - url: http://host:99999
                  type: ollama
                - url: "http://bad host"
                  type: ollama
                """))).containsExactlyInAnyOrder(
                "discovery.static.endpoints[0].url: \"http://user:***@host:11434\" must not contain credentials; put them in auth:",
                "discovery.static.endpoints[1].url: required (e.g. http://localhost:11434)",
                "discovery.static.endpoints[2].url: \"localhost:11434\" must be an absolute http:// or https:// URL",
                "discovery.static.endpoints[3].url: \"ftp://files/x\" must be an absolute http:// or https:// URL",
                "discovery.static.endpoints[4].url: \"http://\" is not a valid URL (Expected authority)",
                "discovery.static.endpoints[5].url: \"http://host:99999\" has an invalid port (1-65535)",
                "discovery.static.endpoints[6].url: \"http://bad host\" is not a valid URL (Illegal character in authority)");
    }

    @Test
    void credentialsInUrlAreNeverEchoed() {
        List<String> p = problems(endpoints("- url: https://sk-secret@api.example/v1\n  type: openai\n"));
        assertThat(p).singleElement().asString().doesNotContain("sk-secret").contains("***@api.example")
                .contains("put them in auth:");
    }

    @Test
    void underscoreHostsAreAccepted() throws Exception {
        assertThat(load(dir, endpoints("- url: http://ollama_gpu:11434\n  type: ollama\n")).config()
                .discovery().staticConfig().endpoints().get(0).name()).isEqualTo("http://ollama_gpu:11434");
    }

    @Test
    void duplicateNames() {
        assertThat(problems(endpoints("""
                - url: http://a:11434
                  name: gpu1
                  type: ollama
                - url: http://b:11434
                  name: gpu1
                  type: ollama
                """))).containsExactly(
                "discovery.static.endpoints[1].name: duplicate name \"gpu1\" (already used by endpoints[0])");
    }

    @Test
    void sameUrlIsOneEndpointLaterWins() throws Exception {
        LoadedConfig lc = load(dir, endpoints("""
                - url: http://a:11434
                  name: first
                  type: ollama
                - url: http://b:11434
                  name: other
                  type: ollama
                - url: HTTP://A:11434/
                  name: second
                  type: ollama
                  priority: 5
                """));
        List<OllaConfig.Endpoint> eps = lc.config().discovery().staticConfig().endpoints();
        assertThat(eps).extracting(OllaConfig.Endpoint::name).containsExactly("other", "second");
        assertThat(eps.get(1).priority()).isEqualTo(5);
        assertThat(lc.warnings()).singleElement().asString()
                .startsWith("discovery.static.endpoints[2]: same url as endpoints[0]").contains("later entry wins");
    }

    @Test
    void duplicateNamesAreCheckedOnlyAmongKeptEndpoints() throws Exception {
        LoadedConfig lc = load(dir, endpoints("""
                - url: http://a:11434
                  name: gpu
                  type: ollama
                - url: http://a:11434
                  name: gpu
                  type: ollama
                """));
        assertThat(lc.config().discovery().staticConfig().endpoints()).hasSize(1);
    }

    @Test
    void endpointTypePriorityAndHealthTiming() {
        assertThat(problems(endpoints("""
                - url: http://a:1
                  type: tgi
                  priority: -1
                  check_interval: 500ms
                - url: http://b:1
                  check_interval: 5s
                  check_timeout: 5s
                  type: vllm
                - url: http://c:1
                  type: vllm
                  check_timeout: 0s
                - url: http://d:1
                  type: ollama
                  check_interval: 5
                """))).containsExactlyInAnyOrder(
                "discovery.static.endpoints[0].type: \"tgi\" is not a known endpoint type (one of " + String.join(", ",
                        new java.util.TreeSet<>(ConfigLoader.DEFAULT_ENDPOINT_TYPES)) + ")",
                "discovery.static.endpoints[0].priority: -1 must be >= 0",
                "discovery.static.endpoints[0].check_interval: 500ms must be at least 1s",
                "discovery.static.endpoints[1].check_timeout: 5s must be less than check_interval (5s)",
                "discovery.static.endpoints[2].check_timeout: 0s must be greater than 0",
                "discovery.static.endpoints[3].check_interval: 5 is not a duration: a unit is required (use Go syntax "
                        + "like 500ms, 30s, 1h30m)");
    }

    @Test
    void endpointTypeIsRequired() {
        assertThat(problems(endpoints("- url: http://a:1\n"))).singleElement().asString()
                .startsWith("discovery.static.endpoints[0].type: required (one of ");
    }

    @Test
    void knownTypesCanBeSupplied() throws Exception {
        ConfigTesting.write(dir, "config.yaml", endpoints("- url: http://a:1\n  type: My-Backend\n"));
        LoadedConfig lc = ConfigLoader.load(null, Map.of(), Set.of("my-backend"), dir);
        assertThat(lc.config().discovery().staticConfig().endpoints().get(0).type()).isEqualTo("My-Backend");
    }

    @Test
    void priorityZeroAndAllTypesAccepted() throws Exception {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String type : ConfigLoader.DEFAULT_ENDPOINT_TYPES) {
            sb.append("- url: http://h").append(i++).append(":1\n  type: ").append(type).append("\n  priority: 0\n");
        }
        assertThat(load(dir, endpoints(sb.toString())).config().discovery().staticConfig().endpoints())
                .hasSize(ConfigLoader.DEFAULT_ENDPOINT_TYPES.size()).allSatisfy(e -> assertThat(e.priority()).isZero());
    }

    @Test
    void endpointEntryMustBeAMapping() {
        assertThat(problems(endpoints("- http://a:11434\n"))).containsExactly(
                "discovery.static.endpoints[0]: expected a mapping, got \"http://a:11434\"");
    }

    // ------------------------------------------------------------------ aliases

    @Test
    void modelAliasRules() {
        assertThat(problems("""
                model_aliases:
                  "": [a]
                  " padded ": [a]
                  nothing: []
                  blank: ["", b]
                  nulls: [~]
                """)).containsExactlyInAnyOrder(
                "model_aliases[\"\"]: alias name is empty",
                "model_aliases[\" padded \"]: alias name \" padded \" has leading or trailing whitespace",
                "model_aliases[\"nothing\"]: alias \"nothing\" has no models; list at least one model name",
                "model_aliases[\"blank\"][0]: empty model name",
                "model_aliases[\"nulls\"][0]: empty entry");
    }

    @Test
    void aliasWithNoListIsFatalAndDuplicatesWarn() throws Exception {
        assertThat(problems("model_aliases:\n  x:\n")).singleElement().asString().contains("has no models");
        LoadedConfig lc = load(dir, "model_aliases:\n  x: [a, a]\n");
        assertThat(lc.warnings()).singleElement().asString().contains("model_aliases[\"x\"][1]").contains("listed twice");
    }

    // ------------------------------------------------------------------ logging and collection

    @Test
    void invalidLoggingWarnsAndFallsBack() throws Exception {
        LoadedConfig lc = load(dir, "logging:\n  level: verbose\n  format: xml\n  output: syslog\n");
        assertThat(lc.config().logging()).isEqualTo(new OllaConfig.Logging("info", "json", "stdout"));
        assertThat(lc.warnings()).containsExactly(
                "logging.level: \"verbose\" is not one of debug, info, warn, error; using \"info\"",
                "logging.format: \"xml\" is not one of json, text; using \"json\"",
                "logging.output: \"syslog\" is not one of stdout, file; using \"stdout\"");
    }

    @Test
    void loggingValuesAreNormalised() throws Exception {
        assertThat(load(dir, "logging:\n  level: WARNING\n  format: Text\n").config().logging())
                .isEqualTo(new OllaConfig.Logging("warn", "text", "stdout"));
    }

    @Test
    void allProblemsAreReportedTogether() {
        ConfigException e = failure(dir, """
                server:
                  port: 70000
                  read_timeout: soon
                proxy:
                  load_balancer: fastest
                """ + endpoints("- url: http://a:1\n  type: nope\n"));
        assertThat(e.problems()).hasSize(4);
        assertThat(e.getMessage()).contains("4 problems").contains("server.port").contains("proxy.load_balancer");
    }

    @Test
    void anthropicLimitsAndInspector() {
        assertThat(problems("""
                translators:
                  anthropic:
                    max_message_size: 209715200
                    inspector:
                      enabled: true
                      output_dir: /etc
                      session_header: "bad header"
                """)).containsExactlyInAnyOrder(
                "translators.anthropic.max_message_size: 209715200 out of range 0-104857600 (0 = default)",
                "translators.anthropic.inspector.session_header: \"bad header\" is not a valid header name",
                "translators.anthropic.inspector.output_dir: \"/etc\" is a system directory; choose a dedicated "
                        + "directory such as logs/inspector/anthropic");
    }

    @Test
    void writeTimeoutIsAStallLimitAndOnlyATinyOneWarns() throws Exception {
        assertThat(load(dir, "server:\n  write_timeout: 30s\n").warnings()).isEmpty();
        assertThat(load(dir, "server:\n  write_timeout: 200ms\n").warnings()).singleElement().asString()
                .startsWith("server.write_timeout: 200ms");
    }
}
