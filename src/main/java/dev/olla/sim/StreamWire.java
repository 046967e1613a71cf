package dev.olla.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;

import java.io.IOException;

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
        switch (x.kind) {
            case OLLAMA_CHAT, OLLAMA_GENERATE -> ollamaLine(out, x, t);
            case CHAT -> sse(out, g -> chatChunk(g, x, i == 0 ? ChunkKind.FIRST_TOKEN : ChunkKind.TOKEN, t));
            case COMPLETION -> sse(out, g -> completionChunk(g, x, t, null, false));
        }
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
