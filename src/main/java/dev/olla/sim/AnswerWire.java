package dev.olla.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.time.Instant;

import static dev.olla.sim.Wire.LLAMACPP_BUILD;
import static dev.olla.sim.Wire.json;
import static dev.olla.sim.Wire.writeNullable;

/**
 * The complete (non-streamed) generation answers of every flavour, and the parts the stream chunks share with
 * them (usage, timings, a text choice, Ollama's final object). Stateless; writes into a caller-owned buffer.
 */
final class AnswerWire {
    private AnswerWire() {
    }

    static void usage(JsonGenerator g, Gen x) throws IOException {
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

    static void timings(JsonGenerator g, Gen x) throws IOException {
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

    static void ollamaFinal(JsonGenerator g, Gen x, String text) throws IOException {
        g.writeStartObject();
        ollamaHead(g, x, text);
        if (x.kind == Gen.Kind.OLLAMA_CHAT) {
            g.writeStringField("done_reason", x.finishReason);
            g.writeBooleanField("done", true);
        } else {
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

    /**
     * The fields an Ollama answer line opens with, after its '{': model, created_at, then the text as
     * {@code message} (chat) or {@code response} (generate). Shared by whole answers and stream lines.
     */
    static void ollamaHead(JsonGenerator g, Gen x, String text) throws IOException {
        g.writeStringField("model", x.modelName);
        g.writeStringField("created_at", Instant.now().toString());
        if (x.kind == Gen.Kind.OLLAMA_CHAT) {
            g.writeObjectFieldStart("message");
            g.writeStringField("role", "assistant");
            g.writeStringField("content", text);
            g.writeEndObject();
        } else {
            g.writeStringField("response", text);
        }
    }

    /** How an OpenAI-style whole answer opens (after its '{'): id, object, created, model, Ollama's fingerprint. */
    private static void openAiHead(JsonGenerator g, Gen x, String object) throws IOException {
        g.writeStringField("id", x.id);
        g.writeStringField("object", object);
        g.writeNumberField("created", x.created);
        g.writeStringField("model", x.modelName);
        if (x.flavor == SimFlavor.OLLAMA) {
            g.writeStringField("system_fingerprint", "fp_ollama");
        }
    }

    /** How llama.cpp ends a whole answer after its choices: its own field order, usage, id, timings, '}'. */
    private static void llamacppTail(JsonGenerator g, Gen x, String object) throws IOException {
        g.writeNumberField("created", x.created);
        g.writeStringField("model", x.modelName);
        g.writeStringField("system_fingerprint", LLAMACPP_BUILD);
        g.writeStringField("object", object);
        usage(g, x);
        g.writeStringField("id", x.id);
        timings(g, x);
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
            llamacppTail(g, x, "chat.completion");
            return;
        }
        openAiHead(g, x, "chat.completion");
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
    static void textChoice(JsonGenerator g, Gen x, String text, String finish) throws IOException {
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
            llamacppTail(g, x, "text_completion");
            return;
        }
        openAiHead(g, x, "text_completion");
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
}
