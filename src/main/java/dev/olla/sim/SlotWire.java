package dev.olla.sim;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The occupancy routes of the simulators, byte-compatible with the captures in
 * {@code shared/fixtures/llamacpp} ({@code /slots}, {@code /props}, {@code /metrics}) and with vLLM's
 * and Ollama's published gauges. Numbers that vary (tasks, tokens) are live; the rest is the capture.
 */
final class SlotWire {
    private SlotWire() {}

    /** Sampling parameters of a running chat slot (as captured in {@code slots--all-busy}). */
    private static final String BUSY_PARAMS = "{\"seed\":4294967295,\"temperature\":0.800000011920929,\"dynatemp_range\":0.0,"
            + "\"dynatemp_exponent\":1.0,\"top_k\":40,\"top_p\":0.949999988079071,\"min_p\":0.05000000074505806,"
            + "\"top_n_sigma\":-1.0,\"xtc_probability\":0.0,\"xtc_threshold\":0.10000000149011612,\"typical_p\":1.0,"
            + "\"repeat_last_n\":64,\"repeat_penalty\":1.0,\"presence_penalty\":0.0,\"frequency_penalty\":0.0,"
            + "\"dry_multiplier\":0.0,\"dry_base\":1.75,\"dry_allowed_length\":2,\"dry_penalty_last_n\":64,\"mirostat\":0,"
            + "\"mirostat_tau\":5.0,\"mirostat_eta\":0.10000000149011612,\"adaptive_target\":-1.0,"
            + "\"adaptive_decay\":0.8999999761581421,\"max_tokens\":%d,\"n_predict\":%d,\"n_keep\":0,\"n_discard\":0,"
            + "\"ignore_eos\":false,\"stream\":true,\"n_probs\":0,\"min_keep\":0,\"chat_format\":\"peg-native\","
            + "\"reasoning_format\":\"deepseek\",\"reasoning_in_content\":false,"
            + "\"generation_prompt\":\"<|im_start|>assistant\\n\",\"samplers\":[\"penalties\",\"dry\",\"top_n_sigma\","
            + "\"top_k\",\"typ_p\",\"top_p\",\"min_p\",\"xtc\",\"temperature\"],\"speculative.types\":\"none\","
            + "\"timings_per_token\":false,\"post_sampling_probs\":false,\"backend_sampling\":false,\"lora\":[]}";

    /** {@code /props}' default settings (as captured in {@code props--ok}). */
    private static final String PROPS_PARAMS = "{\"seed\":4294967295,\"temperature\":0.800000011920929,\"dynatemp_range\":0.0,"
            + "\"dynatemp_exponent\":1.0,\"top_k\":40,\"top_p\":0.949999988079071,\"min_p\":0.05000000074505806,"
            + "\"top_n_sigma\":-1.0,\"xtc_probability\":0.0,\"xtc_threshold\":0.10000000149011612,\"typical_p\":1.0,"
            + "\"repeat_last_n\":64,\"repeat_penalty\":1.0,\"presence_penalty\":0.0,\"frequency_penalty\":0.0,"
            + "\"dry_multiplier\":0.0,\"dry_base\":1.75,\"dry_allowed_length\":2,\"dry_penalty_last_n\":64,\"mirostat\":0,"
            + "\"mirostat_tau\":5.0,\"mirostat_eta\":0.10000000149011612,\"adaptive_target\":-1.0,"
            + "\"adaptive_decay\":0.8999999761581421,\"max_tokens\":-1,\"n_predict\":-1,\"n_keep\":0,\"n_discard\":0,"
            + "\"ignore_eos\":false,\"stream\":false,\"n_probs\":0,\"min_keep\":0,\"chat_format\":\"Content-only\","
            + "\"reasoning_format\":\"none\",\"reasoning_in_content\":false,\"generation_prompt\":\"\","
            + "\"samplers\":[\"penalties\",\"dry\",\"top_n_sigma\",\"top_k\",\"typ_p\",\"top_p\",\"min_p\",\"xtc\","
            + "\"temperature\"],\"speculative.types\":\"none\",\"timings_per_token\":false,\"post_sampling_probs\":false,"
            + "\"backend_sampling\":false,\"lora\":[]}";

    private static final String CHAT_TEMPLATE = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + "
            + "'\\\\n' + message['content'] + '<|im_end|>' + '\\\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\\\n' }}{% endif %}";

