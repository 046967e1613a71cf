package dev.olla.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encoding one proxied response (the head Olla sends for a small non-streamed chat completion: 16
 * header lines, a 242-byte body) through the server's codec: Netty's {@code HttpServerCodec}
 * ({@code netty}) against {@link ServerCodec} ({@code olla}, header lines by {@link HeaderBlock}).
 * The encoded bytes go to an {@link EmbeddedChannel} (pooled direct buffers, as on the wire) and are
 * released.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderBlockBench {
    @Param({"netty", "olla"})
    public String codec;

    private EmbeddedChannel ch;
    private HttpHeaders headers;
    private ByteBuf body;

    @Setup
    public void setUp() {
        ChannelHandler h = codec.equals("netty") ? new HttpServerCodec(new HttpDecoderConfig())
                : new ServerCodec(new HttpDecoderConfig());
        ch = new EmbeddedChannel(h);
        body = Unpooled.directBuffer().writeBytes(("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
                + "\"model\":\"m1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1,\"total_tokens\":13}}")
                .getBytes(StandardCharsets.US_ASCII));
        headers = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders()
                .add("Server", "nginx/1.22.1").add("Date", "Sun, 06 Dec 2026 08:00:00 GMT")
                .add("Content-Type", "application/json").add("Content-Length", String.valueOf(body.readableBytes()))
                .add("Connection", "keep-alive")
                .add(AsciiString.cached("X-Olla-Request-ID"), "2b1c0d9e-4f4f-4a0e-9d1c-1f2e3d4c5b6a")
                .add(AsciiString.cached("X-Olla-Endpoint"), "backend")
                .add(AsciiString.cached("X-Olla-Model"), "m1")
                .add(AsciiString.cached("X-Olla-Backend-Type"), "openai-compatible")
                .add(AsciiString.cached("X-Served-By"), "olla/0.1.0 (backend)")
                .add(AsciiString.cached("X-Olla-Routing-Strategy"), "strict")
                .add(AsciiString.cached("X-Olla-Routing-Decision"), "routed")
                .add(AsciiString.cached("X-Olla-Routing-Reason"), "model_found")
                .add(AsciiString.cached("X-Olla-Response-Time"), "1ms")
                .add(AsciiString.cached("X-Olla-Use-Case"), "chat")
                .add(AsciiString.cached("Vary"), "Origin");
    }

    /** Netty's header-line loop, reachable from a subclass. */
    private static final class NettyLines extends io.netty.handler.codec.http.HttpResponseEncoder {
        void lines(HttpHeaders h, ByteBuf buf) {
            encodeHeaders(h, buf);
        }
    }

    private final NettyLines nettyLines = new NettyLines();

    /** The header lines alone, into a pooled direct buffer as the encoder allocates it. */
    @Benchmark
    public int headerLines(dev.olla.CpuPerOp cpu) {
        cpu.op();
        ByteBuf buf = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(256);
        if (codec.equals("netty")) {
            nettyLines.lines(headers, buf);
        } else {
            HeaderBlock.write(headers, buf);
        }
        int n = buf.readableBytes();
        buf.release();
        return n;
    }

    @TearDown
    public void tearDown() {
        ch.finishAndReleaseAll();
        body.release();
    }

    @Benchmark
    public int encodeResponse(dev.olla.CpuPerOp cpu) {
        cpu.op();
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body.retainedDuplicate(),
                headers, DefaultHttpHeadersFactory.trailersFactory().newHeaders()));
        int n = 0;
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            n += b.readableBytes();
            b.release();
        }
        return n;
    }
}
