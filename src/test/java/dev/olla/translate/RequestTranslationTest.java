package dev.olla.translate;

import static dev.olla.translate.Sse.json;
import static dev.olla.translate.Sse.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestTranslationTest {

    static JsonNode translate(String anthropic) throws TranslationException {
        return json(AnthropicTranslator.toOpenAiRequest(AnthropicTranslator.parse(utf8(anthropic))));
    }

    @Test
    void minimalRequestKeepsModelMaxTokensAndStreamFalse() throws Exception {
        JsonNode out = translate("""
                {"model":"tiny-llama","max_tokens":8,"messages":[{"role":"user","content":"Hello"}]}""");
        assertThat(out).isEqualTo(json("""
                {"model":"tiny-llama","messages":[{"role":"user","content":"Hello"}],"max_tokens":8,"stream":false}"""));
    }

    @Test
    void streamingAsksForUsage() throws Exception {
        AnthropicRequest req = AnthropicTranslator.parse(utf8("""
                {"model":"m","max_tokens":3,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"""));
        assertThat(req.stream()).isTrue();
        assertThat(req.model()).isEqualTo("m");
        assertThat(req.maxTokens()).isEqualTo(3);
        String out = new String(AnthropicTranslator.toOpenAiRequest(req));
        assertThat(out).contains("\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    }

    @Test
    void samplingAndStopSequencesAreForwardedButTopKMetadataThinkingAreNot() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":10,"temperature":0.7,"top_p":0.9,"top_k":40,
                 "stop_sequences":["END","\\n\\n"],"metadata":{"user_id":"u"},
                 "thinking":{"type":"enabled","budget_tokens":1024},"output_config":{"x":1},
                 "messages":[{"role":"user","content":"Hi"}]}""");
        assertThat(out.get("temperature").doubleValue()).isEqualTo(0.7);
        assertThat(out.get("top_p").doubleValue()).isEqualTo(0.9);
        assertThat(out.get("stop")).isEqualTo(json("[\"END\",\"\\n\\n\"]"));
        assertThat(out.has("top_k")).isFalse();
        assertThat(out.has("metadata")).isFalse();
        assertThat(out.has("thinking")).isFalse();
        assertThat(out.has("output_config")).isFalse();
        assertThat(out.has("stop_sequences")).isFalse();
    }

    @Test
    void emptyStopSequencesAreLeftOut() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":10,"stop_sequences":[],"messages":[{"role":"user","content":"Hi"}]}""");
        assertThat(out.has("stop")).isFalse();
    }

    static Stream<Arguments> systems() {
        return Stream.of(
                Arguments.of("\"Be brief.\"", "Be brief."),
                Arguments.of("[{\"type\":\"text\",\"text\":\"Be \"},{\"type\":\"text\",\"text\":\"brief.\","
                        + "\"cache_control\":{\"type\":\"ephemeral\"}}]", "Be brief."),
                Arguments.of("[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"image\"},{\"type\":\"text\",\"text\":\"B\"}]",
                        "AB"));
    }

    @ParameterizedTest
    @MethodSource("systems")
    void systemBecomesTheFirstSystemMessage(String system, String expected) throws Exception {
        JsonNode out = translate("{\"model\":\"m\",\"max_tokens\":5,\"system\":" + system
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(out.get("messages")).isEqualTo(json("[{\"role\":\"system\",\"content\":\"" + expected
                + "\"},{\"role\":\"user\",\"content\":\"Hi\"}]"));
    }

    @ParameterizedTest
    @MethodSource("emptySystems")
    void emptySystemAddsNoMessage(String system) throws Exception {
        JsonNode out = translate("{\"model\":\"m\",\"max_tokens\":5,\"system\":" + system
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(out.get("messages")).hasSize(1);
    }

    static Stream<String> emptySystems() {
        return Stream.of("\"\"", "[]", "null", "[{\"type\":\"text\",\"text\":\"\"}]");
    }

    @Test
    void multiTurnConversationWithBlocks() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":50,"messages":[
                  {"role":"user","content":[{"type":"text","text":"Hello, "},{"type":"text","text":"world"}]},
                  {"role":"assistant","content":"Hi there"},
                  {"role":"assistant","content":[{"type":"text","text":"More "},{"type":"text","text":"text"}]},
                  {"role":"user","content":{"type":"text","text":"single block"}},
                  {"role":"user","content":""}
                ]}""");
        assertThat(out.get("messages")).isEqualTo(json("""
                [{"role":"user","content":"Hello, world"},
                 {"role":"assistant","content":"Hi there"},
                 {"role":"assistant","content":"More text"},
                 {"role":"user","content":"single block"}]"""));
    }

    @Test
    void toolUseAndToolResultRoundTrip() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":50,"messages":[
                  {"role":"user","content":"Weather in Paris and London?"},
                  {"role":"assistant","content":[
                    {"type":"text","text":"Let me check."},
                    {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
                    {"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"London","unit":"c"}}]},
                  {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},
                    {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"12C"}]},
                    {"type":"text","text":"Thanks!"}]}
                ]}""");
        assertThat(out.get("messages")).isEqualTo(json("""
                [{"role":"user","content":"Weather in Paris and London?"},
                 {"role":"assistant","content":"Let me check.","tool_calls":[
                   {"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                   {"id":"toolu_2","type":"function","function":{"name":"get_weather",
                     "arguments":"{\\"city\\":\\"London\\",\\"unit\\":\\"c\\"}"}}]},
                 {"role":"tool","tool_call_id":"toolu_1","content":"18C"},
                 {"role":"tool","tool_call_id":"toolu_2","content":"[{\\"type\\":\\"text\\",\\"text\\":\\"12C\\"}]"},
                 {"role":"user","content":"Thanks!"}]"""));
    }

    @Test
    void assistantWithOnlyToolsHasNullContent() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":50,"messages":[
                  {"role":"user","content":"go"},
                  {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"run","input":{}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1"}]}]}""");
        JsonNode assistant = out.get("messages").get(1);
        assertThat(assistant.has("content")).isTrue();
        assertThat(assistant.get("content").isNull()).isTrue();
        assertThat(assistant.at("/tool_calls/0/function/arguments").asText()).isEqualTo("{}");
        // A tool_result without content and without any user text: only the tool message.
        assertThat(out.get("messages")).hasSize(3);
        assertThat(out.get("messages").get(2)).isEqualTo(json("{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"\"}"));
    }

    static Stream<Arguments> toolErrors() {
        return Stream.of(
                Arguments.of("\"boom\"", "Error: boom"),
                Arguments.of("\"Error: already prefixed\"", "Error: already prefixed"),
                Arguments.of("\"error code 5\"", "error code 5"),
                Arguments.of("[{\"type\":\"text\",\"text\":\"x\"}]", "Error: [{\"type\":\"text\",\"text\":\"x\"}]"));
    }

    @ParameterizedTest
    @MethodSource("toolErrors")
    void toolResultErrorsArePrefixed(String content, String expected) throws Exception {
        JsonNode out = translate("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"is_error\":true,\"content\":" + content + "}]}]}");
        assertThat(out.at("/messages/0/content").asText()).isEqualTo(expected);
    }

    @Test
    void imagesBecomeImageUrlPartsInOrder() throws Exception {
        String body = """
                {"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
                  {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
                  {"type":"text","text":"What is this?"},
                  {"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}},
                  {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},
                  {"type":"image","source":{"type":"file","file_id":"file_123"}}]}]}""";
        AnthropicRequest req = AnthropicTranslator.parse(utf8(body));
        assertThat(req.hasImages()).isTrue();
        assertThat(json(AnthropicTranslator.toOpenAiRequest(req)).get("messages")).isEqualTo(json("""
                [{"role":"user","content":[
                  {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},
                  {"type":"text","text":"What is this?"},
                  {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]"""));
    }

    @Test
    void withoutImagesTheTextStaysOneString() throws Exception {
        AnthropicRequest req = AnthropicTranslator.parse(utf8("""
                {"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
                  {"type":"text","text":"A"},{"type":"document","source":{"type":"text","data":"x"}},
                  {"type":"text","text":"B"}]}]}"""));
        assertThat(json(AnthropicTranslator.toOpenAiRequest(req)).get("messages"))
                .isEqualTo(json("[{\"role\":\"user\",\"content\":\"AB\"}]"));
    }

    @Test
    void passthroughLimitationHelpers() throws Exception {
        AnthropicRequest plain = AnthropicTranslator.parse(utf8(
                "{\"model\":\"m\",\"max_tokens\":5,\"tools\":[],\"thinking\":null,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
        assertThat(plain.hasTools()).isFalse();
        assertThat(plain.hasThinking()).isFalse();
        assertThat(plain.hasImages()).isFalse();
        AnthropicRequest rich = AnthropicTranslator.parse(utf8("""
                {"model":"m","max_tokens":5,"thinking":{"type":"enabled","budget_tokens":2000},
                 "tools":[{"name":"t","input_schema":{"type":"object"}}],
                 "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"x",
                   "content":[{"type":"image","source":{"type":"url","url":"http://x/y.png"}}]}]}]}"""));
        assertThat(rich.hasTools()).isTrue();
        assertThat(rich.hasThinking()).isTrue();
        assertThat(rich.hasImages()).isTrue();
    }

    @Test
    void toolsBecomeFunctions() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
                 "tools":[{"name":"get_weather","description":"Weather by city",
                           "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                          {"name":"noop","input_schema":{"type":"object"}}]}""");
        assertThat(out.get("tools")).isEqualTo(json("""
                [{"type":"function","function":{"name":"get_weather","description":"Weather by city",
                   "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
                 {"type":"function","function":{"name":"noop","parameters":{"type":"object"}}}]"""));
        assertThat(out.has("tool_choice")).isFalse();
    }

    static Stream<Arguments> toolChoices() {
        return Stream.of(
                Arguments.of("{\"type\":\"auto\"}", "\"auto\""),
                Arguments.of("{\"type\":\"any\"}", "\"required\""),
                Arguments.of("{\"type\":\"none\"}", "\"none\""),
                Arguments.of("{\"type\":\"tool\",\"name\":\"get_weather\"}",
                        "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"),
                Arguments.of("{\"type\":\"auto\",\"disable_parallel_tool_use\":true}", "\"auto\""),
                Arguments.of("{\"type\":\"weird\"}", "\"auto\""),
                Arguments.of("\"any\"", "\"required\""),
                Arguments.of("\"none\"", "\"none\""),
                Arguments.of("\"whatever\"", "\"auto\""),
                Arguments.of("42", "\"auto\""));
    }

    @ParameterizedTest
    @MethodSource("toolChoices")
    void toolChoiceMapping(String choice, String expected) throws Exception {
        JsonNode out = translate("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":"
                + choice + "}");
        assertThat(out.get("tool_choice")).isEqualTo(json(expected));
    }

    @Test
    void toolChoiceWithoutToolsIsNotForwarded() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"any"}}""");
        assertThat(out.has("tool_choice")).isFalse();
        assertThat(out.has("tools")).isFalse();
    }

    @Test
    void toolChoiceToolWithoutNameIsRejected() {
        assertThatThrownBy(() -> AnthropicTranslator.parse(utf8("""
                {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
                 "tools":[{"name":"t","input_schema":{}}],"tool_choice":{"type":"tool"}}""")))
                .isInstanceOf(TranslationException.class)
                .hasMessage("failed to convert tool_choice: tool_choice type 'tool' requires 'name' field")
                .extracting(e -> ((TranslationException) e).status()).isEqualTo(400);
    }

    @Test
    void nonAsciiTextSurvives() throws Exception {
        JsonNode out = translate("""
                {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"héllo 🌍 \\u00e9"}]}""");
        assertThat(out.at("/messages/0/content").asText()).isEqualTo("héllo 🌍 é");
    }
}
