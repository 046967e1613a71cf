package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

import static dev.olla.sim.Routes.find;
import static dev.olla.sim.Routes.modelNotFound;
import static dev.olla.sim.Routes.object;
import static dev.olla.sim.Routes.send;
import static dev.olla.sim.Routes.text;

/**
 * An embeddings request read as the flavour reads it (its validation errors, llama.cpp's 501 without an
 * embedding model, the input as text, texts or tokens) and answered with deterministic vectors
 * ({@link EmbeddingWire}). Event loop only.
 */
final class EmbeddingRequest {
    private EmbeddingRequest() {
    }

    /** Which embeddings API: OpenAI's {@code /v1/embeddings}, Ollama's {@code /api/embed} or its legacy {@code /api/embeddings}. */
    enum Style { OPENAI, OLLAMA, OLLAMA_LEGACY }

    /** Answers an embeddings request of {@code style}. */
    static void answer(SimHandler h, SimRequest ex, Style style) {
        SimulatedBackend sim = h.sim();
        SimFlavor f = sim.flavor();
        JsonNode j = object(h, ex);
        if (j == null) {
            return;
        }
        String requested = text(j, "model");
        String echo;
        if (f == SimFlavor.LLAMACPP) {
            SimModel em = sim.models().stream().filter(m -> m.type() == SimModel.Type.EMBEDDINGS).findFirst().orElse(null);
            if (em == null) {
                h.sendError(501, "This server does not support embeddings. Start it with `--embeddings`", null, null);
                return;
            }
            echo = em.name();
        } else {
            if (requested == null || requested.isBlank()) {
                h.sendError(400, f == SimFlavor.OLLAMA && style != Style.OPENAI ? "model is required"
                        : "you must provide a model parameter", "model", null);
                return;
            }
            SimModel m = find(sim, requested);
            if (m == null) {
                modelNotFound(h, ex, requested);
                return;
            }
            echo = f == SimFlavor.OLLAMA ? requested : m.name();
        }
        if (style == Style.OLLAMA_LEGACY) {
            String prompt = j.path("prompt").asText("");
            send(h, b -> EmbeddingWire.ollamaLegacyEmbedding(b, prompt));
            return;
        }
        List<String> inputs = new ArrayList<>();
        JsonNode in = j.get("input");
        if (in == null || in.isNull()) {
            if (style == Style.OLLAMA) {
                send(h, b -> EmbeddingWire.ollamaEmbed(b, echo, List.of(), 0, 0));
            } else {
                h.sendError(400, f == SimFlavor.LLAMACPP ? "\"input\" must be provided" : "'input' is a required property", "input", null);
            }
            return;
        }
        if (in.isTextual()) {
            inputs.add(in.asText());
        } else if (in.isArray()) {
            boolean tokens = in.size() > 0 && in.get(0).isNumber();
            if (tokens) {
                inputs.add(in.toString());
            } else {
                for (JsonNode e : in) {
                    inputs.add(e.isTextual() ? e.asText() : e.toString());
                }
            }
        } else {
            h.sendError(400, "invalid input type", "input", null);
            return;
        }
        int tokens = 0;
        for (String s : inputs) {
            tokens += Math.max(1, s.length() / 4);
        }
        int promptTokens = tokens;
        long start = System.nanoTime();
        if (style == Style.OLLAMA) {
            send(h, b -> EmbeddingWire.ollamaEmbed(b, echo, inputs, promptTokens, System.nanoTime() - start));
        } else {
            boolean base64 = "base64".equals(j.path("encoding_format").asText(""));
            send(h, b -> EmbeddingWire.openAiEmbeddings(b, f, echo, inputs, promptTokens, base64));
        }
    }
}
