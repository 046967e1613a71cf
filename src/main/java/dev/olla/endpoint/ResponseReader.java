package dev.olla.endpoint;

import dev.olla.endpoint.BackendGet.Failure;
import dev.olla.endpoint.BackendGet.Kind;
import dev.olla.endpoint.BackendGet.Response;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads one answer for {@link BackendWire} on the event loop, after {@code HttpClientCodec}: interim
 * 1xx answers skipped, every message's decoder result checked (malformed -> {@code BAD_RESPONSE},
 * cut short -> {@code BROKEN}), the body kept only for a 2xx answer when the caller wants one and
 * capped ({@code TOO_LARGE}). Completes {@code result} once; every message is released (by
 * {@link SimpleChannelInboundHandler}).
 */
final class ResponseReader extends SimpleChannelInboundHandler<HttpObject> {
    private final CompletableFuture<Response> result;
    private final int maxBody;
    private final long start;
    private boolean interim;
    private int status;
    private Map<String, String> headers;
    /** The body read so far; null when none is wanted. */
    private ByteArrayOutputStream body;

    ResponseReader(CompletableFuture<Response> result, int maxBody, long start) {
        this.result = result;
        this.maxBody = maxBody;
        this.start = start;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (result.isDone()) {
            return;
        }
        DecoderResult decoded = msg.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            fail(cause instanceof PrematureChannelClosureException
                    ? new Failure(Kind.BROKEN, "connection closed before the response was complete")
                    : new Failure(Kind.BAD_RESPONSE, "malformed HTTP response: " + words(cause)));
            return;
        }
        if (msg instanceof HttpResponse r && head(r)) {
            return;
        }
        if (msg instanceof HttpContent c) {
            content(c);
        }
    }

    /** @return whether the call is complete (or the answer was interim) */
    private boolean head(HttpResponse r) {
        int s = r.status().code();
        if (s >= 100 && s < 200) {
            interim = true; // the real answer follows
            return true;
        }
        interim = false;
        status = s;
        headers = new LinkedHashMap<>();
        r.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue().strip()));
        if (maxBody <= 0 || s < 200 || s >= 300 || s == 204) {
            done(new byte[0]); // no body wanted: the head is the answer
            return true;
        }
        String length = r.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        long n = -1;
        if (length != null && !r.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            try {
                n = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                fail(new Failure(Kind.BAD_RESPONSE, "malformed Content-Length"));
                return true;
            }
        }
        if (n > maxBody) {
            fail(tooLarge(maxBody));
            return true;
        }
        body = new ByteArrayOutputStream(n > 0 ? (int) n : 256);
        return false;
    }

    private void content(HttpContent c) {
        if (interim || body == null) {
            if (c instanceof LastHttpContent) {
                interim = false;
            }
            return;
        }
        ByteBuf b = c.content();
        int n = b.readableBytes();
        if (body.size() + (long) n > maxBody) {
            fail(tooLarge(maxBody));
            return;
        }
        if (n > 0) {
            byte[] bytes = new byte[n];
            b.getBytes(b.readerIndex(), bytes);
            body.write(bytes, 0, n);
        }
        if (c instanceof LastHttpContent) {
            done(body.toByteArray());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
            fail(BackendWire.classify(e.cause(), null));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(headers == null && body == null
                ? new Failure(Kind.BROKEN, "connection closed without a response")
                : new Failure(Kind.BROKEN, "connection closed before the response was complete"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(BackendWire.classify(cause, null));
        ctx.close();
    }

    private void done(byte[] bytes) {
        result.complete(new Response(status, Map.copyOf(headers), bytes, System.nanoTime() - start));
    }

    /** Fails the call (no-op once complete); the caller's completion closes the channel. */
    private void fail(Failure f) {
        result.completeExceptionally(f);
    }

    private static Failure tooLarge(int max) {
        return new Failure(Kind.TOO_LARGE, "response body larger than " + size(max));
    }

    private static String size(int bytes) {
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MiB"
                : bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " bytes";
    }

    static String words(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
