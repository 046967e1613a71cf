package dev.olla.proxy;

import dev.olla.server.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Collects the whole body and sends it with a Content-Length (non-streamed responses), converted
 * first when the route has a transform. The body held is capped by {@code proxy.max_response_buffer}:
 * a bigger response is an error (502), never an unbounded heap buffer.
 */
final class BufferRelay extends Relay {
    private static final int MAX_COMPONENTS = 1024;

    private final HttpResponse head;
    private final ForwardPlan.ResponseTransform transform;
    private final long cap;
    private ByteBuf body;

    /**
     * @param transform converts the complete body (null = send as is)
     * @param cap       the most bytes held (0 or less = no limit)
     */
    BufferRelay(Attempt attempt, Exchange ex, HttpResponse head, ForwardPlan.ResponseTransform transform, long cap) {
        super(attempt, ex);
        this.head = head;
        this.transform = transform;
        this.cap = cap;
    }

    @Override
    void content(HttpContent c, boolean last) {
        ByteBuf data = c.content();
        long have = body == null ? 0 : body.readableBytes();
        if (cap > 0 && have + data.readableBytes() > cap) {
            c.release();
            attempt.relayFailed(Outcome.RESPONSE_TOO_LARGE, tooLarge(cap));
            return;
        }
        if (body == null && last) {
            // The common case: the whole body came in one piece; pass that buffer on as it is.
            body = data.retain();
        } else if (data.isReadable()) {
            CompositeByteBuf composite;
            if (body instanceof CompositeByteBuf cb) {
                composite = cb;
            } else {
                composite = ex.channel().alloc().compositeBuffer(MAX_COMPONENTS);
                if (body != null) {
                    composite.addComponent(true, body);
                }
                body = composite;
            }
            composite.addComponent(true, data.retain());
        }
        c.release();
        if (last) {
            respond();
        }
    }

    /** The message for a body over the cap. */
    static String tooLarge(long cap) {
        return "the response is larger than " + cap + " bytes (proxy.max_response_buffer); ask for a streamed response"
                + " or raise the limit";
    }

    private void respond() {
        ByteBuf out = body == null ? Unpooled.EMPTY_BUFFER : body;
        body = null;
        if (errorInsteadOfStream(out)) {
            return;
        }
        if (transform != null) {
            byte[] in = ByteBufUtil.getBytes(out);
            out.release();
            int code = head.status().code();
            try {
                out = Unpooled.wrappedBuffer(code >= 400 ? transform.error(code, in) : transform.complete(in));
            } catch (RuntimeException e) {
                attempt.relayFailed(Outcome.BAD_RESPONSE, "the response could not be translated: " + e.getMessage());
                return;
            }
        }
        if (ex.onlyComments() && head.status().code() >= 400) {
            // keep-alives committed a 200 event stream: the backend's error becomes the stream's error event
            String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
            out.release();
            attempt.relayEnded();
            ex.sendLast(attempt.call().committedErrorEnd(head.status().code(), FirstContent.errorMessage(text)));
            return;
        }
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, head.status(), out,
                head.headers(), EmptyHttpHeaders.INSTANCE);
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        HttpUtil.setContentLength(full, out.readableBytes());
        attempt.relayEnded();
        ex.respond(full);
    }

    /**
     * A streamed request held until its first token ({@link FirstTokenGate}) that got a whole 2xx body
     * carrying an error ({@code {"error":...}}, Anthropic's {@code {"type":"error",...}}) instead of a
     * stream: nothing has reached the client, so the attempt fails over as the gate fails an error sent
     * first (this path is taken by routes with a transform, e.g. the Anthropic passthrough, and by
     * {@code proxy.profile: standard}). True when it did (and {@code out} was released).
     */
    private boolean errorInsteadOfStream(ByteBuf out) {
        if (!attempt.call().holdsFirstToken() || head.status().codeClass() != HttpStatusClass.SUCCESS) {
            return false;
        }
        FirstContent scan = new FirstContent(false);
        if (scan.feed(out, true) != FirstContent.Verdict.FAIL) {
            return false;
        }
        out.release();
        attempt.relayFailed(Outcome.NO_FIRST_TOKEN, "sent an error before the first token: " + scan.failure());
        return true;
    }

    @Override
    void discard() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    @Override
    boolean streamed() {
        return false;
    }
}
