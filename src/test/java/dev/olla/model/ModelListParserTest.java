package dev.olla.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelListParserTest {

    private static List<DiscoveredModel> parse(String format, String json) throws ModelListException {
        return ModelListParser.parse(format, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void ollamaTagsWithDetails() throws Exception {
        List<DiscoveredModel> m = parse("ollama", """
                {"models":[{"name":"phi4:latest","model":"phi4:latest","modified_at":"2025-01-10T10:00:00.1+10:00",
                "size":9053116391,"digest":"sha256:AC896E5B8B34","details":{"parent_model":"","format":"gguf",
                "family":"phi3","families":["phi3"],"parameter_size":"14.7B","quantization_level":"Q4_K_M"}},
                {"size":1},{"name":"nomic-embed-text:latest","details":{"family":"nomic-bert"}}]}""");
        assertThat(m).extracting(DiscoveredModel::name).containsExactly("phi4:latest", "nomic-embed-text:latest");
        DiscoveredModel phi = m.get(0);
        assertThat(phi.digest()).isEqualTo("ac896e5b8b34");
        assertThat(phi.size()).isEqualTo(9053116391L);
        assertThat(phi.modifiedAt()).isEqualTo("2025-01-10T10:00:00.1+10:00");
        assertThat(phi.family()).isEqualTo("phi3");
        assertThat(phi.families()).containsExactly("phi3");
        assertThat(phi.parameterSize()).isEqualTo("14.7B");
        assertThat(phi.quantization()).isEqualTo("Q4_K_M");
        assertThat(phi.format()).isEqualTo("gguf");
        assertThat(phi.state()).isEqualTo(DiscoveredModel.AVAILABLE);
    }

    @Test
    void lmStudioV0WithTypeAndState() throws Exception {
        List<DiscoveredModel> m = parse("lmstudio", """
                {"object":"list","data":[
                {"id":"qwen2.5-7b-instruct","object":"model","type":"llm","publisher":"lmstudio-community","arch":"qwen2",
                 "compatibility_type":"gguf","quantization":"Q4_K_M","state":"loaded","max_context_length":32768},
                {"id":"text-embedding-nomic","type":"embeddings","state":"not-loaded"},
                {"id":"llava","type":"vlm","state":"not-loaded"}]}""");
        assertThat(m).hasSize(3);
        assertThat(m.get(0).type()).isEqualTo("llm");
        assertThat(m.get(0).state()).isEqualTo("loaded");
        assertThat(m.get(0).contextLength()).isEqualTo(32768);
        assertThat(m.get(0).family()).isEqualTo("qwen2");
        assertThat(m.get(0).publisher()).isEqualTo("lmstudio-community");
        assertThat(m.get(1).type()).isEqualTo("embeddings");
        assertThat(m.get(1).state()).isEqualTo("not-loaded");
        assertThat(m.get(1).contextLength()).isZero();
        assertThat(m.get(2).type()).isEqualTo("vlm");
    }

    @Test
    void openAiAndVllmAndUnknownFormats() throws Exception {
        String vllm = """
                {"object":"list","data":[{"id":"meta-llama/Llama-3.1-8B","object":"model","created":1,
                "owned_by":"vllm","root":"meta-llama/Llama-3.1-8B","max_model_len":131072}]}""";
        DiscoveredModel v = parse("vllm", vllm).get(0);
        assertThat(v.name()).isEqualTo("meta-llama/Llama-3.1-8B");
        assertThat(v.contextLength()).isEqualTo(131072);
        assertThat(v.state()).isEqualTo(DiscoveredModel.LOADED);
        assertThat(v.parameterSize()).isEqualTo("8B");
        // unknown formats use the OpenAI parser
        assertThat(parse("something-new", vllm)).extracting(DiscoveredModel::name)
                .containsExactly("meta-llama/Llama-3.1-8B");
        assertThat(parse("openai", "{\"data\":[{\"id\":\"gpt-4o\"},{\"object\":\"model\"}]}"))
                .extracting(DiscoveredModel::name).containsExactly("gpt-4o");
    }

    @Test
    void llamaCppCombinedList() throws Exception {
        List<DiscoveredModel> m = parse("llamacpp", """
                {"models":[{"name":"tiny-llama","model":"tiny-llama","size":"","digest":"","details":{"family":""}}],
                 "object":"list","data":[{"id":"tiny-llama","object":"model","owned_by":"llamacpp",
                 "meta":{"n_ctx_train":4096,"n_params":1100048384,"size":668788096,"ftype":"Q4_K - Medium"}}]}""");
        assertThat(m).hasSize(1);
        DiscoveredModel t = m.get(0);
        assertThat(t.contextLength()).isEqualTo(4096);
        assertThat(t.parameterSize()).isEqualTo("1.1B");
        assertThat(t.size()).isEqualTo(668788096L);
        assertThat(t.quantization()).isEqualTo("Q4_K_M");
        assertThat(t.digest()).isNull();
        assertThat(t.state()).isEqualTo(DiscoveredModel.LOADED);
    }

    @Test
    void autoDetectsTheShape() throws Exception {
        assertThat(parse("auto", "{\"models\":[{\"name\":\"a:1b\",\"digest\":\"x\"}]}").get(0).digest()).isEqualTo("x");
        assertThat(parse("auto", "{\"data\":[{\"id\":\"b\",\"state\":\"loaded\",\"type\":\"llm\"}]}").get(0).state())
                .isEqualTo("loaded");
        assertThat(parse("auto", "{\"data\":[{\"id\":\"c\"}]}").get(0).name()).isEqualTo("c");
    }

    @Test
    void garbageAndWrongShapesAreErrors() {
        assertThatThrownBy(() -> parse("ollama", "{\"models\":[{\"name\":\"garbage\",\"size\":<<not json>>,]"))
                .isInstanceOf(ModelListException.class).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> parse("ollama", "{\"data\":[]}")).isInstanceOf(ModelListException.class)
                .hasMessageContaining("\"models\"");
        assertThatThrownBy(() -> parse("openai", "[1,2]")).isInstanceOf(ModelListException.class);
        assertThatThrownBy(() -> parse("openai", "")).isInstanceOf(ModelListException.class);
    }

    @Test
    void metadataNormalisation() {
        assertThat(ModelMeta.normalizeQuantization("q4km")).isEqualTo("Q4_K_M");
        assertThat(ModelMeta.normalizeQuantization("q4_k_m")).isEqualTo("Q4_K_M");
        assertThat(ModelMeta.normalizeQuantization("Q4_K - Small")).isEqualTo("Q4_K_S");
        assertThat(ModelMeta.normalizeQuantization("all F32")).isEqualTo("F32");
        assertThat(ModelMeta.normalizeQuantization("q8_0")).isEqualTo("Q8_0");
        assertThat(ModelMeta.normalizeQuantization("q80")).isEqualTo("Q8_0");
        assertThat(ModelMeta.normalizeQuantization(" ")).isNull();
        assertThat(ModelMeta.guessParameterSize("llama3.2:3b")).isEqualTo("3B");
        assertThat(ModelMeta.guessParameterSize("meta-llama/Llama-3.1-8B-Instruct")).isEqualTo("8B");
        assertThat(ModelMeta.guessParameterSize("mixtral:8x7b")).isNull();
        assertThat(ModelMeta.guessFamily("meta-llama/Llama-3.1-8B")).isEqualTo("llama");
        assertThat(ModelMeta.parameterCount("8.0B")).isEqualTo(8_000_000_000L);
        assertThat(ModelMeta.parameterCount("137M")).isEqualTo(137_000_000L);
        assertThat(ModelMeta.normalizeDigest("sha256:ABC")).isEqualTo("abc");
    }
}
