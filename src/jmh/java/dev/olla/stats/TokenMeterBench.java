package dev.olla.stats;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The per-chunk token meter on the bodies of bench/run.sh: a whole chat completion, one SSE delta. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenMeterBench {
    static final String COMPLETION = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,"
            + "\"model\":\"m1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1,\"total_tokens\":13}}";
    static final String DELTA = "data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
            + "\"model\":\"s1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token\"},\"finish_reason\":null}]}\n\n";

    @Param({"completion", "delta"})
    public String body;

    @Param({"direct", "heap"})
    public String buffer;

    private ByteBuf buf;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] b = ("completion".equals(body) ? COMPLETION : DELTA).getBytes(StandardCharsets.UTF_8);
        buf = "direct".equals(buffer) ? PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b)
                : Unpooled.wrappedBuffer(b);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
    }

    @Benchmark
    public long chunk(dev.olla.CpuPerOp cpu) {
        cpu.op();
        TokenMeter m = new TokenMeter(0);
        m.chunk(buf, 1, true);
        return m.completionTokens();
    }

    /** The byte-at-a-time path ({@link ByteBuf#forEachByte} calling the meter), how chunks were read before. */
    @Benchmark
    public long perByte(dev.olla.CpuPerOp cpu) {
        cpu.op();
        TokenMeter m = new TokenMeter(0);
        buf.forEachByte(buf.readerIndex(), buf.readableBytes(), m);
        return m.completionTokens();
    }
}
