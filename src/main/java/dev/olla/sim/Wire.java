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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.SplittableRandom;

/** The response bodies of every flavour. Stateless; all methods write into a caller-owned buffer. */
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

    private static void writeNullable(JsonGenerator g, String field, String value) throws IOException {
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

    // ------------------------------------------------------------------------------------------ model lists

    static String iso(long epochSeconds, ZoneOffset offset) {
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(epochSeconds, 123_456_789), offset)
                .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    static void ollamaDetails(JsonGenerator g, SimModel m) throws IOException {
        g.writeObjectFieldStart("details");
        g.writeStringField("parent_model", "");
        g.writeStringField("format", "gguf");
        g.writeStringField("family", m.family());
        g.writeArrayFieldStart("families");
        g.writeString(m.family());
        g.writeEndArray();
        g.writeStringField("parameter_size", m.parameterSize());
        g.writeStringField("quantization_level", m.quantization());
        g.writeEndObject();
    }

    static void ollamaTags(ByteBuf out, List<SimModel> models) {
        json(out, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("models");
            for (SimModel m : models) {
                g.writeStartObject();
                g.writeStringField("name", m.name());
                g.writeStringField("model", m.name());
                g.writeStringField("modified_at", iso(MODEL_CREATED, ZoneOffset.ofHours(10)));
                g.writeNumberField("size", m.sizeBytes());
                g.writeStringField("digest", m.digest());
                ollamaDetails(g, m);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static void ollamaPs(ByteBuf out, List<SimModel> models) {
        long expires = System.currentTimeMillis() / 1000 + 300;
        json(out, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("models");
            for (SimModel m : models) {
                if (!m.loaded()) {
                    continue;
                }
                g.writeStartObject();
                g.writeStringField("name", m.name());
                g.writeStringField("model", m.name());
                g.writeNumberField("size", m.sizeBytes());
                g.writeStringField("digest", m.digest());
                ollamaDetails(g, m);
                g.writeStringField("expires_at", iso(expires, ZoneOffset.ofHours(10)));
                g.writeNumberField("size_vram", m.sizeBytes());
                g.writeNumberField("context_length", m.contextLength());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static void ollamaShow(ByteBuf out, SimModel m) {
        json(out, g -> {
            g.writeStartObject();
            g.writeStringField("license", "");
            g.writeStringField("modelfile", "# Modelfile generated by \"ollama show\"\nFROM " + m.name() + "\n");
            g.writeStringField("parameters", "");
            g.writeStringField("template", "{{ .Prompt }}");
            ollamaDetails(g, m);
            g.writeObjectFieldStart("model_info");
            g.writeStringField("general.architecture", m.family());
            g.writeNumberField("general.parameter_count", m.parameterCount());
            g.writeNumberField(m.family() + ".context_length", m.contextLength());
            g.writeNumberField(m.family() + ".embedding_length", EMBEDDING_DIM);
            g.writeEndObject();
            g.writeArrayFieldStart("capabilities");
            if (m.type() == SimModel.Type.EMBEDDINGS) {
                g.writeString("embedding");
            } else {
                g.writeString("completion");
                if (m.type() == SimModel.Type.VLM) {
                    g.writeString("vision");
                }
            }
            g.writeEndArray();
            g.writeStringField("modified_at", iso(MODEL_CREATED, ZoneOffset.ofHours(10)));
            g.writeEndObject();
        });
    }

    /** {@code GET /v1/models} (and llama.cpp's {@code /models}). */
    static void openAiModels(ByteBuf out, SimFlavor f, List<SimModel> models) {
        json(out, g -> {
            g.writeStartObject();
            switch (f) {
                case LLAMACPP -> llamaModels(g, models);
                case LMSTUDIO -> {
                    g.writeArrayFieldStart("data");
                    for (SimModel m : models) {
                        g.writeStartObject();
                        g.writeStringField("id", m.name());
                        g.writeStringField("object", "model");
                        g.writeStringField("owned_by", "organization_owner");
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeStringField("object", "list");
                }
                default -> {
                    g.writeStringField("object", "list");
                    g.writeArrayFieldStart("data");
                    for (SimModel m : models) {
                        openAiModel(g, f, m);
                    }
                    g.writeEndArray();
                }
            }
            g.writeEndObject();
        });
    }

    /** {@code GET /v1/models/{id}}. */
    static void openAiModel(ByteBuf out, SimFlavor f, SimModel m) {
        json(out, g -> openAiModel(g, f, m));
    }

    private static void openAiModel(JsonGenerator g, SimFlavor f, SimModel m) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", m.name());
        g.writeStringField("object", "model");
        if (f == SimFlavor.LMSTUDIO) {
            g.writeStringField("owned_by", "organization_owner");
            g.writeEndObject();
            return;
        }
        long created = f == SimFlavor.VLLM ? System.currentTimeMillis() / 1000 : MODEL_CREATED;
        g.writeNumberField("created", created);
        g.writeStringField("owned_by", switch (f) {
            case OLLAMA -> "library";
            case VLLM -> "vllm";
            case LLAMACPP -> "llamacpp";
            default -> "system";
        });
        if (f == SimFlavor.VLLM) {
            g.writeStringField("root", m.name());
            g.writeNullField("parent");
            g.writeNumberField("max_model_len", m.contextLength());
            g.writeArrayFieldStart("permission");
            g.writeStartObject();
            g.writeStringField("id", "modelperm-" + m.digest().substring(0, 32));
            g.writeStringField("object", "model_permission");
            g.writeNumberField("created", created);
            g.writeBooleanField("allow_create_engine", false);
            g.writeBooleanField("allow_sampling", true);
            g.writeBooleanField("allow_logprobs", true);
            g.writeBooleanField("allow_search_indices", false);
            g.writeBooleanField("allow_view", true);
            g.writeBooleanField("allow_fine_tuning", false);
            g.writeStringField("organization", "*");
            g.writeNullField("group");
            g.writeBooleanField("is_blocking", false);
            g.writeEndObject();
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    static String llamaFtype(SimModel m) {
        String q = m.quantization();
        return switch (q) {
            case "F32" -> "all F32";
            case "F16" -> "F16";
            case "Q4_K_M" -> "Q4_K - Medium";
            case "Q4_K_S" -> "Q4_K - Small";
            case "Q5_K_M" -> "Q5_K - Medium";
            default -> q;
        };
    }

    private static void llamaModels(JsonGenerator g, List<SimModel> models) throws IOException {
        g.writeArrayFieldStart("models");
        for (SimModel m : models) {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeStringField("model", m.name());
            g.writeStringField("modified_at", "");
            g.writeStringField("size", "");
            g.writeStringField("digest", "");
            g.writeStringField("type", "model");
            g.writeStringField("description", "");
            g.writeArrayFieldStart("tags");
            g.writeString("");
            g.writeEndArray();
            g.writeArrayFieldStart("capabilities");
            g.writeString("completion");
            g.writeEndArray();
            g.writeStringField("parameters", "");
            g.writeObjectFieldStart("details");
            g.writeStringField("parent_model", "");
            g.writeStringField("format", "gguf");
            g.writeStringField("family", "");
            g.writeArrayFieldStart("families");
            g.writeString("");
            g.writeEndArray();
            g.writeStringField("parameter_size", "");
            g.writeStringField("quantization_level", "");
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        long created = System.currentTimeMillis() / 1000;
        for (SimModel m : models) {
            g.writeStartObject();
            g.writeStringField("id", m.name());
            g.writeArrayFieldStart("aliases");
            g.writeString(m.name());
            g.writeEndArray();
            g.writeArrayFieldStart("tags");
            g.writeEndArray();
            g.writeStringField("object", "model");
            g.writeNumberField("created", created);
            g.writeStringField("owned_by", "llamacpp");
            g.writeObjectFieldStart("meta");
            g.writeBooleanField("vocab_type", true);
            g.writeNumberField("n_vocab", 32000);
            g.writeNumberField("n_ctx", m.contextLength());
            g.writeNumberField("n_ctx_train", m.contextLength());
            g.writeNumberField("n_embd", EMBEDDING_DIM);
            g.writeNumberField("n_params", m.parameterCount());
            g.writeNumberField("size", m.sizeBytes());
            g.writeStringField("ftype", llamaFtype(m));
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** LM Studio {@code GET /api/v0/models}. */
    static void lmStudioV0Models(ByteBuf out, List<SimModel> models) {
        json(out, g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (SimModel m : models) {
                lmStudioV0Model(g, m);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static void lmStudioV0Model(ByteBuf out, SimModel m) {
        json(out, g -> lmStudioV0Model(g, m));
    }

    private static void lmStudioV0Model(JsonGenerator g, SimModel m) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", m.name());
        g.writeStringField("object", "model");
        g.writeStringField("type", m.type().wireName());
        g.writeStringField("publisher", m.publisher());
        g.writeStringField("arch", m.family());
        g.writeStringField("compatibility_type", "gguf");
        g.writeStringField("quantization", m.quantization());
        g.writeStringField("state", m.loaded() ? "loaded" : "not-loaded");
        g.writeNumberField("max_context_length", m.contextLength());
        g.writeEndObject();
    }

    static void garbage(ByteBuf out) {
        ascii(out, "{\"models\":[{\"name\":\"garbage\",\"size\":<<not json>>,]");
    }

    // ------------------------------------------------------------------------------------------ embeddings

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

    // ------------------------------------------------------------------------------------------ completions

    private static void usage(JsonGenerator g, Gen x) throws IOException {
        g.writeObjectFieldStart("usage");
        switch (x.flavor) {
            case LLAMACPP -> {
                g.writeNumberField("completion_tokens", x.n);
                g.writeNumberField("prompt_tokens", x.promptTokens);
                g.writeNumberField("total_tokens", x.totalTokens());
                g.writeObjectFieldStart("prompt_tokens_details");
                g.writeNumberField("cached_tokens", 0);
                g.writeEndObject();
            }
            case VLLM -> {
                g.writeNumberField("prompt_tokens", x.promptTokens);
                g.writeNumberField("total_tokens", x.totalTokens());
                g.writeNumberField("completion_tokens", x.n);
                g.writeNullField("prompt_tokens_details");
            }
            case OPENAI -> {
                g.writeNumberField("prompt_tokens", x.promptTokens);
                g.writeNumberField("completion_tokens", x.n);
                g.writeNumberField("total_tokens", x.totalTokens());
                g.writeObjectFieldStart("prompt_tokens_details");
                g.writeNumberField("cached_tokens", 0);
                g.writeNumberField("audio_tokens", 0);
                g.writeEndObject();
                g.writeObjectFieldStart("completion_tokens_details");
                g.writeNumberField("reasoning_tokens", 0);
                g.writeNumberField("audio_tokens", 0);
                g.writeNumberField("accepted_prediction_tokens", 0);
                g.writeNumberField("rejected_prediction_tokens", 0);
                g.writeEndObject();
            }
            default -> {
                g.writeNumberField("prompt_tokens", x.promptTokens);
                g.writeNumberField("completion_tokens", x.n);
                g.writeNumberField("total_tokens", x.totalTokens());
            }
        }
        g.writeEndObject();
    }

    private static void timings(JsonGenerator g, Gen x) throws IOException {
        double promptMs = x.promptNanos() / 1e6;
        double genMs = x.genNanos() / 1e6;
        int p = Math.max(1, x.promptTokens);
        g.writeObjectFieldStart("timings");
        g.writeNumberField("cache_n", 0);
        g.writeNumberField("prompt_n", x.promptTokens);
        g.writeNumberField("prompt_ms", promptMs);
        g.writeNumberField("prompt_per_token_ms", promptMs / p);
        g.writeNumberField("prompt_per_second", p * 1000.0 / promptMs);
        g.writeNumberField("predicted_n", x.n);
        g.writeNumberField("predicted_ms", genMs);
        g.writeNumberField("predicted_per_token_ms", x.n == 0 ? 0 : genMs / x.n);
        g.writeNumberField("predicted_per_second", x.n * 1000.0 / genMs);
        g.writeEndObject();
    }

    private static void lmStudioStats(JsonGenerator g, Gen x) throws IOException {
        g.writeObjectFieldStart("stats");
        if (x.lmStudioV0) {
            double genS = x.genNanos() / 1e9;
            g.writeNumberField("tokens_per_second", x.n / genS);
            g.writeNumberField("time_to_first_token", x.promptNanos() / 1e9);
            g.writeNumberField("generation_time", genS);
            g.writeStringField("stop_reason", x.finishReason.equals("length") ? "maxPredictedTokensReached" : "eosFound");
        }
        g.writeEndObject();
        if (x.lmStudioV0) {
            g.writeObjectFieldStart("model_info");
            g.writeStringField("arch", x.model.family());
            g.writeStringField("quant", x.model.quantization());
            g.writeStringField("format", "gguf");
            g.writeNumberField("context_length", x.model.contextLength());
            g.writeEndObject();
            g.writeObjectFieldStart("runtime");
            g.writeStringField("name", "llama.cpp-linux-x86_64-avx2");
            g.writeStringField("version", "1.50.2");
            g.writeArrayFieldStart("supported_formats");
            g.writeString("gguf");
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void ollamaTimings(JsonGenerator g, Gen x) throws IOException {
        g.writeNumberField("total_duration", x.totalNanos());
        g.writeNumberField("load_duration", 1_000_000L);
        g.writeNumberField("prompt_eval_count", x.promptTokens);
        g.writeNumberField("prompt_eval_duration", x.promptNanos());
        g.writeNumberField("eval_count", x.n);
        g.writeNumberField("eval_duration", x.genNanos());
    }

    /** A complete (non-streamed) completion body. */
    static void full(ByteBuf out, Gen x) {
        String text = SimulatedBackend.expectedText(x.n);
        switch (x.kind) {
            case OLLAMA_CHAT, OLLAMA_GENERATE -> json(out, g -> ollamaFinal(g, x, text));
            case CHAT -> json(out, g -> chatFull(g, x, text));
            case COMPLETION -> json(out, g -> completionFull(g, x, text));
        }
    }

    /** Ollama's answer to a request with no prompt/messages: loads the model, generates nothing. */
    static void ollamaLoad(ByteBuf out, Gen.Kind kind, String model) {
        json(out, g -> {
            g.writeStartObject();
            g.writeStringField("model", model);
            g.writeStringField("created_at", Instant.now().toString());
            if (kind == Gen.Kind.OLLAMA_CHAT) {
                g.writeObjectFieldStart("message");
                g.writeStringField("role", "assistant");
                g.writeStringField("content", "");
                g.writeEndObject();
                g.writeStringField("done_reason", "load");
                g.writeBooleanField("done", true);
            } else {
                g.writeStringField("response", "");
                g.writeBooleanField("done", true);
                g.writeStringField("done_reason", "load");
            }
            g.writeEndObject();
        });
    }

    private static void ollamaFinal(JsonGenerator g, Gen x, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("model", x.modelName);
        g.writeStringField("created_at", Instant.now().toString());
        if (x.kind == Gen.Kind.OLLAMA_CHAT) {
            g.writeObjectFieldStart("message");
            g.writeStringField("role", "assistant");
            g.writeStringField("content", text);
            g.writeEndObject();
            g.writeStringField("done_reason", x.finishReason);
            g.writeBooleanField("done", true);
        } else {
            g.writeStringField("response", text);
            g.writeBooleanField("done", true);
            g.writeStringField("done_reason", x.finishReason);
            g.writeArrayFieldStart("context");
            for (int i = 0; i < Math.min(8, x.promptTokens + x.n); i++) {
                g.writeNumber(128000 + i);
            }
            g.writeEndArray();
        }
        ollamaTimings(g, x);
        g.writeEndObject();
    }

    private static void assistantMessage(JsonGenerator g, Gen x, String text) throws IOException {
        g.writeObjectFieldStart("message");
        g.writeStringField("role", "assistant");
        g.writeStringField("content", text);
        if (x.flavor == SimFlavor.OPENAI) {
            g.writeNullField("refusal");
            g.writeArrayFieldStart("annotations");
            g.writeEndArray();
        } else if (x.flavor == SimFlavor.VLLM) {
            g.writeNullField("refusal");
            g.writeNullField("annotations");
            g.writeNullField("audio");
            g.writeNullField("function_call");
            g.writeArrayFieldStart("tool_calls");
            g.writeEndArray();
            g.writeNullField("reasoning_content");
        }
        g.writeEndObject();
    }

    private static void chatFull(JsonGenerator g, Gen x, String text) throws IOException {
        g.writeStartObject();
        if (x.flavor == SimFlavor.LLAMACPP) {
            g.writeArrayFieldStart("choices");
            g.writeStartObject();
            g.writeStringField("finish_reason", x.finishReason);
            g.writeNumberField("index", 0);
            assistantMessage(g, x, text);
            g.writeEndObject();
            g.writeEndArray();
            g.writeNumberField("created", x.created);
            g.writeStringField("model", x.modelName);
            g.writeStringField("system_fingerprint", LLAMACPP_BUILD);
            g.writeStringField("object", "chat.completion");
            usage(g, x);
            g.writeStringField("id", x.id);
            timings(g, x);
            g.writeEndObject();
            return;
        }
        g.writeStringField("id", x.id);
        g.writeStringField("object", "chat.completion");
        g.writeNumberField("created", x.created);
        g.writeStringField("model", x.modelName);
        if (x.flavor == SimFlavor.OLLAMA) {
            g.writeStringField("system_fingerprint", "fp_ollama");
        }
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        if (x.flavor == SimFlavor.LMSTUDIO) {
            g.writeNullField("logprobs");
            g.writeStringField("finish_reason", x.finishReason);
            assistantMessage(g, x, text);
        } else {
            assistantMessage(g, x, text);
            if (x.flavor != SimFlavor.OLLAMA) {
                g.writeNullField("logprobs");
            }
            g.writeStringField("finish_reason", x.finishReason);
            if (x.flavor == SimFlavor.VLLM) {
                g.writeNullField("stop_reason");
            }
        }
        g.writeEndObject();
        g.writeEndArray();
        switch (x.flavor) {
            case VLLM -> {
                g.writeNullField("service_tier");
                g.writeNullField("system_fingerprint");
                usage(g, x);
                g.writeNullField("prompt_logprobs");
                g.writeNullField("kv_transfer_params");
            }
            case OPENAI -> {
                usage(g, x);
                g.writeStringField("service_tier", "default");
                g.writeStringField("system_fingerprint", "fp_sim");
            }
            case LMSTUDIO -> {
                usage(g, x);
                lmStudioStats(g, x);
                g.writeStringField("system_fingerprint", x.modelName);
            }
            default -> usage(g, x);
        }
        g.writeEndObject();
    }

    /** One {@code choices[]} entry of a text completion. */
    private static void textChoice(JsonGenerator g, Gen x, String text, String finish) throws IOException {
        g.writeStartObject();
        switch (x.flavor) {
            case VLLM -> {
                g.writeNumberField("index", 0);
                g.writeStringField("text", text);
                g.writeNullField("logprobs");
                writeNullable(g, "finish_reason", finish);
                g.writeNullField("stop_reason");
            }
            case LMSTUDIO -> {
                g.writeNumberField("index", 0);
                g.writeStringField("text", text);
                g.writeNullField("logprobs");
                writeNullable(g, "finish_reason", finish);
            }
            case OLLAMA -> {
                g.writeStringField("text", text);
                g.writeNumberField("index", 0);
                writeNullable(g, "finish_reason", finish);
            }
            default -> {
                g.writeStringField("text", text);
                g.writeNumberField("index", 0);
                g.writeNullField("logprobs");
                writeNullable(g, "finish_reason", finish);
            }
        }
        g.writeEndObject();
    }

    private static void completionFull(JsonGenerator g, Gen x, String text) throws IOException {
        g.writeStartObject();
        if (x.flavor == SimFlavor.LLAMACPP) {
            g.writeArrayFieldStart("choices");
            textChoice(g, x, text, x.finishReason);
            g.writeEndArray();
            g.writeNumberField("created", x.created);
            g.writeStringField("model", x.modelName);
            g.writeStringField("system_fingerprint", LLAMACPP_BUILD);
            g.writeStringField("object", "text_completion");
            usage(g, x);
            g.writeStringField("id", x.id);
            timings(g, x);
            g.writeEndObject();
            return;
        }
        g.writeStringField("id", x.id);
        g.writeStringField("object", "text_completion");
        g.writeNumberField("created", x.created);
        g.writeStringField("model", x.modelName);
        if (x.flavor == SimFlavor.OLLAMA) {
            g.writeStringField("system_fingerprint", "fp_ollama");
        }
        g.writeArrayFieldStart("choices");
        textChoice(g, x, text, x.finishReason);
        g.writeEndArray();
        switch (x.flavor) {
            case VLLM -> {
                g.writeNullField("service_tier");
                g.writeNullField("system_fingerprint");
                usage(g, x);
                g.writeNullField("kv_transfer_params");
            }
            case OPENAI -> {
                usage(g, x);
                g.writeStringField("system_fingerprint", "fp_sim");
            }
            case LMSTUDIO -> {
                usage(g, x);
                lmStudioStats(g, x);
                g.writeStringField("system_fingerprint", x.modelName);
            }
            default -> usage(g, x);
        }
        g.writeEndObject();
    }

    // ------------------------------------------------------------------------------------------ streams

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
            g.writeStringField("model", x.modelName);
            g.writeStringField("created_at", Instant.now().toString());
            if (x.kind == Gen.Kind.OLLAMA_CHAT) {
                g.writeObjectFieldStart("message");
                g.writeStringField("role", "assistant");
                g.writeStringField("content", t);
                g.writeEndObject();
            } else {
                g.writeStringField("response", t);
            }
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