    private static String quote(String s) {
        try {
            return Wire.MAPPER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Context per slot: the model's context divided among the slots, as llama-server does with {@code -c}/{@code -np}. */
    static int slotContext(SimModel m, int slots) {
        return slots <= 0 ? m.contextLength() : Math.max(1, m.contextLength() / slots);
    }

    /** llama.cpp {@code GET /slots}. */
    static void llamaSlots(ByteBuf out, SimSlots slots, SimModel m) {
        int nCtx = slotContext(m, slots.total());
        StringBuilder sb = new StringBuilder(256);
        sb.append('[');
        SimSlots.View[] views = slots.views();
        for (int i = 0; i < views.length; i++) {
            SimSlots.View v = views[i];
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"id\":").append(v.id()).append(",\"n_ctx\":").append(nCtx)
                    .append(",\"speculative\":false,\"is_processing\":").append(v.processing());
            if (v.processing()) {
                int prompt = Math.min(v.promptTokens(), nCtx);
                sb.append(",\"id_task\":").append(v.task())
                        .append(",\"n_prompt_tokens\":").append(prompt)
                        .append(",\"n_prompt_tokens_processed\":").append(prompt)
                        .append(",\"n_prompt_tokens_cache\":0")
                        .append(",\"params\":").append(String.format(Locale.ROOT, BUSY_PARAMS, -1, -1))
                        .append(",\"next_token\":[{\"has_next_token\":true,\"has_new_line\":false,\"n_remain\":-1,\"n_decoded\":")
                        .append(v.decoded()).append("}]");
            }
            sb.append('}');
        }
        sb.append(']');
        out.writeCharSequence(sb, StandardCharsets.UTF_8);
    }

    /** llama.cpp {@code GET /props}: the captured shape with this server's model, slots and context. */
    static void llamaProps(ByteBuf out, SimModel m, int totalSlots) {
        String s = "{\"default_generation_settings\":{\"params\":" + PROPS_PARAMS + ",\"n_ctx\":" + slotContext(m, totalSlots)
                + "},\"total_slots\":" + totalSlots
                + ",\"model_alias\":" + quote(m.name())
                + ",\"model_ftype\":" + quote(ModelListWire.llamaFtype(m))
                + ",\"model_path\":" + quote(m.name() + ".gguf")
                + ",\"modalities\":{\"vision\":" + (m.type() == SimModel.Type.VLM) + ",\"video\":false,\"audio\":false}"
                + ",\"media_marker\":\"<__media_kDyVaZypcNZbJ5DJ7kEitv5mr5sCzMOA__>\""
                + ",\"endpoint_slots\":true,\"endpoint_props\":false,\"endpoint_metrics\":true,\"ui\":true,\"ui_settings\":{}"
                + ",\"chat_template\":\"" + CHAT_TEMPLATE + "\""
                + ",\"chat_template_caps\":{\"supports_object_arguments\":false,\"supports_parallel_tool_calls\":false,"
                + "\"supports_preserve_reasoning\":false,\"supports_reasoning_effort\":false,\"supports_string_content\":true,"
                + "\"supports_system_role\":true,\"supports_tool_calls\":false,\"supports_tools\":false,"
                + "\"supports_typed_content\":false}"
                + ",\"bos_token\":\"<s>\",\"eos_token\":\"</s>\",\"build_info\":\"" + Wire.LLAMACPP_BUILD + "\""
                + ",\"is_sleeping\":false,\"cors_proxy_enabled\":false}";
        out.writeCharSequence(s, StandardCharsets.UTF_8);
    }

    private static final String[][] LLAMA_METRICS = {
        {"prompt_tokens_total", "counter", "Number of prompt tokens processed, excluding cached tokens"},
        {"prompt_tokens_cached_total", "counter", "Number of prompt tokens reused from the cache"},
        {"prompt_seconds_total", "counter", "Total time spent processing prompts"},
        {"tokens_predicted_total", "counter", "Number of generation tokens processed"},
        {"tokens_predicted_seconds_total", "counter", "Total time spent generating tokens"},
        {"n_decode_total", "counter", "Total number of llama_decode() calls, excluding speculative decoding and multimodal decoding"},
        {"n_tokens_max", "counter", "Largest observed sequence length (prompt + generation)"},
        {"spec_decode_num_draft_tokens_total", "counter", "Speculative: Total draft tokens generated"},
        {"spec_decode_num_accepted_tokens_total", "counter", "Speculative: Total draft tokens accepted by the target model"},
        {"spec_decode_num_drafts_total", "counter", "Speculative: Total speculative decoding verification steps"},
        {"prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s"},
        {"predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s"},
        {"requests_processing", "gauge", "Number of requests processing"},
        {"requests_deferred", "gauge", "Number of requests deferred"},
        {"n_busy_slots_per_decode", "gauge", "Average number of busy slots per llama_decode() call"},
    };

    /** llama.cpp {@code GET /metrics} (Prometheus text; only the request gauges move). */
    static void llamaMetrics(ByteBuf out, SimSlots slots) {
        StringBuilder sb = new StringBuilder(2600);
        int processing = slots.busy();
        int deferred = slots.deferred();
        for (String[] m : LLAMA_METRICS) {
            String name = "llamacpp:" + m[0];
            long value = switch (m[0]) {
                case "requests_processing" -> processing;
                case "requests_deferred" -> deferred;
                default -> 0;
            };
            sb.append("# HELP ").append(name).append(' ').append(m[2]).append('\n')
                    .append("# TYPE ").append(name).append(' ').append(m[1]).append('\n')
                    .append(name).append(' ').append(value).append('\n');
        }
        out.writeCharSequence(sb, StandardCharsets.UTF_8);
    }

    /** vLLM {@code GET /metrics}: the scheduler gauges Olla reads (running and waiting requests), per model. */
    static void vllmMetrics(ByteBuf out, SimSlots slots, List<SimModel> models) {
        StringBuilder sb = new StringBuilder(1024);
        String model = models.isEmpty() ? "model" : models.get(0).name();
        String labels = "{engine=\"0\",model_name=\"" + model + "\"}";
        sb.append("# HELP vllm:num_requests_running Number of requests in model execution batches.\n")
                .append("# TYPE vllm:num_requests_running gauge\n")
                .append("vllm:num_requests_running").append(labels).append(' ').append((double) slots.busy()).append('\n')
                .append("# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n")
                .append("# TYPE vllm:num_requests_waiting gauge\n")
                .append("vllm:num_requests_waiting").append(labels).append(' ').append((double) slots.deferred()).append('\n')
                .append("# HELP vllm:request_success_total Count of successfully processed requests.\n")
                .append("# TYPE vllm:request_success_total counter\n")
                .append("vllm:request_success_total{engine=\"0\",finished_reason=\"stop\",model_name=\"").append(model)
                .append("\"} ").append((double) slots.processed()).append('\n');
        out.writeCharSequence(sb, StandardCharsets.UTF_8);
    }
}
