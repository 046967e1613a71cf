package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.proxy.FirstContent.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the first-token gate reads as preamble, content or failure, in the formats real backends write. */
class FirstContentTest {
    static Verdict feed(FirstContent f, String s, boolean last) {
        ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
        try {
            return f.feed(b, last);
        } finally {
            b.release();
        }
    }

    static Verdict sse(String s) {
        return feed(new FirstContent(true), s, false);
    }

    static Verdict lines(String s) {
        return feed(new FirstContent(false), s, false);
    }

    @Test
    void openAiRoleChunksAndCommentsAreHeldContentOpens() {
        assertThat(sse(": ping\n\ndata: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"))
                .isEqualTo(Verdict.HOLD);
        assertThat(sse("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n"))
                .isEqualTo(Verdict.HOLD); // llama.cpp
        assertThat(sse("data: {\"choices\":[],\"prompt_filter_results\":[]}\n\n")).isEqualTo(Verdict.HOLD);
        assertThat(sse("data: {\"choices\":[{\"text\":\"\"}]}\n\n")).isEqualTo(Verdict.HOLD); // completions
        assertThat(sse("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n")).isEqualTo(Verdict.CONTENT);
        assertThat(sse("data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n")).isEqualTo(Verdict.CONTENT);
        assertThat(sse("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}\n\n")).isEqualTo(Verdict.CONTENT);
        assertThat(sse("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")).isEqualTo(Verdict.CONTENT);
        assertThat(sse("data: [DONE]\n\n")).isEqualTo(Verdict.CONTENT);
        assertThat(sse("data: not json\n\n")).as("not understood: let it through").isEqualTo(Verdict.CONTENT);
    }

    @Test
    void anEventSplitAcrossChunksIsReadWhole() {
        FirstContent f = new FirstContent(true);
        assertThat(feed(f, "data: {\"choices\":[{\"delta\":{\"con", false)).isEqualTo(Verdict.HOLD);
        assertThat(feed(f, "tent\":\"x\"}}]}\r\n", false)).isEqualTo(Verdict.HOLD);
        assertThat(feed(f, "\r\n", false)).isEqualTo(Verdict.CONTENT);
    }

    @Test
    void errorsOfEveryFlavourFail() {
        FirstContent f = new FirstContent(true);
        assertThat(feed(f, "data: {\"error\": {\"message\": \"boom\", \"type\": \"InternalServerError\", \"code\": 500}}\n\n",
                false)).isEqualTo(Verdict.FAIL); // vLLM
        assertThat(f.failure()).isEqualTo("boom");
        f = new FirstContent(true);
        assertThat(feed(f, "{\"error\":{\"message\":\"ollama v1\",\"type\":\"api_error\"}}\n", false)).isEqualTo(Verdict.FAIL);
        assertThat(f.failure()).isEqualTo("ollama v1");
        f = new FirstContent(true);
        assertThat(feed(f, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"Overloaded\"}}\n\n", false)).isEqualTo(Verdict.FAIL);
        assertThat(f.failure()).isEqualTo("Overloaded");
        f = new FirstContent(false);
        assertThat(feed(f, "{\"error\":\"model crashed\"}\n", false)).isEqualTo(Verdict.FAIL);
        assertThat(f.failure()).isEqualTo("model crashed");
        f = new FirstContent(false);
        assertThat(feed(f, "{\"error\":{\"message\":\"no model\"}}", true)).as("a 200 whose whole body is an error")
                .isEqualTo(Verdict.FAIL);
    }

    @Test
    void anthropicPreambleIsHeldTextOpens() {
        assertThat(sse("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"
                + "event: ping\ndata: {\"type\": \"ping\"}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")).isEqualTo(Verdict.HOLD);
        assertThat(sse("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n")).isEqualTo(Verdict.CONTENT);
    }

    @Test
    void ollamaEmptyChunksAreHeldUntilContentOrDone() {
        assertThat(lines("{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":false}\n")).isEqualTo(Verdict.HOLD);
        assertThat(lines("{\"response\":\"\",\"done\":false}\n")).isEqualTo(Verdict.HOLD);
        assertThat(lines("{\"response\":\"Hi\",\"done\":false}\n")).isEqualTo(Verdict.CONTENT);
        assertThat(lines("{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n")).isEqualTo(Verdict.CONTENT);
    }

    @Test
    void aStreamEndingWithoutContentOrErrorIsLetThrough() {
        FirstContent f = new FirstContent(true);
        assertThat(feed(f, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n", true)).isEqualTo(Verdict.CONTENT);
    }
}
