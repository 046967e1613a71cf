package dev.olla.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Token events written from the per-stream template are exactly the bytes Jackson writes for each token. */
class StreamWireTest {
    @Test
    void templatedTokensAreTheBytesJacksonWrites() {
        for (SimFlavor f : SimFlavor.values()) {
            for (Gen.Kind kind : List.of(Gen.Kind.CHAT, Gen.Kind.COMPLETION)) { // Ollama lines carry a time: never templated
                for (boolean usage : new boolean[] {false, true}) {
                    Gen g = new Gen(f, kind, SimModel.of("m1"), "m1", 12, 64, "stop", usage, false);
                    for (int i = 0; i < 70; i++) {
                        assertSame(g, i, SimulatedBackend.tokenText(i));
                    }
                }
            }
        }
    }

    @Test
    void anyPrintableAsciiTextFromTheTemplateIsWhatJacksonWrites() {
        StringBuilder every = new StringBuilder();
        for (char c = 0x20; c <= 0x7e; c++) {
            if (c != '"' && c != '\\') {
                every.append(c);
            }
        }
        List<String> plain = List.of(every.toString(), "", " a/b <c> & 'd' ", "x".repeat(300));
        for (SimFlavor f : SimFlavor.values()) {
            for (Gen.Kind kind : List.of(Gen.Kind.CHAT, Gen.Kind.COMPLETION)) {
                Gen g = new Gen(f, kind, SimModel.of("m1"), "m1", 12, 64, "stop", true, false);
                ByteBuf probe = Unpooled.buffer();
                StreamWire.streamToken(probe, g, 1); // makes the stream's template
                probe.release();
                assertEquals(2, g.tokenTemplate.length, f + " " + kind);
                for (String t : plain) {
                    assertTrue(StreamWire.plain(t), t);
                    ByteBuf a = Unpooled.buffer();
                    StreamWire.renderToken(a, g, 1, t);
                    String expected = a.toString(StandardCharsets.UTF_8);
                    a.release();
                    String got = new String(g.tokenTemplate[0], StandardCharsets.UTF_8) + t
                            + new String(g.tokenTemplate[1], StandardCharsets.UTF_8);
                    assertEquals(expected, got, f + " " + kind + " " + t);
                }
            }
        }
        for (String t : List.of("say \"hi\"", "back\\slash", "tab\there", "naïve", "emoji 😀", "\u007f")) {
            assertFalse(StreamWire.plain(t), t); // Jackson escapes or encodes these: rendered field by field
        }
    }

    private static void assertSame(Gen g, int i, String t) {
        ByteBuf a = Unpooled.buffer();
        ByteBuf b = Unpooled.buffer();
        try {
            StreamWire.renderToken(a, g, i, t);
            StreamWire.streamToken(b, g, i);
            assertEquals(a.toString(StandardCharsets.UTF_8), b.toString(StandardCharsets.UTF_8), g.flavor + " " + g.kind + " token " + i);
        } finally {
            a.release();
            b.release();
        }
    }
}
