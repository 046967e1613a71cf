package dev.olla.translate;

import static dev.olla.translate.Sse.concat;
import static dev.olla.translate.Sse.events;
import static dev.olla.translate.Sse.json;
import static dev.olla.translate.Sse.names;
import static dev.olla.translate.Sse.normalise;
import static dev.olla.translate.Sse.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.translate.Sse.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamConverterTest {

    static byte[] fixture(String name) {
        Path dir = Sse.fixtures();
        assumeTrue(dir != null, "shared/fixtures/llamacpp not found");
        return Sse.responseBody(dir.resolve(name));
    }

    static byte[] whole(byte[] body, String model, int estimate) {
        StreamConverter c = AnthropicTranslator.streamConverter(model, estimate);
        return concat(c.feed(body), c.finish());
    }

    static String chunk(String delta, String finish) {
        return "data: {\"choices\":[{\"finish_reason\":" + finish + ",\"index\":0,\"delta\":" + delta
                + "}],\"model\":\"backend\",\"object\":\"chat.completion.chunk\"}\n\n";
    }

    @Test
    void llamaCppStreamWithUsageMatchesTheAnthropicWireShape() {
        byte[] body = fixture("v1_chat_completions--stream-usage.txt");
        List<Event> ev = events(whole(body, "tiny-llama", 7));
        assertThat(names(ev)).containsExactly("message_start", "content_block_start",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        JsonNode start = ev.get(0).data();
        assertThat(start.at("/message/id").asText()).startsWith("msg_01");
        ((com.fasterxml.jackson.databind.node.ObjectNode) start.get("message")).put("id", "X");
        assertThat(start).isEqualTo(json("""
                {"type":"message_start","message":{"id":"X","type":"message","role":"assistant","content":[],
                 "model":"tiny-llama","stop_reason":null,"stop_sequence":null,
                 "usage":{"input_tokens":7,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}"""));
        assertThat(ev.get(1).data()).isEqualTo(json(
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
        assertThat(ev.get(2).data()).isEqualTo(json(
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" line\"}}"));
        String text = ev.subList(2, 10).stream().map(e -> e.data().at("/delta/text").asText()).collect(Collectors.joining());
        assertThat(text).isEqualTo(" line find set he well any many try");
        assertThat(ev.get(10).data()).isEqualTo(json("{\"type\":\"content_block_stop\",\"index\":0}"));
        assertThat(ev.get(11).data()).isEqualTo(json("""
                {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},
                 "usage":{"input_tokens":23,"output_tokens":8,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"""));
        assertThat(ev.get(12).data()).isEqualTo(json("{\"type\":\"message_stop\"}"));
    }

    @Test
    void withoutUpstreamUsageOutputTokensAreEstimated() {
        byte[] body = fixture("v1_chat_completions--stream.txt");
        List<Event> ev = events(whole(body, "tiny-llama", 5));
        JsonNode delta = ev.get(ev.size() - 2).data();
        String text = " line under write move model one know set";
        assertThat(delta.at("/usage/output_tokens").asInt()).isEqualTo(text.length() / 4);
        assertThat(delta.at("/usage/input_tokens").asInt()).isEqualTo(5);
        assertThat(delta.at("/delta/stop_reason").asText()).isEqualTo("max_tokens");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1_chat_completions--stream.txt", "v1_chat_completions--stream-usage.txt",
        "v1_chat_completions--stream-stop-string.txt"})
    void everyTwoWaySplitGivesTheSameOutput(String name) {
        byte[] body = fixture(name);
        String expected = normalise(whole(body, "tiny-llama", 3));
        for (int k = 0; k <= body.length; k++) {
            StreamConverter c = AnthropicTranslator.streamConverter("tiny-llama", 3);
            byte[] out = concat(c.feed(Arrays.copyOfRange(body, 0, k)), c.feed(Arrays.copyOfRange(body, k, body.length)),
                    c.finish());
            if (!normalise(out).equals(expected)) {
                assertThat(normalise(out)).as("split at byte %d", k).isEqualTo(expected);
            }
        }
    }

    @Test
    void byteAtATimeGivesTheSameOutputAndEmitsEachTokenOnItsLineEnd() {
        byte[] body = fixture("v1_chat_completions--stream-usage.txt");
        String expected = normalise(whole(body, "tiny-llama", 3));
        StreamConverter c = AnthropicTranslator.streamConverter("tiny-llama", 3);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < body.length; i++) {
            byte[] out = c.feed(new byte[] {body[i]});
            if (out.length > 0) {
                // Output appears exactly when a line completes: never held back, never early.
                assertThat(body[i]).as("output at byte %d", i).isEqualTo((byte) '\n');
            }
            all.append(new String(out, StandardCharsets.UTF_8));
        }
        all.append(new String(c.finish(), StandardCharsets.UTF_8));
        assertThat(normalise(all.toString().getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
    }

    @Test
    void eachFeedReturnsItsTokenImmediately() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 2);
        List<Event> first = events(c.feed(utf8(chunk("{\"role\":\"assistant\",\"content\":null}", "null"))));
        assertThat(names(first)).containsExactly("message_start");
        List<Event> second = events(c.feed(utf8(chunk("{\"content\":\"Hel\"}", "null"))));
        assertThat(names(second)).containsExactly("content_block_start", "content_block_delta");
        List<Event> third = events(c.feed(utf8(chunk("{\"content\":\"lo\"}", "null"))));
        assertThat(names(third)).containsExactly("content_block_delta");
        assertThat(third.get(0).data().at("/delta/text").asText()).isEqualTo("lo");
        assertThat(c.feed(utf8("data: [DONE]\n\n"))).isEmpty();
        assertThat(c.ended()).isFalse();
        List<Event> end = events(c.finish());
        assertThat(names(end)).containsExactly("content_block_stop", "message_delta", "message_stop");
        assertThat(end.get(1).data().at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(end.get(1).data().at("/usage/output_tokens").asInt()).isEqualTo(1); // 5 chars / 4
        assertThat(c.ended()).isTrue();
        assertThat(c.finish()).isEmpty();
        assertThat(c.feed(utf8(chunk("{\"content\":\"late\"}", "null")))).isEmpty();
    }

    @Test
    void crlfLinesDataWithoutSpaceGarbageAndDoneAreHandled() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 2);
        byte[] out = concat(
                c.feed(utf8(": keep-alive comment\r\n\r\n")),
                c.feed(utf8("data: {not json}\r\n\r\n")),
                c.feed(utf8("event: something\r\ndata:{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n")),
                c.feed(utf8("data: [DONE]\r\n\r\n")),
                c.finish());
        List<Event> ev = events(out);
        assertThat(names(ev)).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(ev.get(0).data().at("/message/model").asText()).isEqualTo("m");
    }

    @Test
    void multiByteCharactersSplitAcrossFeeds() {
        byte[] body = utf8(chunk("{\"content\":\"héllo 🌍\"}", "\"stop\""));
        String expected = normalise(whole(body, "m", 1));
        for (int k = 0; k <= body.length; k++) {
            StreamConverter c = AnthropicTranslator.streamConverter("m", 1);
            byte[] out = concat(c.feed(Arrays.copyOfRange(body, 0, k)), c.feed(Arrays.copyOfRange(body, k, body.length)),
                    c.finish());
            assertThat(normalise(out)).isEqualTo(expected);
        }
        assertThat(expected).contains("héllo 🌍");
    }

    @Test
    void thinkingThenTextOpensTwoBlocks() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 4);
        byte[] out = concat(
                c.feed(utf8(chunk("{\"reasoning_content\":\"Hmm\"}", "null"))),
                c.feed(utf8(chunk("{\"reasoning\":\", ok\"}", "null"))),
                c.feed(utf8(chunk("{\"content\":\"Answer\"}", "null"))),
                c.feed(utf8(chunk("{}", "\"stop\""))),
                c.finish());
        List<Event> ev = events(out);
        assertThat(names(ev)).containsExactly("message_start",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        assertThat(ev.get(1).data().get("content_block")).isEqualTo(json("{\"type\":\"thinking\",\"thinking\":\"\"}"));
        assertThat(ev.get(2).data().get("delta")).isEqualTo(json("{\"type\":\"thinking_delta\",\"thinking\":\"Hmm\"}"));
        assertThat(ev.get(3).data().get("delta")).isEqualTo(json("{\"type\":\"thinking_delta\",\"thinking\":\", ok\"}"));
        assertThat(ev.get(5).data().get("index").asInt()).isEqualTo(1);
        assertThat(ev.get(6).data()).isEqualTo(json(
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Answer\"}}"));
        assertThat(ev.get(8).data().at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(ev.get(0).data().at("/message/model").asText()).isEqualTo("backend");
    }

    /** OpenAI-style tool streaming: id+name first, then argument fragments; a text preamble before it. */
    @Test
    void toolCallsWithFragmentedArguments() {
        String[] chunks = {
            chunk("{\"role\":\"assistant\",\"content\":\"Let me check.\"}", "null"),
            chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}", "null"),
            chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"ci\"}}]}", "null"),
            chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ty\\\": \\\"Paris\\\"}\"}}]}", "null"),
            chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]}",
                    "null"),
            chunk("{}", "\"tool_calls\""),
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20}}\n\n",
            "data: [DONE]\n\n"};
        byte[] body = utf8(String.join("", chunks));
        String expected = normalise(whole(body, "m", 9));
        List<Event> ev = events(expected.getBytes(StandardCharsets.UTF_8));
        assertThat(names(ev)).containsExactly("message_start",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        assertThat(ev.get(4).data()).isEqualTo(json("""
                {"type":"content_block_start","index":1,
                 "content_block":{"type":"tool_use","id":"call_a","name":"get_weather","input":{}}}"""));
        assertThat(ev.get(5).data()).isEqualTo(json(
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"ci\"}}"));
        String args = ev.get(5).data().at("/delta/partial_json").asText() + ev.get(6).data().at("/delta/partial_json").asText();
        assertThat(json(args)).isEqualTo(json("{\"city\":\"Paris\"}"));
        assertThat(ev.get(8).data().at("/content_block/id").asText()).isEqualTo("call_b");
        assertThat(ev.get(8).data().get("index").asInt()).isEqualTo(2);
        assertThat(ev.get(9).data().at("/delta/partial_json").asText()).isEqualTo("{}");
        assertThat(ev.get(11).data()).isEqualTo(json("""
                {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},
                 "usage":{"input_tokens":50,"output_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"""));

        // Same output however the bytes are split.
        for (int k = 0; k <= body.length; k++) {
            StreamConverter c = AnthropicTranslator.streamConverter("m", 9);
            byte[] out = concat(c.feed(Arrays.copyOfRange(body, 0, k)), c.feed(Arrays.copyOfRange(body, k, body.length)),
                    c.finish());
            assertThat(normalise(out)).isEqualTo(expected);
        }
    }

    @Test
    void argumentsBeforeIdAndNameAreBufferedUntilBothArrive() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 1);
        assertThat(names(events(c.feed(utf8(
                chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}", "null"))))))
                .containsExactly("message_start");
        assertThat(c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"1\"}}]}",
                "null")))).isEmpty();
        List<Event> started = events(c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_9\"}]}", "null"))));
        assertThat(names(started)).containsExactly("content_block_start", "content_block_delta");
        assertThat(started.get(0).data().at("/content_block/name").asText()).isEqualTo("f");
        assertThat(started.get(1).data().at("/delta/partial_json").asText()).isEqualTo("{\"a\":1");
        List<Event> more = events(c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"}\"}}]}",
                "\"tool_calls\""))));
        assertThat(names(more)).containsExactly("content_block_delta");
        List<Event> end = events(c.finish());
        assertThat(names(end)).containsExactly("content_block_stop", "message_delta", "message_stop");
        assertThat(end.get(1).data().at("/usage/output_tokens").asInt()).isEqualTo(1); // 7 chars / 4
    }

    @Test
    void aToolThatNeverGetsAnIdIsFlushedByFinishWithAGeneratedId() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 1);
        c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}", "null")));
        List<Event> end = events(c.finish());
        assertThat(names(end)).containsExactly("content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        assertThat(end.get(0).data().at("/content_block/id").asText()).startsWith("toolu_01");
    }

    @Test
    void argumentsForAClosedToolBlockProduceAnErrorEventAndEndTheStream() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 1);
        c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}",
                "null")));
        c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}",
                "null")));
        List<Event> ev = events(c.feed(utf8(
                chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"}\"}}]}", "null")
                        + chunk("{\"content\":\"ignored\"}", "null"))));
        assertThat(names(ev)).containsExactly("error");
        assertThat(ev.get(0).data().at("/error/type").asText()).isEqualTo("api_error");
        assertThat(c.ended()).isTrue();
        assertThat(c.feed(utf8(chunk("{\"content\":\"x\"}", "null")))).isEmpty();
        assertThat(c.finish()).isEmpty();
    }

    @Test
    void wholeToolCallsReusingIndexZeroWithNewIdsAreSeparateBlocks() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 1);
        byte[] out = concat(
                c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}",
                        "null"))),
                c.feed(utf8(chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}",
                        "\"tool_calls\""))),
                c.finish());
        List<Event> ev = events(out);
        assertThat(names(ev)).containsExactly("message_start",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(ev.get(4).data().at("/content_block/id").asText()).isEqualTo("b");
    }

    @Test
    void finishAfterATruncatedStreamClosesEverything() {
        byte[] body = fixture("v1_chat_completions--stream-usage.txt");
        String s = new String(body, StandardCharsets.UTF_8);
        int cut = s.indexOf("data:", s.indexOf(" well")) + 30; // in the middle of the line after " well"
        StreamConverter c = AnthropicTranslator.streamConverter("tiny-llama", 6);
        List<Event> ev = events(concat(c.feed(Arrays.copyOfRange(body, 0, cut)), c.finish()));
        assertThat(names(ev)).endsWith("content_block_delta", "content_block_stop", "message_delta", "message_stop");
        String text = ev.stream().filter(e -> e.name().equals("content_block_delta"))
                .map(e -> e.data().at("/delta/text").asText()).collect(Collectors.joining());
        assertThat(text).isEqualTo(" line find set he well");
        JsonNode delta = ev.get(ev.size() - 2).data();
        assertThat(delta.at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(delta.at("/usage/input_tokens").asInt()).isEqualTo(6);
        assertThat(delta.at("/usage/output_tokens").asInt()).isEqualTo(text.length() / 4);
    }

    @Test
    void finishOnAnEmptyStreamStillSendsAWholeMessage() {
        StreamConverter c = AnthropicTranslator.streamConverter("asked", 12);
        List<Event> ev = events(c.finish());
        assertThat(names(ev)).containsExactly("message_start", "message_delta", "message_stop");
        assertThat(ev.get(0).data().at("/message/model").asText()).isEqualTo("asked");
        assertThat(ev.get(1).data().at("/usage/output_tokens").asInt()).isEqualTo(1);
        assertThat(ev.get(1).data().at("/usage/input_tokens").asInt()).isEqualTo(12);
    }

    @Test
    void anUnterminatedLastLineIsProcessedAtFinish() {
        StreamConverter c = AnthropicTranslator.streamConverter("m", 1);
        String line = chunk("{\"content\":\"tail\"}", "\"stop\"").trim(); // no trailing newline
        assertThat(c.feed(utf8(line))).isEmpty();
        List<Event> ev = events(c.finish());
        assertThat(names(ev)).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
    }
}
