package dev.olla.translate;

import static dev.olla.translate.Sse.json;
import static dev.olla.translate.Sse.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorsTokensModelsTest {

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of(400, "invalid_request_error"),
                Arguments.of(401, "authentication_error"),
                Arguments.of(403, "permission_error"),
                Arguments.of(404, "not_found_error"),
                Arguments.of(413, "request_too_large"),
                Arguments.of(429, "rate_limit_error"),
                Arguments.of(408, "timeout_error"),
                Arguments.of(504, "timeout_error"),
                Arguments.of(529, "overloaded_error"),
                Arguments.of(500, "api_error"),
                Arguments.of(502, "api_error"),
                Arguments.of(503, "api_error"),
                Arguments.of(422, "api_error"));
    }

    @ParameterizedTest
    @MethodSource("statuses")
    void errorEnvelope(int status, String type) {
        byte[] out = AnthropicErrors.error(status, "went \"wrong\"", "req-1");
        assertThat(new String(out)).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"" + type
                + "\",\"message\":\"went \\\"wrong\\\"\"},\"request_id\":\"req-1\"}");
    }

    @Test
    void requestIdIsOptional() {
        assertThat(new String(AnthropicErrors.error(404, "no healthy endpoints available for model: x", null)))
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                        + "\"message\":\"no healthy endpoints available for model: x\"}}");
        assertThat(json(AnthropicErrors.error(500, "x", "")).has("request_id")).isFalse();
    }

    @Test
    void backendErrorKeepsTheBackendsMessage() {
        byte[] llama = utf8("{\"error\":{\"code\":400,\"message\":\"request (722 tokens) exceeds the available context size "
                + "(512 tokens), try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":722,\"n_ctx\":512}}");
        assertThat(json(AnthropicErrors.backendError(400, llama, "r"))).isEqualTo(json("""
                {"type":"error","error":{"type":"invalid_request_error",
                 "message":"request (722 tokens) exceeds the available context size (512 tokens), try increasing it"},
                 "request_id":"r"}"""));
        assertThat(json(AnthropicErrors.backendError(404, utf8("{\"error\":\"model 'x' not found\"}"), null))
                .at("/error/message").asText()).isEqualTo("model 'x' not found");
        assertThat(json(AnthropicErrors.backendError(500, utf8("Internal Server Error"), null)))
                .isEqualTo(json("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Backend error\"}}"));
        assertThat(json(AnthropicErrors.backendError(503, new byte[0], null)).at("/error/message").asText())
                .isEqualTo("Backend error");
        assertThat(json(AnthropicErrors.backendError(429, utf8("{\"error\":{\"code\":429}}"), null))
                .at("/error/type").asText()).isEqualTo("rate_limit_error");
    }

    @Test
    void countTokensOfPlainMessages() throws Exception {
        // "Hello, world" = 12 chars -> 3
        assertThat(new String(AnthropicLocal.countTokens(utf8(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}]}"))))
                .isEqualTo("{\"input_tokens\":3}");
    }

    @Test
    void countTokensCountsSystemBlocksToolsAndToolBlocks() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}";
        String body = "{\"model\":\"m\",\"system\":[{\"type\":\"text\",\"text\":\"0123456789\"}],"
                + "\"messages\":["
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"abcd\"},{\"type\":\"image\",\"source\":{}}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"get\",\"input\":{\"a\":1}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"result!\"},"
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":[{\"type\":\"text\",\"text\":\"nested\"}]}]}],"
                + "\"tools\":[{\"name\":\"get\",\"description\":\"Gets it\",\"input_schema\":" + schema + "}]}";
        int chars = 10 + 4 + (3 + "{\"a\":1}".length()) + 7 + 6 + (3 + 7 + schema.length());
        assertThat(json(AnthropicLocal.countTokens(utf8(body))).get("input_tokens").asInt()).isEqualTo(chars / 4);
        AnthropicRequest req = AnthropicTranslator.parse(utf8(body.replace("{\"model\":\"m\",",
                "{\"model\":\"m\",\"max_tokens\":5,")));
        assertThat(AnthropicLocal.estimateInputTokens(req)).isEqualTo(chars / 4);
    }

    @Test
    void countTokensIsAtLeastOneAndCountsUtf8Bytes() throws Exception {
        assertThat(new String(AnthropicLocal.countTokens(utf8("{\"model\":\"m\",\"messages\":[]}"))))
                .isEqualTo("{\"input_tokens\":1}");
        // "héé" is 5 UTF-8 bytes, plus "abc" -> 8 -> 2
        assertThat(new String(AnthropicLocal.countTokens(utf8(
                "{\"model\":\"m\",\"system\":\"abc\",\"messages\":[{\"role\":\"user\",\"content\":\"héé\"}]}"))))
                .isEqualTo("{\"input_tokens\":2}");
    }

    @Test
    void countTokensValidatesTheRequest() {
        String[][] cases = {
            {"{}", "model: field required"},
            {"{\"model\":\"\",\"messages\":[]}", "model: must be a non-empty string"},
            {"{\"model\":\"m\"}", "messages: field required"},
            {"{\"model\":\"m\",\"messages\":\"Hello\"}", "messages: Input should be a valid list"},
            {"{\"model\":\"m\",\"messages\":[\"Hello\"]}", "messages.0: must be an object"},
            {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages.0.content"},
            {"{\"model\":\"m\",\"messages\":[],\"system\":5}", "system:"},
            {"{\"model\":\"m\",\"messages\":[],\"tools\":{}}", "tools:"},
        };
        for (String[] c : cases) {
            TranslationException e = catchThrowableOfType(TranslationException.class,
                    () -> AnthropicLocal.countTokens(utf8(c[0])));
            assertThat(e).as(c[0]).isNotNull();
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).as(c[0]).startsWith(c[1]);
        }
    }

    @Test
    void countTokensRejectsBadJson() {
        for (String bad : new String[] {"", "{oops", "[1]", "\"s\""}) {
            TranslationException e = catchThrowableOfType(TranslationException.class,
                    () -> AnthropicLocal.countTokens(utf8(bad)));
            assertThat(e).as(bad).isNotNull();
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).startsWith("failed to parse request");
        }
    }

    @Test
    void modelsList() {
        Instant t = Instant.parse("2026-08-22T10:15:30.123456Z");
        assertThat(new String(AnthropicLocal.modelsList(List.of("llama3:8b", "qwen"), t))).isEqualTo(
                "{\"data\":[{\"type\":\"model\",\"id\":\"llama3:8b\",\"display_name\":\"llama3:8b\","
                        + "\"created_at\":\"2026-08-22T10:15:30Z\"},"
                        + "{\"type\":\"model\",\"id\":\"qwen\",\"display_name\":\"qwen\",\"created_at\":\"2026-08-22T10:15:30Z\"}],"
                        + "\"has_more\":false,\"first_id\":\"llama3:8b\",\"last_id\":\"qwen\"}");
        assertThat(new String(AnthropicLocal.modelsList(List.of(), t)))
                .isEqualTo("{\"data\":[],\"has_more\":false,\"first_id\":null,\"last_id\":null}");
    }
}
