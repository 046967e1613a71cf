package dev.olla.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes a message's header lines ({@code name: value\r\n} each) the way Netty's
 * {@code HttpObjectEncoder.encodeHeaders} does, byte for byte, but into a per-thread scratch array
 * first and then into the (usually direct, pooled) buffer with ONE bulk copy. Netty's own loop
 * checks bounds, reference count and capacity and copies into direct memory several times per
 * header line; with the ~15 header lines of a proxied response that was the largest single cost of
 * the HTTP codec in the profile (issue 14). Used by {@link ServerCodec} and the proxy's backend
 * codec.
 *
 * <p>Characters are written as Netty writes them ({@code AsciiString.c2b}: the low byte, {@code ?}
 * above U+00FF). Nothing is validated here: header objects are validated where they are filled
 * (or deliberately not, see {@code Exchange.responseHeaders()}).
 */
public final class HeaderBlock {
    /** Scratch arrays up to this size stay with their thread; a larger block uses a one-off array. */
    static final int KEEP_MAX = 64 * 1024;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };

    private HeaderBlock() {
    }

    /** Appends every header line of {@code headers} to {@code buf} (no final empty line). */
    public static void write(HttpHeaders headers, ByteBuf buf) {
        byte[] a = SCRATCH.get();
        int p = 0;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> h = it.next();
            CharSequence name = h.getKey();
            CharSequence value = h.getValue();
            int nameLen = name.length();
            int valueLen = value.length();
            int need = p + nameLen + valueLen + 4;
            if (need > a.length) {
                a = grow(a, p, need);
            }
            p = put(a, p, name, nameLen);
            a[p] = ':';
            a[p + 1] = ' ';
            p = put(a, p + 2, value, valueLen);
            a[p] = '\r';
            a[p + 1] = '\n';
            p += 2;
        }
        buf.writeBytes(a, 0, p);
    }

    private static int put(byte[] a, int p, CharSequence s, int len) {
        if (s instanceof AsciiString ascii) {
            System.arraycopy(ascii.array(), ascii.arrayOffset(), a, p, len);
        } else if (s instanceof String str && len > 8) {
            // one vectorised copy (Latin-1 strings: every header value Netty's decoder makes); a string with
            // characters above U+00FF becomes '?' per character, as below, unless a surrogate pair shortened it
            byte[] b = str.getBytes(StandardCharsets.ISO_8859_1);
            if (b.length == len) {
                System.arraycopy(b, 0, a, p, len);
            } else {
                chars(a, p, s, len);
            }
        } else {
            chars(a, p, s, len);
        }
        return p + len;
    }

    private static void chars(byte[] a, int p, CharSequence s, int len) {
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            a[p + i] = c > 0xFF ? (byte) '?' : (byte) c;
        }
    }

    private static byte[] grow(byte[] a, int used, int need) {
        byte[] b = new byte[Math.max(need, Math.min(a.length * 2, KEEP_MAX))];
        System.arraycopy(a, 0, b, 0, used);
        if (b.length <= KEEP_MAX) {
            SCRATCH.set(b);
        }
        return b;
    }
}
