package dev.olla.sim;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Runs one generation for the handler's current request: a {@code 200} with an error body when the
 * switchboard says so ({@link SimFaults#errorBody200(int)}), else takes a slot (waiting in the server's line
 * while all are busy), loads the model first if it is not loaded (the backend's load delay), then streams it
 * ({@link TokenStream}) or answers it whole after tokens x inter-token delay. Event loop only.
 */
final class Generation {
    private Generation() {
    }

    /** Starts {@code g} (streamed or not) as the answer to the handler's current request. */
    static void run(SimHandler h, Gen g, boolean stream) {
        SimulatedBackend sim = h.sim();
        SimFlavor flavor = sim.flavor();
        SimRequest ex = h.current();
        ChannelHandlerContext ctx = h.ctx();
        if (sim.faults().takeErrorBody200()) {
            sim.stats().faultInjected();
            ByteBuf b = h.buffer();
            Wire.error(b, flavor, !ollamaNative(g), 500, Wire.generationFaultMessage(flavor), null, null);
            h.sendFull(200, Wire.jsonType(flavor), b, false);
            return;
        }
        Runnable go = () -> {
            if (h.current() != ex || !ctx.channel().isActive()) {
                h.releaseSlot();
                return;
            }
            sim.stats().generationStarted(ex.body);
            long load = g.model.loaded() ? 0 : sim.loadDelayNanos();
            Runnable answer = () -> {
                if (load > 0) {
                    sim.markLoaded(g.model.name(), true);
                }
                if (stream) {
                    TokenStream.start(h, g);
                } else {
                    whole(h, g);
                }
            };
            if (load > 0) {
                h.later(load, answer);
            } else {
                answer.run();
            }
        };
        SimSlots.Lease l = sim.slots().lease(() -> {
            if (ctx.executor().inEventLoop()) {
                go.run();
            } else {
                ctx.executor().execute(go);
            }
        }, g.promptTokens);
        h.holdSlot(l);
        sim.slots().acquire(l);
    }

    /** Answers a completion without streaming, after tokens x inter-token delay. */
    private static void whole(SimHandler h, Gen g) {
        long tokenDelay = h.sim().interTokenDelayNanos();
        h.later(tokenDelay * g.n, () -> {
            g.firstTokenNanos = g.startNanos + (g.n > 0 ? tokenDelay : 0);
            g.endNanos = System.nanoTime();
            ByteBuf b = h.buffer();
            try {
                AnswerWire.full(b, g);
            } catch (RuntimeException e) {
                b.release();
                throw e;
            }
            h.sendFull(200, Wire.jsonType(h.sim().flavor()), b, false);
        });
    }

    private static boolean ollamaNative(Gen g) {
        return g.kind == Gen.Kind.OLLAMA_CHAT || g.kind == Gen.Kind.OLLAMA_GENERATE;
    }
}
