package dev.olla.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.olla.sim.AnswerWire.ollamaFinal;
import static dev.olla.sim.AnswerWire.textChoice;
import static dev.olla.sim.AnswerWire.timings;
import static dev.olla.sim.AnswerWire.usage;
import static dev.olla.sim.Wire.LLAMACPP_BUILD;
import static dev.olla.sim.Wire.ascii;
import static dev.olla.sim.Wire.json;
import static dev.olla.sim.Wire.sse;
import static dev.olla.sim.Wire.writeNullable;

/**
 * The chunks of a streamed generation, per flavour and kind: the head, the role chunk, one token, the closing
 * events and the end marker. Stateless; writes into a caller-owned buffer ({@link StreamErrorWire}: an error inside a stream).
 */
final class StreamWire {
    /** The token text a template is rendered with: control characters, so Jackson escapes it (MARK_JSON). */
    private static final String MARK = "\u0001sim\u0002";
    private static final byte[] MARK_JSON = "\\u0001sim\\u0002".getBytes(StandardCharsets.US_ASCII);

    private StreamWire() {
    }

    /** What to send together with the stream's headers, before any token (may write nothing). */
    static void streamHead(ByteBuf out, Gen x) {
        if (x.kind != Gen.Kind.CHAT) {
            return;
        }
        if (x.flavor == SimFlavor.OPENAI || x.flavor == SimFlavor.VLLM) {
            sse(out, g -> chatChunk(g, x, ChunkKind.ROLE, null));
            x.roleSent = true;
        }
    }

    /**
     * The role-only first chunk of any stream, without content: the flavour's chat role event, an empty
     * {@code text} for completions, Ollama's NDJSON line with empty {@code content}/{@code response}.
     */
    static void roleChunk(ByteBuf out, Gen x) {
        x.roleSent = true;
        switch (x.kind) {
            case CHAT -> sse(out, g -> chatChunk(g, x, ChunkKind.ROLE, null));
            case COMPLETION -> sse(out, g -> completionChunk(g, x, "", null, false));
            case OLLAMA_CHAT, OLLAMA_GENERATE -> ollamaLine(out, x, "");
        }
    }

    /** Written in front of the first token (llama.cpp sends its role event in the same HTTP chunk). */
    static void streamFirstPrefix(ByteBuf out, Gen x) {
        if (x.kind == Gen.Kind.CHAT && x.flavor == SimFlavor.LLAMACPP && !x.roleSent) {
            sse(out, g -> chatChunk(g, x, ChunkKind.ROLE, null));
            x.roleSent = true;
        }
    }

    /** One token event. */
    static void streamToken(ByteBuf out, Gen x, int i) {
        String t = SimulatedBackend.tokenText(i);
        if ((x.kind == Gen.Kind.CHAT && i > 0) || x.kind == Gen.Kind.COMPLETION) {
            byte[][] tpl = x.tokenTemplate;
            if (tpl == null) {
                tpl = template(x);
                x.tokenTemplate = tpl;
            }
            if (tpl.length == 2 && plain(t)) {
                out.writeBytes(tpl[0]);
                out.writeCharSequence(t, StandardCharsets.US_ASCII);
                out.writeBytes(tpl[1]);
                return;
            }
        }
        renderToken(out, x, i, t);
    }

    /** One token event written by Jackson field by field ({@link #streamToken} writes the same bytes from a template). */
    static void renderToken(ByteBuf out, Gen x, int i, String t) {
        switch (x.kind) {
            case OLLAMA_CHAT, OLLAMA_GENERATE -> ollamaLine(out, x, t);
            case CHAT -> sse(out, g -> chatChunk(g, x, i == 0 ? ChunkKind.FIRST_TOKEN : ChunkKind.TOKEN, t));
            case COMPLETION -> sse(out, g -> completionChunk(g, x, t, null, false));
        }
    }

