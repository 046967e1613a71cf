package dev.olla.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;

import static dev.olla.sim.Wire.EMBEDDING_DIM;
import static dev.olla.sim.Wire.json;

/**
 * The embedding answers of every flavour, with deterministic vectors. Stateless; writes into a caller-owned buffer.
 */
final class EmbeddingWire {
    private EmbeddingWire() {
    }

    /** A deterministic unit vector for an input. */
    static float[] embedding(String input) {
        SplittableRandom r = new SplittableRandom(input.hashCode() * 0x9E3779B97F4A7C15L);
        float[] v = new float[EMBEDDING_DIM];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
            norm += v[i] * (double) v[i];
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    private static void vector(JsonGenerator g, String input, boolean base64) throws IOException {
        if (!base64) {
            vector(g, input);
            return;
        }
        float[] v = embedding(input);
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            bytes.putFloat(x);
        }
        g.writeString(java.util.Base64.getEncoder().encodeToString(bytes.array()));
    }

    private static void vector(JsonGenerator g, String input) throws IOException {
        g.writeStartArray();
        for (float x : embedding(input)) {
            g.writeNumber(x);
        }
        g.writeEndArray();
    }

    /**
     * An OpenAI embeddings answer; with {@code base64} (request {@code "encoding_format":"base64"}, what the
     * official SDKs ask for by default) each vector is the base64 of its little-endian float32 bytes.
     */
    static void openAiEmbeddings(ByteBuf out, SimFlavor f, String model, List<String> inputs, int promptTokens,
            boolean base64) {
        json(out, g -> {
            g.writeStartObject();
            if (f == SimFlavor.LLAMACPP) {
                g.writeStringField("model", model);
                g.writeStringField("object", "list");
                g.writeObjectFieldStart("usage");
                g.writeNumberField("prompt_tokens", promptTokens);
                g.writeNumberField("total_tokens", promptTokens);
                g.writeEndObject();
                g.writeArrayFieldStart("data");
                for (int i = 0; i < inputs.size(); i++) {
                    g.writeStartObject();
                    g.writeFieldName("embedding");
                    vector(g, inputs.get(i), base64);
                    g.writeNumberField("index", i);
                    g.writeStringField("object", "embedding");
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
                return;
            }
            if (f == SimFlavor.VLLM) {
                g.writeStringField("id", "embd-" + Gen.randomAlnum(32));
                g.writeStringField("object", "list");
                g.writeNumberField("created", System.currentTimeMillis() / 1000);
                g.writeStringField("model", model);
            } else {
                g.writeStringField("object", "list");
            }
            g.writeArrayFieldStart("data");
            for (int i = 0; i < inputs.size(); i++) {
                g.writeStartObject();
                g.writeStringField("object", "embedding");
                g.writeNumberField("index", i);
                g.writeFieldName("embedding");
                vector(g, inputs.get(i), base64);
                g.writeEndObject();
            }
            g.writeEndArray();
            if (f != SimFlavor.VLLM) {
                g.writeStringField("model", model);
            }
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", promptTokens);
            g.writeNumberField("total_tokens", promptTokens);
            if (f == SimFlavor.VLLM) {
                g.writeNumberField("completion_tokens", 0);
                g.writeNullField("prompt_tokens_details");
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    static void ollamaEmbed(ByteBuf out, String model, List<String> inputs, int promptTokens, long nanos) {
        json(out, g -> {
            g.writeStartObject();
            g.writeStringField("model", model);
            g.writeArrayFieldStart("embeddings");
            for (String in : inputs) {
                vector(g, in);
            }
            g.writeEndArray();
            g.writeNumberField("total_duration", nanos + 1_000_000);
            g.writeNumberField("load_duration", 1_000_000);
            g.writeNumberField("prompt_eval_count", promptTokens);
            g.writeEndObject();
        });
    }

    static void ollamaLegacyEmbedding(ByteBuf out, String input) {
        json(out, g -> {
            g.writeStartObject();
            g.writeFieldName("embedding");
            if (input.isEmpty()) {
                g.writeStartArray();
                g.writeEndArray();
            } else {
                vector(g, input);
            }
            g.writeEndObject();
        });
    }
}
