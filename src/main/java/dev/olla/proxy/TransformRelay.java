package dev.olla.proxy;

import dev.olla.server.Exchange;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;

/**
 * Converts a streamed body piece by piece with the route's {@link ForwardPlan.ResponseTransform}
 * (the Anthropic translator turning an OpenAI event stream into Anthropic events) and streams the
 * converted pieces, flushed per backend read.
 */
final class TransformRelay extends Relay {
    private final ForwardPlan.ResponseTransform transform;

    TransformRelay(Attempt attempt, Exchange ex, ForwardPlan.ResponseTransform transform) {
        super(attempt, ex);
        this.transform = transform;
    }

    @Override
    void content(HttpContent c, boolean last) {
        byte[] in = ByteBufUtil.getBytes(c.content());
        c.release();
        byte[] out;
        byte[] end = null;
        try {
            out = transform.feed(in);
            if (!last && transform.ended()) {
                // the transform closed its stream (an error event): end the response, drop the backend
                attempt.noReuse();
                last = true;
            }
            if (last) {
                end = transform.finish();
            }
        } catch (RuntimeException e) {
            attempt.relayFailed(Outcome.BAD_RESPONSE, "the response could not be translated: " + e.getMessage());
            return;
        }
        if (last) {
            attempt.relayEnded();
            ex.sendLast(new DefaultLastHttpContent(Unpooled.wrappedBuffer(out, end)));
            return;
        }
        if (out.length > 0) {
            ex.sendContent(new DefaultHttpContent(Unpooled.wrappedBuffer(out)), false);
        }
    }

    @Override
    void readComplete() {
        ex.flush();
    }

    @Override
    boolean streamed() {
        return true;
    }
}
