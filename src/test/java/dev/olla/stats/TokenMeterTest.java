package dev.olla.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The meter reads each backend format as it passes, across any chunk boundary. */
class TokenMeterTest {
    static final long MS = 1_000_000L;

    /** Feeds {@code body} in pieces of {@code piece} bytes, 10 ms apart, starting 100 ms after the request. */
    static TokenMeter feed(String body, int piece, boolean streamed) {
        TokenMeter m = new TokenMeter(0);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        long t = 100 * MS;
        for (int i = 0; i < b.length; i += piece) {
            ByteBuf buf = Unpooled.wrappedBuffer(b, i, Math.min(piece, b.length - i));
            int reader = buf.readerIndex();
            m.chunk(buf, t, streamed);
            assertThat(buf.readerIndex()).as("read-only view").isEqualTo(reader);
            t += 10 * MS;
        }
        return m;
    }

    @Test
    void ollamaFinalChunkAtEveryBoundary() {
        String ndjson = "{\"model\":\"llama3.2:3b\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                + "{\"model\":\"llama3.2:3b\",\"done\":true,\"total_duration\":5000000000,\"load_duration\":1000000,"
                + "\"prompt_eval_count\":26,\"prompt_eval_duration\":130000000,\"eval_count\":298,"
                + "\"eval_duration\":4799921000}\n";
        for (int piece = 1; piece <= ndjson.length(); piece += 7) {
            TokenMeter m = feed(ndjson, piece, true);
            assertThat(m.promptTokens()).as("piece %d", piece).isEqualTo(26);
            assertThat(m.completionTokens()).isEqualTo(298);
            assertThat(m.generationNanos(0)).isEqualTo(4_799_921_000L);
            assertThat(m.tokensPerSecond(0)).isCloseTo(62.08, org.assertj.core.data.Offset.offset(0.01));
            assertThat(m.promptEvalNanos()).isEqualTo(130_000_000L);
            assertThat(m.loadNanos()).isEqualTo(1_000_000L);
            assertThat(m.totalNanos()).isEqualTo(5_000_000_000L);
            assertThat(m.ttftNanos()).isEqualTo(100 * MS);
        }
    }

    @Test
    void openAiUsageInTheLastStreamEvent() {
        String sse = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\ndata: [DONE]\n\n";
        TokenMeter m = feed(sse, 40, true);
        assertThat(m.promptTokens()).isEqualTo(12);
        assertThat(m.completionTokens()).isEqualTo(7);
        // no backend timing: generation measured from first to last chunk
        assertThat(m.generationNanos(0)).isEqualTo((m.chunks() - 1) * 10 * MS);
        assertThat(m.meanGapNanos()).isEqualTo(10 * MS);
        assertThat(m.maxGapNanos()).isEqualTo(10 * MS);
    }

    @Test
    void openAiNonStreamedBody() {
        String json = "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"hello\"}}],"
                + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}";
        TokenMeter m = feed(json, json.length(), false);
        assertThat(m.promptTokens()).isEqualTo(9);
        assertThat(m.completionTokens()).isEqualTo(3);
        assertThat(m.ttftNanos()).as("not a stream").isEqualTo(-1);
        assertThat(m.generationNanos(400 * MS)).as("whole response").isEqualTo(400 * MS);
    }

    @Test
    void anthropicUsageLastValueWins() {
        String sse = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
                + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":15}}\n\n";
        TokenMeter m = feed(sse, 13, true);
        assertThat(m.promptTokens()).isEqualTo(25);
        assertThat(m.completionTokens()).isEqualTo(15);
    }

    @Test
    void llamaCppTimings() {
        String json = "{\"content\":\"x\",\"timings\":{\"cache_n\":0,\"prompt_n\":11,\"prompt_ms\":12.5,"
                + "\"predicted_n\":40,\"predicted_ms\":800.0,\"predicted_per_second\":50.0}}";
        TokenMeter m = feed(json, 5, false);
        assertThat(m.promptTokens()).isEqualTo(11);
        assertThat(m.completionTokens()).isEqualTo(40);
        assertThat(m.generationNanos(0)).isEqualTo(800 * MS);
        assertThat(m.tokensPerSecond(0)).isEqualTo(50.0);
        assertThat(m.promptEvalNanos()).isEqualTo(12_500_000L);
    }

