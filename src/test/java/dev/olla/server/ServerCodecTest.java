package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link ServerCodec} pairs responses with requests the way Netty's HttpServerCodec does. */
class ServerCodecTest {
    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static FullHttpResponse ok(String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, ascii(body));
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length()).set("X-Olla-Model", "m\u00e9");
        return r;
    }

    private static String written(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            sb.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
            ReferenceCountUtil.release(o);
        }
        return sb.toString();
    }

    private static void drainInbound(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readInbound()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    @Test
    void aHeadResponseHasNoBodyAndTheNextResponseIsPairedWithItsOwnRequest() {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec(new HttpDecoderConfig()));
        ch.writeInbound(ascii("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertThat(((HttpRequest) ch.readInbound()).method().name()).isEqualTo("HEAD");
        drainInbound(ch);
        ch.writeOutbound(ok("hello"));
        assertThat(written(ch)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nX-Olla-Model: m\u00e9\r\n\r\n");
        ch.writeOutbound(ok("world"));
        assertThat(written(ch)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nX-Olla-Model: m\u00e9\r\n\r\nworld");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void moreThanTheMaximumOfPipelinedRequestsIsRefused() {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec(new HttpDecoderConfig()));
        String one = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assertThatThrownBy(() -> ch.writeInbound(ascii(one.repeat(ServerCodec.MAX_PIPELINE_DEPTH + 1))))
                .isInstanceOf(DecoderException.class).hasMessageContaining("maxPipelineDepth");
        int requests = 0;
        Object o;
        while ((o = ch.readInbound()) != null) {
            if (o instanceof HttpRequest) {
                requests++;
            }
            if (!(o instanceof HttpContent)) {
                ReferenceCountUtil.release(o);
            } else {
                ((HttpContent) o).release();
            }
        }
        assertThat(requests).isEqualTo(ServerCodec.MAX_PIPELINE_DEPTH);
        ch.writeInbound(ascii(one)); // discarded from now on
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeOutbound(ok("x")); // the next response closes the connection
        written(ch);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    /** The outbound bytes of one exchange of messages, through {@code codec}, after {@code requests} came in. */
    private static String through(io.netty.channel.ChannelHandler codec, String requests, java.util.List<java.util.function.Supplier<Object>> out) {
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        ch.writeInbound(ascii(requests));
        drainInbound(ch);
        StringBuilder sb = new StringBuilder();
        for (java.util.function.Supplier<Object> m : out) {
            Object msg = m.get();
            ch.writeOutbound(msg);
            sb.append(written(ch));
            if (msg instanceof io.netty.util.ReferenceCounted rc && msg != io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT) {
                assertThat(rc.refCnt()).as("released").isZero();
            }
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return sb.toString();
    }

    private static java.util.function.Supplier<Object> head(boolean chunked, HttpResponseStatus status) {
        return () -> {
            io.netty.handler.codec.http.HttpResponse r = new io.netty.handler.codec.http.DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
            if (chunked) {
                r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
            } else {
                r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 5);
            }
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
            return r;
        };
    }

    private static java.util.function.Supplier<Object> content(int n) {
        return () -> {
            // a slice of a bigger direct buffer, as the backend decoder hands them over
            ByteBuf big = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(n + 64);
            for (int i = 0; i < n + 64; i++) {
                big.writeByte('a' + i % 26);
            }
            ByteBuf slice = big.retainedSlice(32, n);
            big.release();
            return new io.netty.handler.codec.http.DefaultHttpContent(slice);
        };
    }

    @Test
    void chunksOfAChunkedBodyAreTheBytesNettysEncoderWrites() {
        java.util.List<java.util.function.Supplier<Object>> msgs = new java.util.ArrayList<>();
        msgs.add(head(true, HttpResponseStatus.OK));
        for (int n : new int[] {1, 15, 16, 17, 255, 256, 300, 4095, 4096, 4097, 70_000, 0, 9}) {
            msgs.add(content(n));
        }
        msgs.add(() -> {
            io.netty.handler.codec.http.LastHttpContent last = new io.netty.handler.codec.http.DefaultLastHttpContent();
            last.trailingHeaders().set("X-Trailer", "t");
            return last;
        });
        // the next response on the connection: fixed length, its content must pass unframed
        msgs.add(head(false, HttpResponseStatus.OK));
        msgs.add(content(5));
        msgs.add(() -> io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
        // then a HEAD answer announcing a chunked body: no body bytes at all
        msgs.add(head(true, HttpResponseStatus.OK));
        msgs.add(content(7));
        msgs.add(() -> io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
        // then a 100 Continue before a chunked answer
        msgs.add(head(false, HttpResponseStatus.CONTINUE));
        msgs.add(() -> io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
        msgs.add(head(true, HttpResponseStatus.OK));
        msgs.add(content(300));
        msgs.add(() -> io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
        String requests = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\n";
        String netty = through(new io.netty.handler.codec.http.HttpServerCodec(), requests, msgs);
        String olla = through(new ServerCodec(new HttpDecoderConfig()), requests, msgs);
        assertThat(olla).isEqualTo(netty);
        assertThat(olla).contains("\r\n\r\n1\r\ng\r\nf\r\n", "\r\n1000\r\n", "\r\n1001\r\n", "\r\n11170\r\n",
                "0\r\nX-Trailer: t\r\n\r\n");
    }
}
