package dev.olla.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What holding the first token costs per stream in CPU (issue 13, proxy.hold_first_token): the
 * {@link FirstContent} decision over a stream's first HTTP chunks, as each backend really sends them,
 * up to the chunk that opens the gate. Without the hold none of this runs, so CPU/op is the hold's own
 * cost per stream (the gate's list of held chunks aside). Chunks:
 * <ul>
 *   <li>{@code openai}: the role chunk (sent with the head), then the first token, as the simulator's
 *       OpenAI flavour (and OpenAI, vLLM) send them;</li>
 *   <li>{@code llamacpp}: role event and first token in one HTTP chunk (the fixtures' capture);</li>
 *   <li>{@code ollama}: Ollama's first NDJSON line, with content;</li>
 *   <li>{@code anthropic}: message_start, content_block_start (empty), then the first text delta
 *       (llama.cpp's /v1/messages capture).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FirstTokenHoldBench {
    @Param({"openai", "llamacpp", "ollama", "anthropic"})
    public String stream;

    private ByteBuf[] chunks;
    private boolean sse;

    @Setup
    public void setUp() {
        String[] c = switch (stream) {
            case "openai" -> new String[] {
                "data: {\"id\":\"chatcmpl-dKWe2DGz0y4HnZbDXhzceHFUXYLAT\",\"object\":\"chat.completion.chunk\",\"created\":1796545331,"
                        + "\"model\":\"m1\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_sim\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
                "data: {\"id\":\"chatcmpl-dKWe2DGz0y4HnZbDXhzceHFUXYLAT\",\"object\":\"chat.completion.chunk\",\"created\":1796545331,"
                        + "\"model\":\"m1\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_sim\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":\"tok0 \"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"};
            case "llamacpp" -> new String[] {
                "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}],"
                        + "\"created\":1795566817,\"id\":\"chatcmpl-AXom56WYQEP2qUvhrTUTUu60HUrkx8X4\",\"model\":\"tiny-llama\","
                        + "\"system_fingerprint\":\"b10587-3f545becc\",\"object\":\"chat.completion.chunk\"}\n\n"
                        + "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" line\"}}],"
                        + "\"created\":1795566817,\"id\":\"chatcmpl-AXom56WYQEP2qUvhrTUTUu60HUrkx8X4\",\"model\":\"tiny-llama\","
                        + "\"system_fingerprint\":\"b10587-3f545becc\",\"object\":\"chat.completion.chunk\"}\n\n"};
            case "ollama" -> new String[] {
                "{\"model\":\"llama3.2:3b\",\"created_at\":\"2026-12-06T08:22:12.123033237Z\",\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"tok0 \"},\"done\":false}\n"};
            case "anthropic" -> new String[] {
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"chatcmpl-JxbNAF1rYZ9PMpmW0u3xvBWRCOKhd8h4\","
                        + "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"tiny-llama\",\"stop_reason\":null,"
                        + "\"stop_sequence\":null,\"usage\":{\"cache_read_input_tokens\":22,\"input_tokens\":1,\"output_tokens\":0}}}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" number\"}}\n\n"};
            default -> throw new IllegalArgumentException(stream);
        };
        sse = !stream.equals("ollama");
        chunks = new ByteBuf[c.length];
        for (int i = 0; i < c.length; i++) {
            byte[] b = c[i].getBytes(StandardCharsets.UTF_8);
            chunks[i] = Unpooled.directBuffer(b.length).writeBytes(b); // as the olla engine reads them
        }
        if (decide() != FirstContent.Verdict.CONTENT) {
            throw new IllegalStateException(stream + ": the last chunk must open the gate");
        }
    }

    /** One stream's decision: HOLD on every chunk but the last, CONTENT on the last. */
    private FirstContent.Verdict decide() {
        FirstContent scan = new FirstContent(sse);
        FirstContent.Verdict v = FirstContent.Verdict.HOLD;
        for (ByteBuf c : chunks) {
            v = scan.feed(c, false);
            if (v != FirstContent.Verdict.HOLD) {
                break;
            }
        }
        return v;
    }

    @Benchmark
    public FirstContent.Verdict firstToken(dev.olla.CpuPerOp cpu) {
        cpu.op();
        return decide();
    }
}