    /**
     * The bytes of a later token event before and after the token's text: a stream's token events differ only
     * in that text, so Jackson renders the event once per stream (with {@link #MARK} as the text) instead of once
     * per token, which was most of the simulator's CPU per token at hundreds of concurrent streams. Empty when
     * the mark is not found exactly once (then every token is rendered).
     */
    private static byte[][] template(Gen x) {
        ByteBuf b = Unpooled.buffer(512);
        try {
            renderToken(b, x, 1, MARK);
            byte[] all = ByteBufUtil.getBytes(b);
            int at = indexOf(all, MARK_JSON, 0);
            if (at < 0 || indexOf(all, MARK_JSON, at + 1) >= 0) {
                return new byte[0][];
            }
            return new byte[][] {Arrays.copyOfRange(all, 0, at), Arrays.copyOfRange(all, at + MARK_JSON.length, all.length)};
        } finally {
            b.release();
        }
    }

    /** Text Jackson writes unchanged inside a JSON string: printable ASCII without quote or backslash. */
    static boolean plain(String t) {
        for (int k = 0; k < t.length(); k++) {
            char c = t.charAt(k);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void ollamaLine(ByteBuf out, Gen x, String t) {
        json(out, g -> {
            g.writeStartObject();
            AnswerWire.ollamaHead(g, x, t);
            g.writeBooleanField("done", false);
            g.writeEndObject();
        });
        ascii(out, "\n");
    }

    /** The closing event(s): finish reason, and usage where the flavour sends it. */
    static void streamFinish(ByteBuf out, Gen x) {
        switch (x.kind) {
            case OLLAMA_CHAT, OLLAMA_GENERATE -> {
                json(out, g -> ollamaFinal(g, x, ""));
                ascii(out, "\n");
            }
            case CHAT -> {
                sse(out, g -> chatChunk(g, x, ChunkKind.FINISH, null));
                if (x.includeUsage) {
                    sse(out, g -> chatChunk(g, x, ChunkKind.USAGE, null));
                }
            }
            case COMPLETION -> {
                sse(out, g -> completionChunk(g, x, "", x.finishReason, x.flavor == SimFlavor.LLAMACPP));
                if (x.includeUsage && x.flavor != SimFlavor.LLAMACPP) {
                    sse(out, g -> completionUsageChunk(g, x));
                }
            }
        }
    }

    /** The end-of-stream marker, sent as its own HTTP chunk (nothing for Ollama's NDJSON). */
    static void streamDone(ByteBuf out, Gen x) {
        if (x.kind == Gen.Kind.CHAT || x.kind == Gen.Kind.COMPLETION) {
            ascii(out, "data: [DONE]\n\n");
        }
    }

    private enum ChunkKind { ROLE, FIRST_TOKEN, TOKEN, FINISH, USAGE }

    private static void delta(JsonGenerator g, Gen x, ChunkKind k, String t) throws IOException {
        g.writeObjectFieldStart("delta");
        switch (k) {
            case ROLE -> {
                g.writeStringField("role", "assistant");
                if (x.flavor == SimFlavor.LLAMACPP) {
                    g.writeNullField("content");
                } else {
                    g.writeStringField("content", "");
                }
                if (x.flavor == SimFlavor.OPENAI) {
                    g.writeNullField("refusal");
                }
            }
            case FIRST_TOKEN, TOKEN -> {
                if (x.flavor == SimFlavor.OLLAMA || (x.flavor == SimFlavor.LMSTUDIO && k == ChunkKind.FIRST_TOKEN)) {
                    g.writeStringField("role", "assistant");
                }
                g.writeStringField("content", t);
            }
            case FINISH -> {
                if (x.flavor == SimFlavor.OLLAMA) {
                    g.writeStringField("role", "assistant");
                    g.writeStringField("content", "");
                } else if (x.flavor == SimFlavor.VLLM) {
                    g.writeStringField("content", "");
                }
            }
            case USAGE -> {
            }
        }
        g.writeEndObject();
    }

    private static void chatChunk(JsonGenerator g, Gen x, ChunkKind k, String t) throws IOException {
        String finish = k == ChunkKind.FINISH ? x.finishReason : null;
        g.writeStartObject();
        if (x.flavor == SimFlavor.LLAMACPP) {
            g.writeArrayFieldStart("choices");
            if (k != ChunkKind.USAGE) {
                g.writeStartObject();
                writeNullable(g, "finish_reason", finish);
                g.writeNumberField("index", 0);
                delta(g, x, k, t);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("created", x.created);
            g.writeStringField("id", x.id);
            g.writeStringField("model", x.modelName);
            g.writeStringField("system_fingerprint", LLAMACPP_BUILD);
            g.writeStringField("object", "chat.completion.chunk");
            if (k == ChunkKind.USAGE) {
                usage(g, x);
            }
            if (k == ChunkKind.USAGE || (k == ChunkKind.FINISH && !x.includeUsage)) {
                timings(g, x);
            }
            g.writeEndObject();
            return;
        }
        g.writeStringField("id", x.id);
        g.writeStringField("object", "chat.completion.chunk");
        g.writeNumberField("created", x.created);
        g.writeStringField("model", x.modelName);
        switch (x.flavor) {
            case OPENAI -> {
                g.writeStringField("service_tier", "default");
                g.writeStringField("system_fingerprint", "fp_sim");
            }
            case OLLAMA -> g.writeStringField("system_fingerprint", "fp_ollama");
            case LMSTUDIO -> g.writeStringField("system_fingerprint", x.modelName);
            default -> {
            }
        }
        g.writeArrayFieldStart("choices");
        if (k != ChunkKind.USAGE) {
            g.writeStartObject();
            g.writeNumberField("index", 0);
            delta(g, x, k, t);
            if (x.flavor != SimFlavor.OLLAMA) {
                g.writeNullField("logprobs");
            }
            writeNullable(g, "finish_reason", finish);
            if (x.flavor == SimFlavor.VLLM && k == ChunkKind.FINISH) {
                g.writeNullField("stop_reason");
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        if (k == ChunkKind.USAGE) {
            usage(g, x);
        } else if (x.includeUsage && x.flavor == SimFlavor.OPENAI) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
    }

    private static void completionChunk(JsonGenerator g, Gen x, String t, String finish, boolean llamaFinal) throws IOException {
        g.writeStartObject();
        if (x.flavor == SimFlavor.LLAMACPP) {
            g.writeArrayFieldStart("choices");
            textChoice(g, x, t, finish);
            g.writeEndArray();
            g.writeNumberField("created", x.created);
            g.writeStringField("model", x.modelName);
            g.writeStringField("system_fingerprint", LLAMACPP_BUILD);
            g.writeStringField("object", "text_completion");
            if (llamaFinal) {
                usage(g, x);
            }
            g.writeStringField("id", x.id);
            if (llamaFinal) {
                timings(g, x);
            }
            g.writeEndObject();
            return;
        }
        g.writeStringField("id", x.id);
        g.writeStringField("object", "text_completion");
        g.writeNumberField("created", x.created);
        if (x.flavor == SimFlavor.VLLM || x.flavor == SimFlavor.LMSTUDIO) {
            g.writeStringField("model", x.modelName);
        }
        g.writeArrayFieldStart("choices");
        textChoice(g, x, t, finish);
        g.writeEndArray();
        if (x.flavor == SimFlavor.OPENAI || x.flavor == SimFlavor.OLLAMA) {
            g.writeStringField("model", x.modelName);
            g.writeStringField("system_fingerprint", x.flavor == SimFlavor.OLLAMA ? "fp_ollama" : "fp_sim");
        }
        g.writeEndObject();
    }

    private static void completionUsageChunk(JsonGenerator g, Gen x) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", x.id);
        g.writeStringField("object", "text_completion");
        g.writeNumberField("created", x.created);
        g.writeStringField("model", x.modelName);
        g.writeArrayFieldStart("choices");
        g.writeEndArray();
        usage(g, x);
        g.writeEndObject();
    }
}
