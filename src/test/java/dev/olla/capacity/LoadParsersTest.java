package dev.olla.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parsers against the exact llama.cpp captures and against the other backends' published shapes. */
class LoadParsersTest {
    static String fixtureBody(String name) throws Exception {
        Path dir = null;
        for (String p : new String[] {"../shared/fixtures/llamacpp", "/work/shared/fixtures/llamacpp"}) {
            if (Files.isDirectory(Path.of(p))) {
                dir = Path.of(p);
                break;
            }
        }
        assumeTrue(dir != null, "shared/fixtures/llamacpp not found");
        String all = Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
        String response = all.substring(all.indexOf("<<< RESPONSE"));
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void llamaCppSlotsIdleAndAllBusy() throws Exception {
        assertThat(LoadParsers.llamaCppSlots(fixtureBody("slots--idle.txt"))).isEqualTo(new LoadParsers.Slots(4, 0, -1));
        assertThat(LoadParsers.llamaCppSlots(fixtureBody("slots--all-busy.txt"))).isEqualTo(new LoadParsers.Slots(4, 4, -1));
        assertThat(LoadParsers.llamaCppSlots(fixtureBody("slots--after-client-drop.txt")).total()).isEqualTo(4);
    }

    @Test
    void llamaCppPropsAndMetrics() throws Exception {
        assertThat(LoadParsers.llamaCppProps(fixtureBody("props--ok.txt"))).isEqualTo(new LoadParsers.Props(4, "tiny-llama"));
        assertThat(LoadParsers.llamaCppMetrics(fixtureBody("metrics--all-busy.txt"))).isEqualTo(new LoadParsers.Slots(-1, 4, 1));
        assertThat(LoadParsers.llamaCppMetrics(fixtureBody("metrics--fresh.txt"))).isEqualTo(new LoadParsers.Slots(-1, 0, 0));
    }

    @Test
    void ollamaPsAndLmStudio() {
        Map<String, Instant> ps = LoadParsers.ollamaPs("{\"models\":[{\"name\":\"llama3.2:3b\",\"model\":\"llama3.2:3b\","
                + "\"size\":1,\"expires_at\":\"2026-12-06T15:04:05.123456789+10:00\",\"size_vram\":1}]}");
        assertThat(ps).containsOnlyKeys("llama3.2:3b");
        assertThat(ps.get("llama3.2:3b")).isEqualTo(Instant.parse("2026-12-06T05:04:05.123456789Z"));
        assertThat(LoadParsers.ollamaPs("{\"models\":[]}")).isEmpty();
        assertThat(LoadParsers.lmStudioModels("{\"object\":\"list\",\"data\":[{\"id\":\"a\",\"state\":\"loaded\"},"
                + "{\"id\":\"b\",\"state\":\"not-loaded\"}]}")).containsOnlyKeys("a");
        assertThatThrownBy(() -> LoadParsers.ollamaPs("<html>")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadParsers.llamaCppSlots("{\"error\":{}}")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void vllmAndSglangGaugesSumOverLabels() {
        String vllm = """
                # HELP vllm:num_requests_running Number of requests in model execution batches.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{engine="0",model_name="m"} 3.0
                vllm:num_requests_running{engine="1",model_name="m"} 2.0
                # TYPE vllm:num_requests_waiting gauge
                vllm:num_requests_waiting{engine="0",model_name="m"} 7.0
                vllm:num_requests_waiting_by_reason{engine="0",reason="capacity"} 99.0
                """;
        assertThat(LoadParsers.vllmMetrics(vllm)).isEqualTo(new LoadParsers.Slots(-1, 5, 7));
        String sglang = """
                # TYPE sglang:num_running_reqs gauge
                sglang:num_running_reqs{model_name="q",engine_type="unified",tp_rank="0"} 12.0
                sglang:num_queue_reqs{model_name="q",engine_type="unified",tp_rank="0"} 0.0
                """;
        assertThat(LoadParsers.sglangMetrics(sglang)).isEqualTo(new LoadParsers.Slots(-1, 12, 0));
        assertThat(LoadParsers.vllmMetrics("# nothing\n")).isEqualTo(new LoadParsers.Slots(-1, -1, -1));
    }
}