    @Test
    void textTheModelWritesCannotFakeAField() {
        String sse = "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"completion_tokens\\\": 999, "
                + "\\\"eval_count\\\":5 \\\"prompt_tokens\\\":"
                + "\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"\\\\\"}}],\"usage\":null}\n\n";
        TokenMeter m = feed(sse, 3, true);
        assertThat(m.completionTokens()).isEqualTo(-1);
        assertThat(m.promptTokens()).isEqualTo(-1);
    }

    @Test
    void aBrokenLineDoesNotBlindTheRest() {
        String body = "data: {\"content\":\"unterminated\n"
                + "data: {\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}\n";
        TokenMeter m = feed(body, 8, true);
        assertThat(m.promptTokens()).isEqualTo(4);
        assertThat(m.completionTokens()).isEqualTo(2);
    }

    @Test
    void emptyChunksAreNotTokens() {
        TokenMeter m = new TokenMeter(0);
        m.chunk(Unpooled.EMPTY_BUFFER, 5 * MS, true);
        assertThat(m.chunks()).isZero();
        assertThat(m.ttftNanos()).isEqualTo(-1);
    }

    /**
     * The bulk scan (array loop with skipped runs; a direct buffer copied through a 4 KiB window) reads
     * exactly what the byte-by-byte lexer reads, whatever the bytes and however they are cut.
     */
    @Test
    void bulkScanMatchesTheByteLexer() {
        java.util.Random rnd = new java.util.Random(42);
        String[] parts = {"\"", "\\", "\n", "{", "}", ":", " ", ",", "data: ", "\"prompt_tokens\"", "\"eval_count\"",
            "\"completion_tokens\":", "12", "3.5", "-4", "1e3", "x", "\"content\":\"", "\"usage\":{",
            "\"predicted_ms\": 81.25", "\"output_tokens\":7", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
        for (int round = 0; round < 300; round++) {
            StringBuilder sb = new StringBuilder();
            int target = round % 10 == 0 ? 9000 : 1 + rnd.nextInt(400); // some bodies span several 4 KiB windows
            while (sb.length() < target) {
                sb.append(parts[rnd.nextInt(parts.length)]);
            }
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            TokenMeter byByte = new TokenMeter(0);
            byByte.chunk(Unpooled.wrappedBuffer(bytes, 0, 1), 0, true); // marks it relayed; one byte is one step
            for (int i = 1; i < bytes.length; i++) {
                byByte.process(bytes[i]);
            }
            int piece = 1 + rnd.nextInt(bytes.length);
            for (boolean direct : new boolean[] {false, true}) {
                TokenMeter bulk = new TokenMeter(0);
                for (int i = 0; i < bytes.length; i += piece) {
                    int n = Math.min(piece, bytes.length - i);
                    ByteBuf buf = direct ? Unpooled.directBuffer(n).writeBytes(bytes, i, n) : Unpooled.wrappedBuffer(bytes, i, n);
                    try {
                        bulk.chunk(buf, 0, true);
                    } finally {
                        buf.release();
                    }
                }
                String what = "round " + round + (direct ? " direct" : " heap") + " piece " + piece;
                assertThat(bulk.promptTokens()).as(what).isEqualTo(byByte.promptTokens());
                assertThat(bulk.completionTokens()).as(what).isEqualTo(byByte.completionTokens());
                assertThat(bulk.generationNanos(0)).as(what).isEqualTo(byByte.generationNanos(0));
                assertThat(bulk.promptEvalNanos()).as(what).isEqualTo(byByte.promptEvalNanos());
                assertThat(bulk.streamed()).as(what).isEqualTo(byByte.streamed());
            }
        }
    }
}
