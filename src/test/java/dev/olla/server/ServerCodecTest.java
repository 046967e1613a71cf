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
}
