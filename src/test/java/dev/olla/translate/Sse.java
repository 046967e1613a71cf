package dev.olla.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: Anthropic SSE output parsing, fixture bodies, JSON. */
final class Sse {
    static final ObjectMapper MAPPER = new ObjectMapper();

    record Event(String name, JsonNode data) {}

    private Sse() {}

    static JsonNode json(byte[] bytes) {
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String s) {
        return json(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses {@code event: X\ndata: J\n\n} frames, asserting the exact framing. */
    static List<Event> events(byte[] sse) {
        String s = new String(sse, StandardCharsets.UTF_8);
        List<Event> out = new ArrayList<>();
        if (s.isEmpty()) {
            return out;
        }
        assertThat(s).endsWith("\n\n");
        for (String frame : s.substring(0, s.length() - 2).split("\n\n", -1)) {
            String[] lines = frame.split("\n", -1);
            assertThat(lines).hasSize(2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            String name = lines[0].substring(7);
            JsonNode data = json(lines[1].substring(6));
            // Anthropic puts the event name in data.type too.
            assertThat(data.path("type").asText()).isEqualTo(name);
            out.add(new Event(name, data));
        }
        return out;
    }

    static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }

    /** Message ids are random: normalise them so two runs compare equal. */
    static String normalise(byte[] sse) {
        return new String(sse, StandardCharsets.UTF_8)
                .replaceAll("msg_01[1-9A-HJ-NP-Za-km-z]+", "msg_ID")
                .replaceAll("toolu_01[1-9A-HJ-NP-Za-km-z]+", "toolu_ID");
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** The fixtures directory, or null when this checkout has no shared fixtures. */
    static Path fixtures() {
        for (String p : new String[] {"../shared/fixtures/llamacpp", "/work/shared/fixtures/llamacpp"}) {
            Path path = Path.of(p);
            if (Files.isDirectory(path)) {
                return path;
            }
        }
        return null;
    }

    /** The response body of a capture: the bytes after the first CRLFCRLF following {@code <<< RESPONSE}. */
    static byte[] responseBody(Path capture) {
        try {
            byte[] all = Files.readAllBytes(capture);
            String latin = new String(all, StandardCharsets.ISO_8859_1);
            int resp = latin.indexOf("<<< RESPONSE");
            int body = latin.indexOf("\r\n\r\n", resp) + 4;
            byte[] out = new byte[all.length - body];
            System.arraycopy(all, body, out, 0, out.length);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
