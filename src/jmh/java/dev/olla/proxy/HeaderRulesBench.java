package dev.olla.proxy;

import dev.olla.endpoint.Endpoint;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The header rules of one proxied request, on headers as Netty's decoders produce them: the client
 * request of bench/run.sh (curl-like) turned into the backend's, and an nginx-like backend response
 * filtered for the client. {@code copyOnly} is the cost of the per-iteration copy the filter needs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderRulesBench {
    private HttpHeaders client;
    private HttpHeaders backend;
    private Endpoint endpoint;

    @Setup
    public void setUp() {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestDecoder(), new HttpObjectAggregator(1 << 20));
        String body = "{\"model\":\"m1\",\"stream\":false}";
        ch.writeInbound(Unpooled.copiedBuffer("POST /olla/openai/v1/chat/completions HTTP/1.1\r\n"
                + "Host: 127.0.0.1:18082\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
                + "Content-Type: application/json\r\nAuthorization: Bearer sk-123\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body, StandardCharsets.US_ASCII));
        FullHttpRequest req = ch.readInbound();
        client = req.headers();
        backend = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders()
                .add("Server", "nginx/1.22.1").add("Date", "Sun, 06 Dec 2026 08:00:00 GMT")
                .add("Content-Type", "application/json").add("Content-Length", "242").add("Connection", "keep-alive");
        endpoint = new Endpoint("backend", URI.create("http://127.0.0.1:18080"), "openai-compatible", 100, false,
                URI.create("http://127.0.0.1:18080/health"), URI.create("http://127.0.0.1:18080/v1/models"),
                Duration.ofSeconds(5), Duration.ofSeconds(2), null, Map.of(), Set.of());
    }

    @Benchmark
    public HttpHeaders forwarding(dev.olla.CpuPerOp cpu) {
        cpu.op();
        HttpHeaders h = HeaderRules.forwarding(client, "127.0.0.1", "127.0.0.1", "m1");
        HeaderRules.forEndpoint(h, endpoint, null, 30);
        return h;
    }

    @Benchmark
    public HttpHeaders filterResponse(dev.olla.CpuPerOp cpu) {
        cpu.op();
        HttpHeaders h = backend.copy();
        HeaderRules.filterResponse(h, endpoint, false);
        return h;
    }

    @Benchmark
    public HttpHeaders copyOnly(dev.olla.CpuPerOp cpu) {
        cpu.op();
        return backend.copy();
    }
}
