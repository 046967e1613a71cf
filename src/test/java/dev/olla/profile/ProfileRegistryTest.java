package dev.olla.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProfileRegistryTest {

    @TempDir
    Path dir;

    /** The table of olla-detailed.md §9. */
    static Stream<Arguments> shippedProfiles() {
        return Stream.of(
                row("ollama", List.of("ollama"), List.of(11434), "/", "/api/tags", "ollama", "/v1/messages", false, 100),
                row("lm-studio", List.of("lmstudio", "lm-studio", "lm_studio"), List.of(1234), "/v1/models",
                        "/api/v0/models", "lmstudio", "/v1/messages", false, 90),
                row("openai-compatible", List.of("openai", "openai-compatible"), List.of(), "/v1/models", "/v1/models",
                        "openai", null, false, 50),
                row("llamacpp", List.of("llamacpp"), List.of(8080, 8001), "/health", "/v1/models", "llamacpp",
                        "/v1/messages", true, 95),
                row("vllm", List.of("vllm"), List.of(8000), "/health", "/v1/models", "vllm", "/v1/messages", false, 80),
                row("vllm-mlx", List.of("vllm-mlx"), List.of(8000), "/health", "/v1/models", "vllm-mlx",
                        "/v1/messages", true, 85),
                row("sglang", List.of("sglang"), List.of(30000), "/health", "/v1/models", "sglang", null, false, 85),
                row("lemonade", List.of("lemonade"), List.of(8000), "/api/v1/health", "/api/v1/models", "lemonade",
                        null, false, 75),
                row("lmdeploy", List.of("lmdeploy"), List.of(23333), "/health", "/v1/models", "lmdeploy", null, false,
                        82),
                row("docker-model-runner", List.of("dmr"), List.of(12434), "/engines/v1/models", "/engines/v1/models",
                        "docker-model-runner", "/anthropic/v1/messages", true, 95),
                row("litellm", List.of("litellm"), List.of(4000, 8000, 8080), "/health", "/v1/models", "openai", null,
                        false, 95),
                row("omlx", List.of("omlx"), List.of(8000), "/health", "/v1/models", "openai", "/v1/messages", false,
                        75));
    }

    private static Arguments row(String name, List<String> prefixes, List<Integer> ports, String health, String models,
            String parser, String anthropicPath, boolean tokenCount, int priority) {
        return Arguments.of(name, prefixes, ports, health, models, parser, anthropicPath, tokenCount, priority);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedProfiles")
    void shippedProfileMatchesTheTable(String name, List<String> prefixes, List<Integer> ports, String health,
            String models, String parser, String anthropicPath, boolean tokenCount, int priority) {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        Profile p = reg.forType(name);
        assertThat(p.name()).isEqualTo(name);
        assertThat(reg.canonicalType(name)).isEqualTo(name);
        assertThat(p.prefixes()).containsExactlyElementsOf(prefixes);
        assertThat(reg.defaultPorts(name)).containsExactlyElementsOf(ports);
        assertThat(p.healthCheckPath()).isEqualTo(health);
        assertThat(p.modelDiscoveryPath()).isEqualTo(models);
        assertThat(p.responseFormat()).isEqualTo(parser);
        assertThat(p.openAiCompatible()).isTrue();
        assertThat(p.defaultPriority()).isEqualTo(priority);
        assertThat(p.anthropic().enabled()).isEqualTo(anthropicPath != null);
        if (anthropicPath != null) {
            assertThat(p.anthropic().messagesPath()).isEqualTo(anthropicPath);
            assertThat(p.anthropic().tokenCount()).isEqualTo(tokenCount);
        }
        assertThat(p.apiPaths()).isNotEmpty();
        assertThat(p.metrics().enabled()).isTrue();
        assertThat(p.metrics().paths()).containsKeys("model", "input_tokens", "output_tokens");
        assertThat(p.metrics().calculations()).containsKey("tokens_per_second");
        for (String prefix : prefixes) {
            assertThat(reg.forPrefix(prefix)).contains(p);
        }
    }

    @Test
    void builtInsAreTheTwelveAndLoadCleanly() {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        assertThat(reg.all()).extracting(Profile::name).containsExactly("docker-model-runner", "lemonade", "litellm",
                "llamacpp", "lm-studio", "lmdeploy", "ollama", "omlx", "openai-compatible", "sglang", "vllm",
                "vllm-mlx");
        assertThat(reg.warnings()).isEmpty();
        assertThat(ProfileRegistry.builtInFiles()).hasSize(12);
        assertThat(ProfileRegistry.builtInYaml("ollama.yaml")).contains("name: ollama");
        assertThat(reg.routingPrefixes().keySet()).containsExactlyInAnyOrder("ollama", "lmstudio", "lm-studio",
                "lm_studio", "openai", "openai-compatible", "llamacpp", "vllm", "vllm-mlx", "sglang", "lemonade",
                "lmdeploy", "dmr", "litellm", "omlx");
    }

    @Test
    void shippedAnthropicDetails() {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        assertThat(reg.forType("ollama").anthropic().minVersion()).isEqualTo("0.14.0");
        assertThat(reg.forType("ollama").anthropic().limitations()).containsExactly("token_counting_404");
        assertThat(reg.forType("vllm").anthropic().minVersion()).isEqualTo("0.11.1");
        assertThat(reg.forType("vllm").anthropic().limitations()).containsExactly("no_token_counting");
        assertThat(reg.forType("lm-studio").anthropic().minVersion()).isEqualTo("0.4.1");
        assertThat(reg.forType("llamacpp").anthropic().minVersion()).isEqualTo("b4847");
        assertThat(reg.forType("sglang").anthropic()).isEqualTo(Profile.AnthropicSupport.NONE);
    }

    @Test
    void ollamaMetricsKeepTheirOrderAndExpressions() {
        Profile.Metrics m = ProfileRegistry.builtIn().forType("ollama").metrics();
        assertThat(m.paths()).containsEntry("input_tokens", "$.prompt_eval_count")
                .containsEntry("output_tokens", "$.eval_count");
        assertThat(m.calculations().keySet()).startsWith("is_complete", "total_tokens", "tokens_per_second");
        assertThat(m.calculations().get("ttft_ms")).isEqualTo("prompt_duration_ns / 1000000");
        Profile.Metrics l = ProfileRegistry.builtIn().forType("llamacpp").metrics();
        assertThat(l.paths()).containsEntry("predicted_per_second", "$.timings.predicted_per_second");
    }

    @Test
    void aliasesAndCaseInsensitiveLookups() {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        assertThat(reg.forType("openai").name()).isEqualTo("openai-compatible");
        assertThat(reg.forType("OpenAI_Compatible").name()).isEqualTo("openai-compatible");
        assertThat(reg.forType("lmstudio").name()).isEqualTo("lm-studio");
        assertThat(reg.forType("lm_studio").name()).isEqualTo("lm-studio");
        assertThat(reg.forType("LM-Studio").name()).isEqualTo("lm-studio");
        assertThat(reg.forType("dmr").name()).isEqualTo("docker-model-runner");
        assertThat(reg.forType("docker_model_runner").name()).isEqualTo("docker-model-runner");
        assertThat(reg.forType("llama-cpp").name()).isEqualTo("llamacpp");
        assertThat(reg.forType("vllm_mlx").name()).isEqualTo("vllm-mlx");
        assertThat(reg.forType(" Ollama ").name()).isEqualTo("ollama");
        assertThat(reg.canonicalType("LMSTUDIO")).isEqualTo("lm-studio");
    }

    @Test
    void unknownTypeFallsBackToOpenAiCompatible() {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        assertThat(reg.forType("tabbyapi").name()).isEqualTo("openai-compatible");
        assertThat(reg.forType(null).name()).isEqualTo("openai-compatible");
        assertThat(reg.forType("").name()).isEqualTo("openai-compatible");
        assertThat(reg.forType("auto").name()).isEqualTo("openai-compatible");
        assertThat(reg.canonicalType("tabbyapi")).isNull();
        assertThat(reg.canonicalType(null)).isNull();
        assertThat(reg.canonicalType("auto")).isNull();
    }

    @Test
    void prefixLookups() {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        assertThat(reg.forPrefix("lm_studio").map(Profile::name)).contains("lm-studio");
        assertThat(reg.forPrefix("openai-compatible").map(Profile::name)).contains("openai-compatible");
        assertThat(reg.forPrefix("openai").map(Profile::name)).contains("openai-compatible");
        assertThat(reg.forPrefix("dmr").map(Profile::name)).contains("docker-model-runner");
        assertThat(reg.forPrefix("docker-model-runner")).isEmpty(); // a name, not a routing prefix
        assertThat(reg.forPrefix("proxy")).isEmpty();
        assertThat(reg.forPrefix(null)).isEmpty();
    }

    @Test
    void knownTypesAreNamesPrefixesAndAuto() {
        assertThat(ProfileRegistry.builtIn().knownTypes()).contains("auto", "ollama", "lm-studio", "lmstudio",
                "lm_studio", "openai", "openai-compatible", "docker-model-runner", "dmr", "omlx")
                .doesNotContain("tabbyapi");
    }

    @Test
    void capabilityPatterns() {
        ProfileRegistry reg = ProfileRegistry.builtIn();
        Profile ollama = reg.forType("ollama");
        assertThat(ProfileRegistry.capabilitiesFor(ollama, "llava:13b")).containsExactly("vision");
        assertThat(ProfileRegistry.capabilitiesFor(ollama, "nomic-embed-text:latest")).containsExactly("embeddings");
        assertThat(ProfileRegistry.capabilitiesFor(ollama, "Qwen2.5-Coder:7b")).containsExactly("code");
        assertThat(ProfileRegistry.capabilitiesFor(ollama, "llama3:8b")).isEmpty();
        assertThat(ProfileRegistry.capabilitiesFor(reg.forType("lmstudio"), "anything")).containsExactly("chat");
        assertThat(ProfileRegistry.capabilitiesFor(reg.forType("vllm"), "meta-llama/Llama-3.1-8B-instruct"))
                .containsExactly("chat");
        assertThat(ProfileRegistry.capabilitiesFor(null, "x")).isEmpty();
        assertThat(reg.contextLengthFor(ollama, "mistral-32k")).hasValue(32768);
        assertThat(reg.contextLengthFor(reg.forType("llamacpp"), "Meta-Llama-3.1-8B")).hasValue(131072);
        assertThat(reg.contextLengthFor(ollama, "phi4")).isEmpty();
    }

    @Test
    void missingOrNullUserDirIsFine() throws Exception {
        assertThat(ProfileRegistry.load(null, List.of(), List.of()).all()).hasSize(12);
        assertThat(ProfileRegistry.load(dir.resolve("nope"), null, null).all()).hasSize(12);
    }

    @Test
    void userDirOverridesOllamaAndAddsAProfile() throws Exception {
        write("ollama.yaml", """
                name: ollama
                api:
                  health_check_path: /api/version
                """);
        write("tabby.yaml", """
                # a new backend type
                name: tabbyapi
                display_name: "TabbyAPI"
                routing:
                  prefixes: [tabby, tabbyapi]
                api:
                  openai_compatible: true
                  paths: [/v1/models, /v1/chat/completions]
                  model_discovery_path: /v1/models
                  health_check_path: /health
                characteristics:
                  default_priority: 70
                  timeout: 2m
                request:
                  response_format: openai
                detection:
                  user_agent_patterns: ["tabby"]
                some_future_section:
                  anything: [1, 2, 3]
                """);
        write("README.md", "not a profile");
        ProfileRegistry reg = ProfileRegistry.load(dir, List.of(), List.of());

        Profile ollama = reg.forType("ollama");
        assertThat(ollama.healthCheckPath()).isEqualTo("/api/version");
        // the rest of the shipped profile is kept
        assertThat(ollama.modelDiscoveryPath()).isEqualTo("/api/tags");
        assertThat(ollama.responseFormat()).isEqualTo("ollama");
        assertThat(ollama.prefixes()).containsExactly("ollama");
        assertThat(ollama.anthropic().enabled()).isTrue();
        assertThat(ProfileRegistry.builtIn().forType("ollama").healthCheckPath()).isEqualTo("/");

        Profile tabby = reg.forType("tabbyapi");
        assertThat(tabby.name()).isEqualTo("tabbyapi");
        assertThat(tabby.displayName()).isEqualTo("TabbyAPI");
        assertThat(tabby.prefixes()).containsExactly("tabby", "tabbyapi");
        assertThat(tabby.healthCheckPath()).isEqualTo("/health");
        assertThat(tabby.defaultPriority()).isEqualTo(70);
        assertThat(tabby.anthropic().enabled()).isFalse();
        assertThat(tabby.metrics()).isEqualTo(Profile.Metrics.NONE);
        assertThat(reg.forType("tabby")).isSameAs(tabby);
        assertThat(reg.forPrefix("tabby")).contains(tabby);
        assertThat(reg.canonicalType("TABBY")).isEqualTo("tabbyapi");
        assertThat(reg.knownTypes()).contains("tabbyapi", "tabby");
        assertThat(reg.all()).hasSize(13);
        assertThat(reg.sourceOf("tabby")).contains(dir.resolve("tabby.yaml").toString());
        assertThat(reg.warnings()).isEmpty();
    }

    @Test
    void minimalNewProfileGetsDefaults() throws Exception {
        write("x.yml", "name: Custom\n");
        Profile p = ProfileRegistry.load(dir, List.of(), List.of()).forType("custom");
        assertThat(p.name()).isEqualTo("custom");
        assertThat(p.prefixes()).containsExactly("custom");
        assertThat(p.healthCheckPath()).isEqualTo("/");
        assertThat(p.modelDiscoveryPath()).isEqualTo("/v1/models");
        assertThat(p.responseFormat()).isEqualTo("openai");
        assertThat(p.capabilityPatterns()).isEmpty();
    }

    @Test
    void profileFilterIncludeExclude() throws Exception {
        ProfileRegistry onlyOllama = ProfileRegistry.load(null, List.of("ollama"), List.of());
        assertThat(onlyOllama.all()).extracting(Profile::name).containsExactly("ollama", "openai-compatible");
        assertThat(onlyOllama.forType("vllm").name()).isEqualTo("openai-compatible");
        assertThat(onlyOllama.canonicalType("vllm")).isNull();
        assertThat(onlyOllama.forPrefix("vllm")).isEmpty();
        assertThat(onlyOllama.knownTypes()).doesNotContain("vllm");

        ProfileRegistry vllmFamily = ProfileRegistry.load(null, List.of("VLLM*", "*studio"), List.of("*mlx"));
        assertThat(vllmFamily.all()).extracting(Profile::name)
                .containsExactly("lm-studio", "openai-compatible", "vllm");

        ProfileRegistry noneButFallback = ProfileRegistry.load(null, List.of("*"), List.of("*"));
        assertThat(noneButFallback.all()).extracting(Profile::name).containsExactly("openai-compatible");

        ProfileRegistry contains = ProfileRegistry.load(null, List.of(), List.of("*llama*"));
        assertThat(contains.all()).extracting(Profile::name).doesNotContain("llamacpp", "ollama").contains("vllm");

        ProfileRegistry suffix = ProfileRegistry.load(null, List.of(), List.of("*cpp"));
        assertThat(suffix.all()).extracting(Profile::name).doesNotContain("llamacpp").contains("ollama");
    }

    @Test
    void brokenUserFileReportsFileAndLine() throws Exception {
        Path f = write("broken.yaml", """
                name: broken
                routing:
                  prefixes:
                    - a
                  - b
                """);
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .isInstanceOf(ProfileException.class)
                .hasMessageStartingWith(f + ": line 5, column 3: ")
                .satisfies(e -> {
                    ProfileException pe = (ProfileException) e;
                    assertThat(pe.file()).isEqualTo(f.toString());
                    assertThat(pe.line()).isEqualTo(5);
                });
    }

    @Test
    void wronglyTypedFieldReportsPathAndLine() throws Exception {
        Path f = write("typed.yaml", """
                name: typed
                characteristics:
                  default_priority: high
                """);
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .isInstanceOf(ProfileException.class)
                .hasMessageStartingWith(f + ": line 3, column ")
                .hasMessageContaining("characteristics.default_priority")
                .hasMessageContaining("\"high\" is not a whole number");

        write("typed.yaml", """
                name: typed
                api:
                  anthropic_support: [yes]
                """);
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .hasMessageStartingWith(f + ": line 3, column ")
                .hasMessageContaining("api.anthropic_support: expected a mapping");
    }

    @Test
    void duplicateKeyIsReported() throws Exception {
        Path f = write("dup.yaml", """
                name: dup
                api:
                  health_check_path: /a
                  health_check_path: /b
                """);
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .hasMessageStartingWith(f + ": line 4")
                .hasMessageContaining("health_check_path");
    }

    @Test
    void missingNameIsReported() throws Exception {
        Path f = write("noname.yaml", """
                display_name: Nameless
                routing:
                  prefixes: [nameless]
                """);
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .isInstanceOf(ProfileException.class)
                .hasMessage(f + ": name is required");

        write("noname.yaml", "# only a comment\n");
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .hasMessageStartingWith(f + ": name is required");
    }

    @Test
    void invalidPrefixIsReported() throws Exception {
        Path f = write("bad.yaml", """
                name: bad
                routing:
                  prefixes: ["a/b"]
                """);
        assertThatThrownBy(() -> ProfileRegistry.load(dir, List.of(), List.of()))
                .hasMessageStartingWith(f + ": routing.prefixes: \"a/b\" is not a valid prefix");
    }

    @Test
    void prefixCollisionWarnsAndLastWins() throws Exception {
        write("myollama.yaml", """
                name: my-ollama
                routing:
                  prefixes: [ollama, mine]
                api:
                  openai_compatible: true
                  health_check_path: /
                  model_discovery_path: /api/tags
                request:
                  response_format: ollama
                """);
        ProfileRegistry reg = ProfileRegistry.load(dir, List.of(), List.of());
        assertThat(reg.forPrefix("ollama").map(Profile::name)).contains("my-ollama");
        assertThat(reg.forType("ollama").name()).isEqualTo("ollama"); // the name still wins for types
        assertThat(reg.warnings()).anySatisfy(w -> assertThat(w)
                .contains("\"ollama\"").contains("\"my-ollama\"").contains("wins"));
    }

    @Test
    void reservedPrefixWarns() throws Exception {
        write("m.yaml", "name: m\nrouting:\n  prefixes: [models]\n");
        assertThat(ProfileRegistry.load(dir, List.of(), List.of()).warnings())
                .anySatisfy(w -> assertThat(w).contains("\"models\"").contains("shadowed"));
    }

    @Test
    void fullCopyOfAShippedFileBehavesLikeTheShippedOne() throws Exception {
        write("vllm.yaml", ProfileRegistry.builtInYaml("vllm.yaml"));
        ProfileRegistry reg = ProfileRegistry.load(dir, List.of(), List.of());
        assertThat(reg.forType("vllm")).isEqualTo(ProfileRegistry.builtIn().forType("vllm"));
        assertThat(reg.warnings()).isEmpty();
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }
}
