package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link BackendCodec}: requests written byte for byte, responses paired with their requests (HEAD has no body). */
class BackendCodecTest {
    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    @Test
    void commonHeaderNamesAreMatchedByExactSpellingOnly() {
        byte[] line = "xContent-Typex content-type CONTENT-TYPE Content-Typ".getBytes(StandardCharsets.US_ASCII);
        Object upper = BackendCodec.common(line, 1, 12);
        assertThat(upper).hasToString("Content-Type")
                .isSameAs(BackendCodec.common("Content-Type".getBytes(StandardCharsets.US_ASCII), 0, 12));
        assertThat((Object) BackendCodec.common(line, 15, 12)).hasToString("content-type");
        assertThat((Object) BackendCodec.common(line, 28, 12)).isNull();
        assertThat((Object) BackendCodec.common(line, 41, 11)).isNull();
    }

    @Test
    void writesTheRequestAndReadsAHeadResponseWithoutBodyThenTheNextWithItsBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new BackendCodec(new HttpDecoderConfig()));
        DefaultFullHttpRequest head = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.HEAD, "/a");
        head.headers().set("Host", "b:1").set("X-Forwarded-For", "127.0.0.1");
        ch.writeOutbound(head);
        DefaultFullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/b", ascii("{}"));
        post.headers().set("Host", "b:1").set("Content-Length", "2");
        ch.writeOutbound(post);
        StringBuilder sent = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            sent.append(((ByteBuf) o).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(o);
        }
        assertThat(sent.toString()).isEqualTo("HEAD /a HTTP/1.1\r\nHost: b:1\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: b:1\r\nContent-Length: 2\r\n\r\n{}");

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                + "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nDATE: today\r\nX-Custom: a\r\nserver: py\r\n\r\nhello"));
        assertThat((Object) ch.readInbound()).isInstanceOf(HttpResponse.class);
        LastHttpContent empty = ch.readInbound(); // the HEAD answer ends at its head
        assertThat(empty.content().readableBytes()).isZero();
        empty.release();
        HttpResponse second = ch.readInbound();
        // names keep the backend's spelling, shared constants or not
        java.util.List<String> names = new java.util.ArrayList<>();
        second.headers().iteratorCharSequence().forEachRemaining(e -> names.add(e.getKey().toString()));
        assertThat(names).containsExactly("content-length", "DATE", "X-Custom", "server");
        assertThat(second.headers().get("Date")).isEqualTo("today");
        HttpContent body = ch.readInbound();
        assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        body.release();
        Object rest;
        while ((rest = ch.readInbound()) != null) {
            ReferenceCountUtil.release(rest);
        }
        ch.finishAndReleaseAll();
    }
}
