package dev.olla.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The server side's HTTP/1.1 codec: Netty's {@code HttpServerCodec} (same decoder, same request /
 * response pairing for HEAD and CONNECT, same pipelining bound and close after a request that had
 * both Transfer-Encoding and Content-Length) with two differences: response header lines are
 * written by {@link HeaderBlock} (one bulk copy per head instead of several checked copies per
 * line), and a chunk of a chunked body up to {@link #FRAMED_COPY_MAX} bytes is written framed in one
 * buffer (one write per relayed token instead of three; same bytes). {@code HttpServerCodec} is final and its encoder private, hence this copy of its small
 * pairing logic.
 */
final class ServerCodec extends CombinedChannelDuplexHandler<HttpRequestDecoder, HttpResponseEncoder> {
    /** Requests decoded but not yet answered, at most (Netty's default). */
    static final int MAX_PIPELINE_DEPTH = 128;
    private static final byte OTHER = 0;
    private static final byte HEAD = 1;
    private static final byte CONNECT = 2;
    /** Body chunks up to this size are framed in one buffer (copied); larger ones as Netty does (no copy). */
    static final int FRAMED_COPY_MAX = 4096;
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int CRLF = ('\r' << 8) | '\n';

    /** Methods of the requests awaiting a response, oldest first (a ring). */
    private final byte[] methods = new byte[MAX_PIPELINE_DEPTH];
    private int first;
    private int pending;
    private boolean mustCloseAfterResponse;

    ServerCodec(HttpDecoderConfig config) {
        init(new Decoder(config), new Encoder());
    }

    private boolean enqueue(HttpMethod method) {
        if (pending >= MAX_PIPELINE_DEPTH) {
            return false;
        }
        byte flag = HttpMethod.HEAD.equals(method) ? HEAD : HttpMethod.CONNECT.equals(method) ? CONNECT : OTHER;
        methods[(first + pending) % MAX_PIPELINE_DEPTH] = flag;
        pending++;
        return true;
    }

    private byte poll() {
        if (pending == 0) {
            return OTHER;
        }
        byte flag = methods[first];
        first = (first + 1) % MAX_PIPELINE_DEPTH;
        pending--;
        return flag;
    }

    private final class Decoder extends HttpRequestDecoder {
        private boolean discard;

        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (discard) {
                buffer.skipBytes(buffer.readableBytes());
                return;
            }
            int oldSize = out.size();
            super.decode(ctx, buffer, out);
            int size = out.size();
            for (int i = oldSize; i < size; i++) {
                if (out.get(i) instanceof HttpRequest request && !enqueue(request.method())) {
                    // too many requests pipelined without reading the answers: drop the rest, close after
                    // the next response (as Netty's HttpServerCodec)
                    mustCloseAfterResponse = true;
                    discard = true;
                    for (int j = i; j < size; j++) {
                        ReferenceCountUtil.release(out.get(j));
                    }
                    while (out.size() > i) {
                        out.remove(out.size() - 1);
                    }
                    throw new IllegalStateException("maxPipelineDepth exceeded: " + MAX_PIPELINE_DEPTH);
                }
            }
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            super.handleTransferEncodingChunkedWithContentLength(message);
            mustCloseAfterResponse = true;
        }
    }

    private final class Encoder extends HttpResponseEncoder {
        private byte method;
        /** The last head's isContentAlwaysEmpty answer (HEAD, 1xx, 204, 304). */
        private boolean alwaysEmpty;
        /** A chunked response body is being written: its head went out, its last content not yet. */
        private boolean chunkedBody;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (chunkedBody && msg instanceof HttpContent c && !(msg instanceof LastHttpContent)) {
                int n = c.content().readableBytes();
                if (n > 0 && n <= FRAMED_COPY_MAX) {
                    writeChunk(ctx, c, n, promise);
                    return;
                }
            }
            if (msg instanceof HttpMessage || msg instanceof LastHttpContent) {
                chunkedBody = false;
            }
            if (mustCloseAfterResponse && msg instanceof LastHttpContent) {
                mustCloseAfterResponse = false;
                promise = promise.unvoid().addListener(ChannelFutureListener.CLOSE);
            }
            super.write(ctx, msg, promise);
            if (msg instanceof HttpResponse r && !(msg instanceof LastHttpContent)) {
                // what Netty's encoder decided for the body (its state is private): chunked unless always empty
                chunkedBody = !alwaysEmpty && HttpUtil.isTransferEncodingChunked(r);
            }
        }

        /**
         * One body chunk of a chunked response as ONE buffer: size line, data, CRLF, the bytes Netty's
         * encoder writes as three (a size-line buffer it allocates, the content, a CRLF duplicate), each
         * its own write and outbound-buffer entry. A streamed token is a few hundred bytes: copying them
         * costs less than the two extra writes, and the backend's read buffer is freed at once.
         */
        private void writeChunk(ChannelHandlerContext ctx, HttpContent c, int n, ChannelPromise promise) {
            int hexLen = (Integer.SIZE - Integer.numberOfLeadingZeros(n) + 3) >>> 2;
            ByteBuf out;
            try {
                ByteBuf data = c.content();
                out = ctx.alloc().buffer(hexLen + 4 + n);
                for (int shift = (hexLen - 1) << 2; shift >= 0; shift -= 4) {
                    out.writeByte(HEX[(n >>> shift) & 0xF]);
                }
                out.writeShort(CRLF);
                out.writeBytes(data, data.readerIndex(), n);
                out.writeShort(CRLF);
            } finally {
                c.release();
            }
            ctx.write(out, promise);
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            HeaderBlock.write(headers, buf);
        }

        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
            if (!isAlwaysEmpty && method == CONNECT && msg.status().codeClass() == HttpStatusClass.SUCCESS) {
                msg.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 7230 3.3.1
                return;
            }
            super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                alwaysEmpty = super.isContentAlwaysEmpty(msg); // not paired with a request
                return alwaysEmpty;
            }
            method = poll();
            alwaysEmpty = method == HEAD || super.isContentAlwaysEmpty(msg);
            return alwaysEmpty;
        }
    }
}
