package dev.olla.model;

import static dev.olla.model.ModelTestKit.named;
import static dev.olla.model.ModelTestKit.offline;
import static dev.olla.model.ModelTestKit.withDigest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.endpoint.EndpointState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final EndpointState a = offline("ollama-a", "ollama");
    private final EndpointState b = offline("ollama-b", "ollama");
    private final EndpointState c = offline("vllm-c", "vllm");
    private final EndpointState d = offline("lms-d", "lm-studio");

    @Test
    void mergesByDigestThenByCaseInsensitiveName() {
        ModelRegistry r = new ModelRegistry(ModelTestKit.registry(a, b, c, d), true);
        r.replace(a, List.of(withDigest("llama3.2:3b", "d1"), withDigest("phi4:14b", "d2")));
        r.replace(b, List.of(withDigest("llama3.2:latest", "d1"), withDigest("LLAMA3.2:3B", "d1")));
        r.replace(c, List.of(named("meta-llama/Llama-3.1-8B")));
        r.replace(d, List.of(named("Meta-Llama/llama-3.1-8b")));

        assertThat(r.models()).extracting(UnifiedModel::id)
                .containsExactly("llama3.2:3b", "meta-llama/Llama-3.1-8B", "phi4:14b");
        UnifiedModel llama = r.find("LLAMA3.2:latest").orElseThrow();
        assertThat(llama.id()).isEqualTo("llama3.2:3b");
        assertThat(llama.aliases()).extracting(UnifiedModel.Alias::name)
                .containsExactly("llama3.2:3b", "llama3.2:latest", "LLAMA3.2:3B");
        assertThat(llama.sources()).extracting(UnifiedModel.Source::endpointName)
                .containsExactly("ollama-a", "ollama-b", "ollama-b");
        assertThat(llama.diskSize()).isEqualTo(3000);

        // one copy per endpoint; the exact native name preferred
        assertThat(r.sourcesFor("llama3.2:3b")).extracting(UnifiedModel.Source::endpointName, UnifiedModel.Source::nativeName)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ollama-a", "llama3.2:3b"),
                        org.assertj.core.groups.Tuple.tuple("ollama-b", "LLAMA3.2:3B"));
        assertThat(r.sourcesFor("phi4:14b")).extracting(UnifiedModel.Source::endpointName).containsExactly("ollama-a");
        assertThat(r.sourcesFor("meta-llama/llama-3.1-8b")).extracting(UnifiedModel.Source::endpointName)
                .containsExactly("vllm-c", "lms-d");
        assertThat(r.modelCount(b)).isEqualTo(2);
        assertThat(r.knows("nope")).isFalse();
    }

    @Test
    void sameNameDifferentDigestIsAModelOfItsOwn() {
        ModelRegistry r = new ModelRegistry(ModelTestKit.registry(a, b), true);
        r.replace(a, List.of(withDigest("llama3:latest", "aaaaaaaa11111111")));
        r.replace(b, List.of(withDigest("llama3:latest", "bbbbbbbb22222222")));
        assertThat(r.models()).extracting(UnifiedModel::id).containsExactly("llama3:latest", "llama3:latest-22222222");
        // the name itself reaches both endpoints (each knows it by that name), the suffixed id only b
        assertThat(r.sourcesFor("llama3:latest")).extracting(UnifiedModel.Source::endpointName)
                .containsExactly("ollama-a", "ollama-b");
        assertThat(r.sourcesFor("llama3:latest-22222222")).extracting(UnifiedModel.Source::endpointName)
                .containsExactly("ollama-b");
    }

    @Test
    void unifierOffMatchesExactNamesOnly() {
        ModelRegistry r = new ModelRegistry(ModelTestKit.registry(a, b), false);
        r.replace(a, List.of(withDigest("Phi4:latest", "d")));
        r.replace(b, List.of(withDigest("phi4:latest", "d")));
        assertThat(r.models()).extracting(UnifiedModel::id).containsExactly("Phi4:latest", "phi4:latest");
        assertThat(r.sourcesFor("phi4:latest")).extracting(UnifiedModel.Source::endpointName).containsExactly("ollama-b");
        assertThat(r.sourcesFor("Phi4:latest")).extracting(UnifiedModel.Source::endpointName).containsExactly("ollama-a");
    }

    @Test
    void metadataCapabilitiesAndTypes() {
        ModelRegistry r = new ModelRegistry(ModelTestKit.registry(a, c, d), true);
        r.replace(a, List.of(
                new DiscoveredModel("llava:7b", "v", 10, "2025-01-01T00:00:00Z", "llama", List.of("llama", "clip"),
                        "7B", "q4km", "gguf", null, null, DiscoveredModel.AVAILABLE, 0),
                new DiscoveredModel("nomic-embed-text:latest", "n", 5, null, "nomic-bert", List.of(), "137M", "F16",
                        "gguf", null, null, DiscoveredModel.AVAILABLE, 0),
                named("codellama:13b"), named("llama3:8b")));
        r.replace(d, List.of(new DiscoveredModel("text-embedding-x", null, -1, null, "bert", List.of(), null, null,
                null, "embeddings", "p", DiscoveredModel.NOT_LOADED, 2048)));
        r.replace(c, List.of(named("mistralai/Mistral-7B-Instruct")));

        UnifiedModel llava = r.find("llava:7b").orElseThrow();
        assertThat(llava.type()).isEqualTo("vlm");
        assertThat(llava.capabilities()).contains("chat", "completion", "vision");
        assertThat(llava.quantization()).isEqualTo("Q4_K_M");
        assertThat(llava.parameterCount()).isEqualTo(7_000_000_000L);

        UnifiedModel embed = r.find("nomic-embed-text:latest").orElseThrow();
        assertThat(embed.type()).isEqualTo("embeddings");
        assertThat(embed.capabilities()).containsExactly("embedding");
        assertThat(r.find("text-embedding-x").orElseThrow().type()).isEqualTo("embeddings");

        assertThat(r.find("codellama:13b").orElseThrow().capabilities()).contains("code");
        assertThat(r.find("codellama:13b").orElseThrow().parameterSize()).isEqualTo("13B");
        // context from the profile's context patterns when the backend does not say
        assertThat(r.find("llama3:8b").orElseThrow().contextLength()).isEqualTo(8192);
        assertThat(r.find("mistralai/Mistral-7B-Instruct").orElseThrow().contextLength()).isEqualTo(32768);
        assertThat(r.find("mistralai/Mistral-7B-Instruct").orElseThrow().family()).isEqualTo("mistral");
    }

    @Test
    void staleModelsAreDroppedOthersKept() {
        MutableClock clock = new MutableClock();
        ModelRegistry r = new ModelRegistry(ModelTestKit.registry(a, b), true, clock);
        r.replace(a, List.of(named("old:1b")));
        clock.advance(Duration.ofMinutes(30));
        r.replace(b, List.of(named("fresh:1b")));
        clock.advance(Duration.ofMinutes(31));
        assertThat(r.removeStale(Duration.ofHours(1))).isEqualTo(1);
        assertThat(r.models()).extracting(UnifiedModel::id).containsExactly("fresh:1b");
        assertThat(r.modelCount(a)).isZero();
        // re-reporting keeps first-seen
        Instant first = r.find("fresh:1b").orElseThrow().firstSeen();
        clock.advance(Duration.ofMinutes(5));
        r.replace(b, List.of(named("fresh:1b")));
        assertThat(r.find("fresh:1b").orElseThrow().firstSeen()).isEqualTo(first);
        assertThat(r.find("fresh:1b").orElseThrow().lastSeen()).isEqualTo(clock.now);
    }
}
