package dev.olla.proxy;

import static dev.olla.proxy.ProxyStreamingTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.RawHttp;
import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The transforming relay stage (the Anthropic translator) against a compressing backend and a slow client. */
class TranslatedRelayTest {
    static final ObjectMapper JSON = new ObjectMapper();

    SimulatedBackend sim;
    TestOlla olla;

    @AfterEach
    void stop() {
        if (olla != null) {
            olla.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    static String request(boolean stream) {
        return "{\"model\":\"gpt-oss-20b\",\"max_tokens\":16,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aGzippingBackendIsAskedForIdentityAndTranslationWorks(String engine) throws Exception {
        sim = SimulatedBackend.builder(SimFlavor.OPENAI).host("127.0.0.1").port(0).modelNames("gpt-oss-20b").tokens(4)
                .compress(true).build().start();
        olla = TestOlla.builder().engine(engine).endpoint("oa", sim.baseUrl(), "openai-compatible").start();

        HttpResponse<String> whole = olla.post("/olla/anthropic/v1/messages", request(false));
        assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
        JsonNode msg = JSON.readTree(whole.body());
        assertThat(msg.path("type").asText()).isEqualTo("message");
        assertThat(msg.path("content").get(0).path("text").asText()).contains("tok0");
        assertThat(sim.stats().lastRequest().header("accept-encoding")).isEqualTo("identity");

        try (RawHttp c = new RawHttp(olla.port())) {
            c.sendRaw(("POST /olla/anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Accept-Encoding: gzip, deflate\r\nContent-Length: " + request(true).length() + "\r\n\r\n"
                    + request(true)).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(c.readUntil("event: message_stop", 5000)).as(c.text()).isTrue();
            assertThat(c.text()).contains("event: content_block_delta").contains("tok3");
            assertThat(c.text().toLowerCase()).doesNotContain("content-encoding");
        }
        assertThat(sim.stats().lastRequest().header("accept-encoding")).isEqualTo("identity");
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"olla"}) // the stage is the same for both engines; sherpa's 8 KiB reads are too slow
    // to fill the kernel's autotuned loopback buffers (~4 MiB) in bounded time on a loaded 2-core machine
    void aSlowClientOnATranslatedStreamPausesTheBackend(String engine) throws Exception {
        // An OpenAI event stream far bigger than the kernel's socket buffers, written at full speed.
        int tokens = 60_000;
        try (ScriptedBackend backend = new ScriptedBackend((r, out) -> {
            out.write(ScriptedBackend.ascii("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n"));
            for (int i = 0; i < tokens; i++) {
                out.write(chunk("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok" + i + " \"},\"finish_reason\":null}]}"));
            }
            out.write(chunk("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                    + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
            out.write(chunk("[DONE]"));
            out.write(ScriptedBackend.ascii("0\r\n\r\n"));
            return true;
        })) {
            olla = TestOlla.builder().engine(engine).endpoint("oa", backend.url(), "openai-compatible",
                    "health_check_url", backend.url() + "/health").start();
            try (RawHttp c = new RawHttp(olla.port(), 4096)) {
                c.send("POST", "/olla/anthropic/v1/messages", request(true).replace("gpt-oss-20b", ScriptedBackend.MODEL));
                awaitTrue(() -> olla.olla().proxy().stats().backpressurePauses() > 0, 40_000);
                assertThat(c.readUntil("event: message_stop", 60_000)).isTrue();
                String text = c.text();
                assertThat(text).contains("tok" + (tokens - 1) + " ");
                assertThat(text.indexOf("tok100 ")).isLessThan(text.indexOf("tok" + (tokens - 1) + " "));
            }
        }
    }

    private static byte[] chunk(String data) {
        String event = "data: " + data + "\n\n";
        return ScriptedBackend.ascii(Integer.toHexString(event.length()) + "\r\n" + event + "\r\n");
    }
}
