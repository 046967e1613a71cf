package dev.olla.profile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ProfileFilterTest {

    @Test
    void originalRules() {
        assertThat(ProfileFilter.matches("*", "anything")).isTrue();
        assertThat(ProfileFilter.matches("*llama*", "ollama")).isTrue();
        assertThat(ProfileFilter.matches("*studio", "lm-studio")).isTrue();
        assertThat(ProfileFilter.matches("*studio", "lm-studio-x")).isFalse();
        assertThat(ProfileFilter.matches("vllm*", "vllm-mlx")).isTrue();
        assertThat(ProfileFilter.matches("vllm*", "my-vllm")).isFalse();
        assertThat(ProfileFilter.matches("vllm", "vllm-mlx")).isFalse();
        assertThat(ProfileFilter.matches("VLLM", "vllm")).isTrue();
    }

    @Test
    void middleStarAndEdgeCases() {
        assertThat(ProfileFilter.matches("qwen*coder*", "qwen2.5-coder:7b")).isTrue();
        assertThat(ProfileFilter.matches("qwen*coder*", "qwen2.5:7b")).isFalse();
        assertThat(ProfileFilter.matches("a*b*c", "aXbYbZc")).isTrue();
        assertThat(ProfileFilter.matches("**", "")).isTrue();
        assertThat(ProfileFilter.matches("", "")).isTrue();
        assertThat(ProfileFilter.matches("", "x")).isFalse();
        assertThat(ProfileFilter.matches(null, "x")).isFalse();
    }

    @Test
    void excludeWinsAndEmptyIncludeMeansAll() {
        assertThat(ProfileFilter.allowed("ollama", List.of(), List.of())).isTrue();
        assertThat(ProfileFilter.allowed("ollama", null, null)).isTrue();
        assertThat(ProfileFilter.allowed("ollama", List.of("oll*"), List.of("*ama"))).isFalse();
        assertThat(ProfileFilter.allowed("vllm", List.of("oll*"), List.of())).isFalse();
    }
}
