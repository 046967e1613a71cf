package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

/** {@link HeaderBlock} writes exactly the bytes Netty's own header encoding writes. */
class HeaderBlockTest {
    /** Netty's encodeHeaders, reachable from a subclass. */
    private static final class NettyLines extends HttpResponseEncoder {
        void lines(HttpHeaders h, ByteBuf buf) {
            encodeHeaders(h, buf);
        }
    }

    private static String hexOf(HttpHeaders h, boolean netty) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(16);
        try {
            buf.writeBytes(new byte[] {'H', 'T', 'T', 'P'}); // something before the block, as the status line
            if (netty) {
                new NettyLines().lines(h, buf);
            } else {
                HeaderBlock.write(h, buf);
            }
            return ByteBufUtil.hexDump(buf);
        } finally {
            buf.release();
        }
    }

    private static HttpHeaders headers() {
        return DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
    }

    @Test
    void sameBytesAsNettyForAsciiLatin1AndWiderCharacters() {
        HttpHeaders h = headers()
                .add("Content-Type", "application/json")
                .add(AsciiString.cached("X-Olla-Model"), "m1")
                .add(AsciiString.cached("X-Olla-Request-ID"), new AsciiString("2b1c0d9e-4f4f-4a0e-9d1c"))
                .add("X-Empty", "")
                .add("X-Latin1", "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e") // one byte each, as Netty's decoder makes them
                .add("X-Wide", "mod\u00e8le \u20ac 5 \u4e2d\u6587 long enough") // above U+00FF: '?'
                .add("X-Pair", "emoji \ud83d\ude00 in a value") // a surrogate pair: two '?', as Netty
                .add("X-Short-Wide", "\u20ac")
                .add("X-Builder", new StringBuilder("not a String at all"))
                .add("Connection", "keep-alive");
        assertThat(hexOf(h, false)).isEqualTo(hexOf(h, true));
        assertThat(hexOf(headers(), false)).isEqualTo(hexOf(headers(), true)); // no headers: nothing written
    }

    @Test
    void blocksLargerThanTheScratchArrayAndThanWhatIsKept() {
        HttpHeaders many = headers();
        for (int i = 0; i < 300; i++) {
            many.add("X-Header-" + i, "value number " + i + " with some length to it");
        }
        assertThat(hexOf(many, false)).isEqualTo(hexOf(many, true));
        HttpHeaders huge = headers().add("X-Big", "v".repeat(HeaderBlock.KEEP_MAX + 100)).add("X-After", "after");
        assertThat(hexOf(huge, false)).isEqualTo(hexOf(huge, true));
        HttpHeaders small = headers().add("X-Small", "small"); // the thread's scratch still works afterwards
        assertThat(hexOf(small, false)).isEqualTo(hexOf(small, true));
    }
}
