package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code curl} example from the README (one command, continuation lines joined), as an HTTP request
 * against a given port, with what the README says it answers.
 */
record ReadmeCurl(String url, Map<String, String> headers, String body, String line) {

    /** Every {@code curl ...} command in the file's code blocks. */
    static List<ReadmeCurl> fromReadme(Path readme) throws IOException {
        List<ReadmeCurl> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(readme);
        boolean code = false;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("```")) {
                code = !code;
                continue;
            }
            if (!code || !l.startsWith("curl ")) {
                continue;
            }
            StringBuilder cmd = new StringBuilder(l);
            while (cmd.toString().stripTrailing().endsWith("\\") && i + 1 < lines.size()) {
                String s = cmd.toString().stripTrailing();
                cmd.setLength(0);
                cmd.append(s, 0, s.length() - 1).append(' ').append(lines.get(++i).strip());
            }
            out.add(parse(cmd.toString()));
        }
        return out;
    }

    /** Shell words of one curl command (quotes, no expansion; stops at a comment). */
    static ReadmeCurl parse(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                w = w == null ? new StringBuilder() : w;
            } else if (c == '#' && w == null) {
                break;
            } else if (Character.isWhitespace(c)) {
                if (w != null) {
                    words.add(w.toString());
                    w = null;
                }
            } else {
                w = w == null ? new StringBuilder() : w;
                w.append(c);
            }
        }
        if (w != null) {
            words.add(w.toString());
        }
        String url = null;
        String body = null;
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < words.size(); i++) {
            String a = words.get(i);
            switch (a) {
                case "-H" -> {
                    String h = words.get(++i);
                    int colon = h.indexOf(':');
                    headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
                }
                case "-d", "--data" -> body = words.get(++i);
                case "-s", "-N", "-sN" -> { }
                default -> {
                    if (a.startsWith("http")) {
                        url = a;
                    } else {
                        throw new IllegalArgumentException("README curl option not understood: " + a + " in " + command);
                    }
                }
            }
        }
        return new ReadmeCurl(url, headers, body, command);
    }

    /** The request, with the README's port 40114 replaced. */
    HttpRequest request(int port) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.replace(":40114", ":" + port)))
                .timeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        if (body != null) {
            b.POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return b.build();
    }

    /** What the README says the answer is. */
    void check(String answer, ObjectMapper json) throws IOException {
        String path = URI.create(url).getPath();
        boolean stream = body != null && (body.contains("\"stream\":true") || path.endsWith("/api/chat"));
        if (path.endsWith("/api/chat")) {
            String[] lines = answer.strip().split("\n");
            assertThat(lines.length).as(line).isGreaterThan(3);
            assertThat(json.readTree(lines[lines.length - 1]).path("done").asBoolean()).as(line).isTrue();
            assertThat(json.readTree(lines[0]).path("message").path("content").asText()).as(line).isNotEmpty();
        } else if (path.endsWith("/chat/completions") && stream) {
            assertThat(answer).as(line).contains("data: {").contains("chat.completion.chunk").contains("data: [DONE]");
        } else if (path.endsWith("/chat/completions")) {
            assertThat(json.readTree(answer).path("choices").get(0).path("message").path("content").asText()).as(line)
                    .isNotEmpty();
        } else if (path.endsWith("/anthropic/v1/messages")) {
            JsonNode m = json.readTree(answer);
            assertThat(m.path("type").asText()).as(line + " " + answer).isEqualTo("message");
            assertThat(m.path("content").get(0).path("text").asText()).as(line).isNotEmpty();
        } else if (path.endsWith("/api/tags")) {
            assertThat(json.readTree(answer).path("models").size()).as(line).isGreaterThanOrEqualTo(3);
        } else if (path.endsWith("/models")) {
            assertThat(json.readTree(answer).path("data").size()).as(line).isGreaterThanOrEqualTo(4);
        } else if (path.equals("/internal/health")) {
            assertThat(json.readTree(answer).path("status").asText()).as(line).isEqualTo("healthy");
        } else if (path.equals("/internal/status/endpoints")) {
            assertThat(answer).as(line).contains("ollama-gpu0").contains("ollama-gpu1").contains("vllm-box");
        } else {
            throw new AssertionError("no expectation for README example " + line);
        }
    }

    @Override
    public String toString() {
        return line;
    }
}
