package dev.olla.proxy;

import dev.olla.server.HeaderBlock;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.AsciiString;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * The backend side's HTTP/1.1 codec: Netty's {@code HttpClientCodec} as the pool used it (no
 * missing-response check, no HTTP parsing after a CONNECT) with the request's header lines written
 * by {@link HeaderBlock}, one bulk copy per head. {@code HttpClientCodec} is final and its encoder
 * private, hence this copy of its request / response pairing (a response to HEAD has no body; a
 * 200 to CONNECT ends HTTP on the connection).
 */
final class BackendCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {
    /** Methods of the requests sent and not yet answered, oldest first. */
    private final ArrayDeque<HttpMethod> sent = new ArrayDeque<>(2);
    /** After a 200 to CONNECT: bytes pass through undecoded. */
    private boolean done;

    BackendCodec(HttpDecoderConfig config) {
        init(new Decoder(config), new Encoder());
    }

    private final class Encoder extends HttpRequestEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                sent.offer(request.method());
            }
            super.encode(ctx, msg, out);
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            HeaderBlock.write(headers, buf);
        }
    }

    /**
     * Response header names backends commonly send, in the spellings they send them (Go and llama.cpp
     * capitalise, Python servers lower-case): decoded as these shared constants (hash computed once)
     * instead of a new copy per header. Matched byte for byte, so the spelling relayed never changes.
     */
    private static final AsciiString[] COMMON = names("Content-Type", "Content-Length", "Date", "Server",
            "Connection", "Keep-Alive", "Transfer-Encoding", "Vary", "Cache-Control", "Access-Control-Allow-Origin",
            "content-type", "content-length", "date", "server", "connection", "transfer-encoding", "vary",
            "x-request-id");

    private static AsciiString[] names(String... names) {
        AsciiString[] a = new AsciiString[names.length];
        for (int i = 0; i < names.length; i++) {
            a[i] = AsciiString.cached(names[i]);
        }
        return a;
    }

    /** The shared constant spelt exactly as {@code sb[start, start + length)}, or null. */
    static AsciiString common(byte[] sb, int start, int length) {
        for (AsciiString c : COMMON) {
            if (c.length() == length
                    && Arrays.equals(c.array(), c.arrayOffset(), c.arrayOffset() + length, sb, start, start + length)) {
                return c;
            }
        }
        return null;
    }

    private final class Decoder extends HttpResponseDecoder {
        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
            AsciiString c = common(sb, start, length);
            return c != null ? c : super.splitHeaderName(sb, start, length);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (done) {
                int readable = actualReadableBytes();
                if (readable > 0) {
                    out.add(buffer.readBytes(readable));
                }
                return;
            }
            super.decode(ctx, buffer, out);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            HttpResponse response = (HttpResponse) msg;
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg); // not paired with a request
            }
            HttpMethod method = sent.poll(); // null when a backend answers more often than asked
            if (HttpMethod.HEAD.equals(method)) {
                return true;
            }
            if (HttpMethod.CONNECT.equals(method) && response.status().code() == 200) {
                done = true;
                sent.clear();
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }
    }
}
