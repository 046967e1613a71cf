package dev.olla.proxy;

import dev.olla.server.Exchange;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import java.util.ArrayList;

/**
 * Holds a streamed response (its head and first chunks) until the first content-bearing chunk
 * ({@link FirstContent}), then hands everything to the real stage ({@link StreamRelay} or
 * {@link TransformRelay}) and steps out of the path: {@link Attempt#gateOpened} makes that stage the
 * attempt's relay, so the rest of the stream costs nothing here. An error payload before that
 * fails the attempt ({@link Outcome#NO_FIRST_TOKEN}); so do a close, a reset, a broken chunk or a
 * timeout while holding (decided in {@link Attempt#finish}): the call then tries the next candidate
 * and the client never sees this backend. Holds at most {@link #MAX_HELD} bytes (then lets the
 * response through as it is); a body that ends while held goes out as it is (an empty answer).
 * Whatever is held is released in {@link #discard} on every other way out.
 */
final class FirstTokenGate extends Relay {
    /** The most bytes held before the response is let through unread. */
    static final int MAX_HELD = 64 * 1024;

    private final Relay inner;
    private final HttpResponse head;
    private final FirstContent scan;
    private final long sinceNanos;
    private HttpContent first;
    private ArrayList<HttpContent> more;
    private int held;

    FirstTokenGate(Attempt attempt, Exchange ex, HttpResponse head, Relay inner, boolean sse, long sinceNanos) {
        super(attempt, ex);
        this.inner = inner;
        this.head = head;
        this.scan = new FirstContent(sse);
        this.sinceNanos = sinceNanos;
    }

    @Override
    void content(HttpContent c, boolean last) {
        held += c.content().readableBytes();
        FirstContent.Verdict v = scan.feed(c.content(), last);
        if (v == FirstContent.Verdict.FAIL) {
            c.release();
            attempt.relayFailed(Outcome.NO_FIRST_TOKEN, "sent an error before the first token: " + scan.failure());
            return;
        }
        boolean open = v == FirstContent.Verdict.CONTENT || last || held > MAX_HELD;
        // a piece that stays held is copied out of its read buffer: a small slice must not pin a whole
        // pooled 64 KiB read (olla engine) for as long as a model takes to answer
        add(open ? c : compact(c));
        if (open) {
            open(last);
        }
    }

    private void add(HttpContent c) {
        if (first == null) {
            first = c;
        } else {
            if (more == null) {
                more = new ArrayList<>(4);
            }
            more.add(c);
        }
    }

    private HttpContent compact(HttpContent c) {
        io.netty.buffer.ByteBuf data = c.content();
        io.netty.buffer.ByteBuf copy = ex.channel().alloc().buffer(data.readableBytes());
        copy.writeBytes(data, data.readerIndex(), data.readableBytes());
        c.release();
        return new io.netty.handler.codec.http.DefaultHttpContent(copy);
    }

    /** Sends the head and everything held through the real stage, which takes over from here. */
    private void open(boolean last) {
        attempt.gateOpened(inner, sinceNanos);
        ex.sendHead(head);
        HttpContent c = first;
        ArrayList<HttpContent> rest = more;
        first = null;
        more = null;
        int n = rest == null ? 0 : rest.size();
        inner.content(c, last && n == 0);
        for (int i = 0; i < n; i++) {
            if (attempt.done()) {
                rest.get(i).release(); // the stage failed on an earlier piece
            } else {
                inner.content(rest.get(i), last && i == n - 1);
            }
        }
    }

    @Override
    boolean holding() {
        return true;
    }

    @Override
    boolean streamed() {
        return true;
    }

    @Override
    void discard() {
        if (first != null) {
            first.release();
            first = null;
        }
        if (more != null) {
            for (HttpContent c : more) {
                c.release();
            }
            more = null;
        }
    }
}
