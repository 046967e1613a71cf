package dev.olla.sim;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The error a streaming server writes inside a {@code 200} stream, per flavour ({@link SimFaults#errorFirst(int)}),
 * kept apart from {@link Wire}'s normal answers. Stateless.
 */
final class StreamErrorWire {
    private StreamErrorWire() {
    }

    /**
     * An error as a streaming server writes it inside a {@code 200} stream, in the flavour's real shape (see
     * {@link SimFaults#errorFirst(int)}), followed by what that server sends after it (vLLM: {@code data: [DONE]}).
     */
    static void write(ByteBuf out, Gen x, String message) {
        if (x.kind == Gen.Kind.OLLAMA_CHAT || x.kind == Gen.Kind.OLLAMA_GENERATE) {
            // Ollama's streamResponse: json.NewEncoder(w).Encode(gin.H{"error": msg})
            Wire.json(out, g -> {
                g.writeStartObject();
                g.writeStringField("error", message);
                g.writeEndObject();
            });
            Wire.ascii(out, "\n");
            return;
        }
        switch (x.flavor) {
            case OLLAMA -> {
                // Ollama's OpenAI middleware (BaseWriter.writeError) encodes the error object as is: no "data: "
                Wire.error(out, x.flavor, true, 500, message, null, null);
                Wire.ascii(out, "\n");
            }
            case VLLM -> {
                // vLLM: "data: " + json.dumps({"error": {...}}) then "data: [DONE]" (Python's separators)
                Wire.ascii(out, "data: ");
                out.writeCharSequence("{\"error\": {\"message\": " + Wire.MAPPER.valueToTree(message)
                        + ", \"type\": \"InternalServerError\", \"param\": null, \"code\": 500}}", StandardCharsets.UTF_8);
                Wire.ascii(out, "\n\ndata: [DONE]\n\n");
            }
            case LLAMACPP -> Wire.sse(out, g -> {
                // server-context.cpp: format_oai_sse(json{{"error", res_json}})
                g.writeStartObject();
                g.writeObjectFieldStart("error");
                g.writeNumberField("code", 500);
                g.writeStringField("message", message);
                g.writeStringField("type", "server_error");
                g.writeEndObject();
                g.writeEndObject();
            });
            case OPENAI, LMSTUDIO -> {
                Wire.ascii(out, "data: ");
                Wire.error(out, x.flavor, true, 500, message, null, null);
                Wire.ascii(out, "\n\n");
            }
        }
    }
}
