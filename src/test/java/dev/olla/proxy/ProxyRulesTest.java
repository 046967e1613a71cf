package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig;
import dev.olla.config.OllaConfig.ProxyProfile;
import dev.olla.endpoint.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Path rules, the stream decision and the request body scan. */
class ProxyRulesTest {
    static Endpoint ep(String url, boolean preserve) {
        return new Endpoint("e", URI.create(url), "openai-compatible", 100, preserve, URI.create(url + "/health"),
                URI.create(url + "/v1/models"), Duration.ofSeconds(5), Duration.ofSeconds(2), OllaConfig.Filter.ALL,
                Map.of(), Set.of());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "http://h:1        | false | /v1/chat | x=1 | /v1/chat?x=1",
        "http://h:1/       | false | /v1/chat |     | /v1/chat",
        "http://h:1/api/v2 | false | /v1/chat |     | /v1/chat",
        "http://h:1/api/v2 | true  | /v1/chat | a=b | /api/v2/v1/chat?a=b",
        "http://h:1/api/v2 | true  | /../../admin |  | /api/v2/admin",
        "http://h:1/api/v2 | true  | /%2e%2e/admin |  | /api/v2/admin",
        "http://h:1        | false | /a/./b/../c |   | /a/c",
        "http://h:1        | false |          |     | /",
    })
    void pathRules(String url, boolean preserve, String rest, String query, String expected) {
        assertThat(PathRules.targetUri(ep(url.trim(), preserve), rest == null ? "" : rest.trim(),
                query == null ? null : query.trim())).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "AUTO      | text/event-stream                 |       | true",
        "AUTO      | application/x-ndjson              | false | true",
        "AUTO      | application/json                  | false | false",
        "AUTO      | application/json                  | true  | true",
        "AUTO      | application/json                  |       | true",
        "AUTO      | image/png                         | true  | false",
        "AUTO      | application/octet-stream          | true  | false",
        "STREAMING | application/json                  | false | true",
        "STANDARD  | text/event-stream                 | true  | false",
    })
    void streamDecision(ProxyProfile profile, String contentType, Boolean requested, boolean expected) {
        assertThat(StreamPolicy.stream(profile, contentType, requested)).isEqualTo(expected);
    }

    static RequestInspector.Inspected scan(String json) {
        HttpHeaders h = new DefaultHttpHeaders().set("Content-Type", "application/json");
        ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return RequestInspector.inspect(h, body);
        } finally {
            body.release();
        }
    }

    @Test
    void inspectorFindsTopLevelModelAndStreamOnly() {
        var r = scan("{\"messages\":[{\"model\":\"nested\",\"stream\":true}],\"options\":{\"model\":\"x\"},"
                + "\"model\" : \"Llama3.2:3B \", \"stream\":false}");
        assertThat(r.model()).isEqualTo("Llama3.2:3B ");
        assertThat(r.routingModel()).isEqualTo("llama3.2:3b");
        assertThat(r.stream()).isFalse();
        String json = "{\"a\":\"\\\"model\\\":\\\"fake\\\"\",\"model\":\"real\"}";
        var e = scan(json);
        assertThat(e.model()).isEqualTo("real");
        assertThat(json.substring(e.modelStart(), e.modelEnd())).isEqualTo("\"real\"");
        assertThat(scan("{\"model\":\"caf\\u00e9\"}").model()).isEqualTo("café");
        assertThat(scan("{\"prompt\":\"hi\"}").model()).isNull();
        assertThat(scan("[1,2]").model()).isNull();
        assertThat(scan("{\"stream\":true}").stream()).isTrue();
    }

    @Test
    void inspectorWorksAcrossBufferBoundariesAndLargeBodies() {
        String pad = "x".repeat(3_000_000);
        String json = "{\"messages\":[{\"content\":\"" + pad + "\"}],\"model\":\"after-a-big-body\",\"stream\":true}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        for (int i = 0; i < bytes.length; i += 8191) {
            composite.addComponent(true, Unpooled.wrappedBuffer(bytes, i, Math.min(8191, bytes.length - i)));
        }
        try {
            var r = RequestInspector.inspect(new DefaultHttpHeaders().set("Content-Type", "application/json"), composite);
            assertThat(r.model()).isEqualTo("after-a-big-body");
            assertThat(r.stream()).isTrue();
        } finally {
            composite.release();
        }
    }

    @Test
    void inspectorReadsDirectBuffersAcrossItsCopyWindowsTheSameAsHeapArrays() {
        String longModel = "org/" + "m".repeat(200) + ":q4_K_M"; // longer than the model buffer's first size
        for (int pad = 4040; pad < 4110; pad += 3) { // the model value, escapes and keys cut by the 4 KiB window
            String json = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(pad)
                    + "\\\"q\\\\\"}],\"mo\\u0064el\":\"no\",\"model\":\"" + longModel + "\",\"stream\":true}";
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            ByteBuf heap = Unpooled.wrappedBuffer(bytes);
            ByteBuf direct = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
            try {
                HttpHeaders h = new DefaultHttpHeaders().set("Content-Type", "application/json");
                var a = RequestInspector.inspect(h, heap);
                var b = RequestInspector.inspect(h, direct);
                assertThat(b).as("pad %d", pad).isEqualTo(a);
                assertThat(a.model()).isEqualTo(longModel);
                assertThat(a.stream()).isTrue();
                assertThat(json.substring(a.modelStart(), a.modelEnd())).isEqualTo("\"" + longModel + "\"");
                assertThat(a.contextStart()).isEqualTo(json.indexOf('['));
            } finally {
                heap.release();
                direct.release();
            }
        }
    }

    @Test
    void inspectorScansAnObjectWhateverTheContentType() {
        for (String ct : new String[] {"application/x-www-form-urlencoded", "text/plain"}) {
            ByteBuf body = Unpooled.copiedBuffer(" \n\t{\"model\":\"phi4:14b\",\"stream\":false}", StandardCharsets.UTF_8);
            try {
                var r = RequestInspector.inspect(new DefaultHttpHeaders().set("Content-Type", ct), body);
                assertThat(r.model()).as(ct).isEqualTo("phi4:14b");
                assertThat(r.stream()).isFalse();
            } finally {
                body.release();
            }
        }
        ByteBuf form = Unpooled.copiedBuffer("model=phi4&stream=true", StandardCharsets.UTF_8);
        try {
            var r = RequestInspector.inspect(new DefaultHttpHeaders().set("Content-Type",
                    "application/x-www-form-urlencoded"), form);
            assertThat(r.model()).isNull();
        } finally {
            form.release();
        }
    }
}
