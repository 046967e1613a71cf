package dev.olla.translate;

import static dev.olla.translate.Sse.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ValidationTest {

    private static final String MSGS = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static Stream<Arguments> invalid() {
        return Stream.of(
                // model (checked first, like the original's handler)
                Arguments.of("", "model field is required (body may not be valid JSON)"),
                Arguments.of("{not json", "model field is required (body may not be valid JSON)"),
                Arguments.of("[1,2]", "model field is required (body may not be valid JSON)"),
                Arguments.of("{\"max_tokens\":5," + MSGS + "}", "model field is required (body may not be valid JSON)"),
                Arguments.of("{\"model\":null,\"max_tokens\":5}", "model field is required (body may not be valid JSON)"),
                Arguments.of("{\"model\":42}", "model field must be a string, got float64"),
                Arguments.of("{\"model\":true}", "model field must be a string, got bool"),
                Arguments.of("{\"model\":[\"a\"]}", "model field must be a string, got []interface {}"),
                Arguments.of("{\"model\":{\"a\":1}}", "model field must be a string, got map[string]interface {}"),
                Arguments.of("{\"model\":\"\"," + MSGS + "}", "model field must not be empty"),
                // validation
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5}", "invalid request: at least one message is required"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[]}",
                        "invalid request: at least one message is required"),
                Arguments.of("{\"model\":\"m\"," + MSGS + "}", "invalid request: max_tokens must be at least 1, got 0"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":0," + MSGS + "}",
                        "invalid request: max_tokens must be at least 1, got 0"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":-3," + MSGS + "}",
                        "invalid request: max_tokens must be at least 1, got -3"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"temperature\":2.5," + MSGS + "}",
                        "invalid request: temperature must be between 0 and 2, got 2.500000"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"temperature\":-0.1," + MSGS + "}",
                        "invalid request: temperature must be between 0 and 2, got -0.100000"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"top_p\":1.5," + MSGS + "}",
                        "invalid request: top_p must be between 0 and 1, got 1.500000"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"top_k\":-1," + MSGS + "}",
                        "invalid request: top_k must be non-negative, got -1"),
                // field types
                Arguments.of("{\"model\":\"m\",\"max_tokens\":\"5\"," + MSGS + "}",
                        "failed to parse Anthropic request: max_tokens must be an integer, got string"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":1.5," + MSGS + "}",
                        "failed to parse Anthropic request: max_tokens must be an integer, got float64"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"messages\":\"hi\"}",
                        "failed to parse Anthropic request: messages must be an array, got string"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"stream\":\"yes\"," + MSGS + "}",
                        "failed to parse Anthropic request: stream must be a boolean, got string"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\"}]}",
                        "failed to convert messages: invalid content type: <nil>"),
                Arguments.of("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":7}]}",
                        "failed to convert messages: invalid content type: float64"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalid")
    void rejectedWithTheOriginalsText(String body, String message) {
        TranslationException e = catchThrowableOfType(TranslationException.class,
                () -> AnthropicTranslator.parse(utf8(body)));
        assertThat(e).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo(message);
    }

    static Stream<String> valid() {
        return Stream.of(
                "{\"model\":\"m\",\"max_tokens\":1," + MSGS + "}",
                "{\"model\":\"m\",\"max_tokens\":1,\"temperature\":0,\"top_p\":0,\"top_k\":0," + MSGS + "}",
                "{\"model\":\"m\",\"max_tokens\":1,\"temperature\":2,\"top_p\":1,\"top_k\":500," + MSGS + "}",
                "{\"model\":\"m\",\"max_tokens\":1,\"temperature\":null,\"stream\":null,\"system\":null," + MSGS + "}",
                // unknown fields are accepted (anthropic-version-era extras like output_config)
                "{\"model\":\"m\",\"max_tokens\":1,\"output_config\":{\"effort\":\"low\"},\"service_tier\":\"auto\","
                        + MSGS + "}");
    }

    @ParameterizedTest
    @MethodSource("valid")
    void accepted(String body) throws Exception {
        assertThat(AnthropicTranslator.parse(utf8(body)).model()).isEqualTo("m");
    }

    @Test
    void jsonKeepsTheWholeRequest() throws Exception {
        AnthropicRequest req = AnthropicTranslator.parse(utf8("{\"model\":\"m\",\"max_tokens\":1,\"x\":{\"y\":2}," + MSGS + "}"));
        assertThat(req.json().at("/x/y").asInt()).isEqualTo(2);
        assertThat(req.stream()).isFalse();
        assertThat(req.messages()).hasSize(1);
    }
}
