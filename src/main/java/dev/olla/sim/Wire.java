package dev.olla.sim;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * What every flavour's response bodies share: the JSON writer, content types, error bodies and fault messages,
 * the versions the simulated servers report. The bodies themselves: {@link ModelListWire}, {@link EmbeddingWire},
 * {@link AnswerWire} (whole answers), {@link StreamWire} and {@link StreamErrorWire} (streams), {@link SlotWire}
 * (llama.cpp's slots, props and metrics). Stateless; all methods write into a caller-owned buffer.
 */
final class Wire {
    private Wire() {
    }

    /** Embedding vector length (also llama.cpp's {@code n_embd}). */
    static final int EMBEDDING_DIM = 64;
    static final String LLAMACPP_BUILD = "b10587-3f545becc";
    static final String OLLAMA_VERSION = "0.12.6";
    static final String VLLM_VERSION = "0.11.0";
    /** A fixed "created"/"modified" time for model lists (2025-05-10). */
    static final long MODEL_CREATED = 1746835200L;

    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(SimulatedBackend.MAX_BODY).build())
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();
    static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    @FunctionalInterface
    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    static void json(ByteBuf out, Body body) {
        try (JsonGenerator g = FACTORY.createGenerator((OutputStream) new ByteBufOutputStream(out))) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void ascii(ByteBuf out, String s) {
        out.writeCharSequence(s, StandardCharsets.US_ASCII);
    }

    static void sse(ByteBuf out, Body body) {
        ascii(out, "data: ");
        json(out, body);
        ascii(out, "\n\n");
    }

    // ------------------------------------------------------------------------------------------ content types

    static String jsonType(SimFlavor f) {
        return switch (f) {
            case LLAMACPP, OLLAMA, LMSTUDIO -> "application/json; charset=utf-8";
            case OPENAI, VLLM -> "application/json";
        };
    }

    static String streamType(Gen g) {
        if (g.kind == Gen.Kind.OLLAMA_CHAT || g.kind == Gen.Kind.OLLAMA_GENERATE) {
            return "application/x-ndjson";
        }
        return switch (g.flavor) {
            case LLAMACPP, OLLAMA, LMSTUDIO -> "text/event-stream";
            case OPENAI, VLLM -> "text/event-stream; charset=utf-8";
        };
    }

    // ------------------------------------------------------------------------------------------ errors

    /** llama.cpp's error type for a status. */
    static String llamaType(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 404 -> "not_found_error";
            case 501 -> "not_supported_error";
            case 503 -> "unavailable_error";
            default -> "server_error";
        };
    }

    private static String openAiType(int status) {
        return status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
    }

    private static String vllmType(int status) {
        return switch (status) {
            case 400 -> "BadRequestError";
            case 401 -> "AuthenticationError";
            case 404 -> "NotFoundError";
            case 429 -> "RateLimitError";
            case 501 -> "NotImplementedError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }

    /**
     * An error body in the flavour's style. {@code openAiRoute} selects Ollama's OpenAI-compatible shape for
     * its {@code /v1/*} routes. {@code param}/{@code code} are the OpenAI fields (may be null).
     */
    static void error(ByteBuf out, SimFlavor f, boolean openAiRoute, int status, String message, String param, String code) {
        json(out, g -> {
            g.writeStartObject();
            switch (f) {
                case OLLAMA -> {
                    if (openAiRoute) {
                        g.writeObjectFieldStart("error");
                        g.writeStringField("message", message);
                        g.writeStringField("type", status == 400 ? "invalid_request_error" : status == 404 ? "not_found_error" : "api_error");
                        g.writeNullField("param");
                        g.writeNullField("code");
                        g.writeEndObject();
                    } else {
                        g.writeStringField("error", message);
                    }
                }
                case LLAMACPP -> {
                    g.writeObjectFieldStart("error");
                    if (status == 404 || status == 503) {
                        g.writeStringField("message", message);
                        g.writeStringField("type", llamaType(status));
                        g.writeNumberField("code", status);
                    } else {
                        g.writeNumberField("code", status);
                        g.writeStringField("message", message);
                        g.writeStringField("type", llamaType(status));
                    }
                    g.writeEndObject();
                }
                case VLLM -> {
                    g.writeObjectFieldStart("error");
                    g.writeStringField("message", message);
                    g.writeStringField("type", vllmType(status));
                    writeNullable(g, "param", param);
                    g.writeNumberField("code", status);
                    g.writeEndObject();
                }
                case OPENAI, LMSTUDIO -> {
                    g.writeObjectFieldStart("error");
                    g.writeStringField("message", message);
                    g.writeStringField("type", openAiType(status));
                    writeNullable(g, "param", param);
                    writeNullable(g, "code", code);
                    g.writeEndObject();
                }
            }
            g.writeEndObject();
        });
    }

    static void writeNullable(JsonGenerator g, String field, String value) throws IOException {
        if (value == null) {
            g.writeNullField(field);
        } else {
            g.writeStringField(field, value);
        }
    }

    /** The message of a simulated HTTP error. */
    /** The message of a generation that fails inside a {@code 200} (the stream faults, errorBody200). */
    static String generationFaultMessage(SimFlavor f) {
        return f == SimFlavor.OLLAMA ? "an error was encountered while running the model" : faultMessage(f, 500);
    }

    static String faultMessage(SimFlavor f, int status) {
        if (f == SimFlavor.LLAMACPP && status == 503) {
            return "Loading model";
        }
        io.netty.handler.codec.http.HttpResponseStatus s = io.netty.handler.codec.http.HttpResponseStatus.valueOf(status);
        return "simulated failure: " + status + " " + s.reasonPhrase();
    }
}
