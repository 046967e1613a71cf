package dev.olla.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BackendVersionTest {

    @ParameterizedTest
    @CsvSource({
        "0.14.0, 0.14.0, true",
        "0.14.1, 0.14.0, true",
        "0.12.6, 0.14.0, false",
        "0.9.0, 0.14.0, false",
        "1.0, 0.14.0, true",
        "v0.11.1, 0.11.1, true",
        "0.11.0, 0.11.1, false",
        "0.11.0rc1, 0.11.1, false",
        "0.11.1rc2, 0.11.1, true",
        "0.14.0-rc2, 0.14.0, true",
        "b10587-3f545becc, b4847, true",
        "b4000-abc, b4847, false",
    })
    void versionsCompareByTheirNumbers(String version, String minimum, boolean atLeast) {
        assertThat(BackendVersion.atLeast(version, minimum)).isEqualTo(atLeast);
    }

    @Test
    void unknownVersionsOrMinimumsPass() {
        assertThat(BackendVersion.atLeast(null, "0.14.0")).isTrue();
        assertThat(BackendVersion.atLeast("0.1.0", null)).isTrue();
        assertThat(BackendVersion.atLeast("dev", "0.14.0")).isTrue();
    }

    @Test
    void whereEachTypeSaysItsVersion() throws Exception {
        ObjectMapper json = new ObjectMapper();
        assertThat(BackendVersion.pathFor("ollama")).isEqualTo("/api/version");
        assertThat(BackendVersion.pathFor("vllm")).isEqualTo("/version");
        assertThat(BackendVersion.pathFor("llamacpp")).isEqualTo("/props");
        assertThat(BackendVersion.pathFor("lm-studio")).isNull();
        assertThat(BackendVersion.parse("ollama", json.readTree("{\"version\":\"0.12.6\"}"))).isEqualTo("0.12.6");
        assertThat(BackendVersion.parse("llamacpp", json.readTree("{\"build_info\":\"b10587-3f545becc\"}")))
                .isEqualTo("b10587-3f545becc");
        assertThat(BackendVersion.parse("vllm", json.readTree("{\"detail\":\"Not Found\"}"))).isNull();
    }
}
