package dev.olla.translate;

import static dev.olla.translate.Sse.json;
import static dev.olla.translate.Sse.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ResponseTranslationTest {

    static JsonNode convert(String openAi) {
        return json(AnthropicTranslator.toAnthropicResponse(utf8(openAi), "requested"));
    }

    static String completion(String message, String finish) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"backend-model\",\"choices\":[{\"index\":0,"
                + "\"message\":" + message + ",\"finish_reason\":" + finish + "}],"
                + "\"usage\":{\"prompt_tokens\":23,\"completion_tokens\":16,\"total_tokens\":39}}";
    }

    @Test
    void llamaCppCompletion() {
        Path dir = Sse.fixtures();
        byte[] body = dir != null ? Sse.responseBody(dir.resolve("v1_chat_completions--ok.txt"))
                : utf8(completion("{\"role\":\"assistant\",\"content\":\" use sentencey\"}", "\"length\""));
        String text = json(body).at("/choices/0/message/content").asText();
        byte[] raw = AnthropicTranslator.toAnthropicResponse(body, "tiny-llama");
        JsonNode out = json(raw);
        assertThat(out.get("id").asText()).matches("msg_01[1-9A-HJ-NP-Za-km-z]{20,23}");
        ((com.fasterxml.jackson.databind.node.ObjectNode) out).put("id", "X");
        assertThat(out).isEqualTo(json("{\"id\":\"X\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"tiny-llama\","
                + "\"content\":[{\"type\":\"text\",\"text\":" + Sse.MAPPER.valueToTree(text) + "}],"
                + "\"stop_reason\":\"max_tokens\",\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":" + json(body).at("/usage/prompt_tokens").asInt()
                + ",\"output_tokens\":" + json(body).at("/usage/completion_tokens").asInt() + "}}"));
        // Compact JSON, keys in Anthropic's order.
        assertThat(new String(raw)).startsWith("{\"id\":\"msg_01").doesNotContain("\n").doesNotContain(": ");
        assertThat(new String(raw)).containsSubsequence("\"type\":\"message\"", "\"role\":\"assistant\"", "\"model\"",
                "\"content\"", "\"stop_reason\"", "\"stop_sequence\":null", "\"usage\"");
    }

    static Stream<Arguments> finishReasons() {
        return Stream.of(
                Arguments.of("\"stop\"", "end_turn"),
                Arguments.of("\"tool_calls\"", "tool_use"),
                Arguments.of("\"length\"", "max_tokens"),
                Arguments.of("\"content_filter\"", "end_turn"),
                Arguments.of("\"function_call\"", "end_turn"),
                Arguments.of("null", "end_turn"));
    }

    @ParameterizedTest
    @MethodSource("finishReasons")
    void stopReasonMapping(String finish, String stopReason) {
        JsonNode out = convert(completion("{\"role\":\"assistant\",\"content\":\"hi\"}", finish));
        assertThat(out.get("stop_reason").asText()).isEqualTo(stopReason);
        assertThat(out.get("stop_sequence").isNull()).isTrue();
    }

    @Test
    void toolCallsBecomeToolUseBlocks() {
        JsonNode out = convert(completion("""
                {"role":"assistant","content":"Checking.","tool_calls":[
                  {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                  {"id":"call_2","type":"function","function":{"name":"broken","arguments":"{not json"}}]}""",
                "\"tool_calls\""));
        assertThat(out.get("content")).isEqualTo(json("""
                [{"type":"text","text":"Checking."},
                 {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                 {"type":"tool_use","id":"call_2","name":"broken","input":{}}]"""));
        assertThat(out.get("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(out.get("model").asText()).isEqualTo("backend-model");
    }

    @Test
    void toolCallsOnlyWithNullContent() {
        JsonNode out = convert(completion("""
                {"role":"assistant","content":null,"tool_calls":[
                  {"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}""", "\"tool_calls\""));
        assertThat(out.get("content")).isEqualTo(json("[{\"type\":\"tool_use\",\"id\":\"c\",\"name\":\"f\",\"input\":{}}]"));
    }

    @Test
    void reasoningBecomesAThinkingBlockFirst() {
        JsonNode a = convert(completion("{\"role\":\"assistant\",\"content\":\"42\",\"reasoning_content\":\"Let me think\"}",
                "\"stop\""));
        assertThat(a.get("content")).isEqualTo(json(
                "[{\"type\":\"thinking\",\"thinking\":\"Let me think\"},{\"type\":\"text\",\"text\":\"42\"}]"));
        JsonNode b = convert(completion("{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"hmm\"}", "\"stop\""));
        assertThat(b.get("content")).isEqualTo(json("[{\"type\":\"thinking\",\"thinking\":\"hmm\"}]"));
    }

    @Test
    void emptyMessageGivesOneEmptyTextBlock() {
        JsonNode out = convert(completion("{\"role\":\"assistant\",\"content\":\"\"}", "\"stop\""));
        assertThat(out.get("content")).isEqualTo(json("[{\"type\":\"text\",\"text\":\"\"}]"));
    }

    @Test
    void modelFallsBackToRequestedThenUnknownAndUsageToZero() {
        String noModel = "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}";
        JsonNode out = json(AnthropicTranslator.toAnthropicResponse(utf8(noModel), "asked"));
        assertThat(out.get("model").asText()).isEqualTo("asked");
        assertThat(out.get("usage")).isEqualTo(json("{\"input_tokens\":0,\"output_tokens\":0}"));
        assertThat(json(AnthropicTranslator.toAnthropicResponse(utf8(noModel), null)).get("model").asText())
                .isEqualTo("unknown");
    }

    @Test
    void unusableBodiesThrow() {
        assertThatThrownBy(() -> AnthropicTranslator.toAnthropicResponse(utf8("<html>"), "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("failed to parse OpenAI response");
        assertThatThrownBy(() -> AnthropicTranslator.toAnthropicResponse(utf8("{\"choices\":[]}"), "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no choices in OpenAI response");
    }

    @Test
    void messageIdsAreUniqueBase58() {
        byte[] body = utf8(completion("{\"content\":\"x\"}", "\"stop\""));
        String a = json(AnthropicTranslator.toAnthropicResponse(body, "m")).get("id").asText();
        String b = json(AnthropicTranslator.toAnthropicResponse(body, "m")).get("id").asText();
        assertThat(a).isNotEqualTo(b);
        assertThat(MessageIds.base58(new byte[] {0, 0, 1})).isEqualTo("112");
        assertThat(MessageIds.base58(new byte[] {0})).isEqualTo("1");
        assertThat(MessageIds.base58(new byte[] {(byte) 0xff})).isEqualTo("5Q");
    }
}
