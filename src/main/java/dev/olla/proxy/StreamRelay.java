package dev.olla.proxy;

import dev.olla.server.Exchange;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

/** Relays the body as it arrives, without copying: each chunk is written and flushed per backend read. */
final class StreamRelay extends Relay {
    private boolean atLineEnd = true;

    StreamRelay(Attempt attempt, Exchange ex) {
        super(attempt, ex);
    }

    @Override
    void content(HttpContent c, boolean last) {
        io.netty.buffer.ByteBuf data = c.content();
        if (data.isReadable()) {
            atLineEnd = data.getByte(data.writerIndex() - 1) == '\n';
        }
        if (last) {
            attempt.relayEnded(); // returns the connection to the pool before the client hears the end
            ex.sendLast((LastHttpContent) c);
            return;
        }
        ex.sendContent(c, false);
    }

    @Override
    void readComplete() {
        ex.flush();
    }

    @Override
    boolean atLineEnd() {
        return atLineEnd;
    }

    @Override
    boolean streamed() {
        return true;
    }
}
