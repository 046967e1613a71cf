package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@code olla demo}: the three curl commands it prints answer, and so does every curl example of the README. */
class DemoTest {
    @Test
    void theDemosCurlCommandsAnswer() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CompletableFuture<Integer> demo = CompletableFuture.supplyAsync(
                () -> Main.run("demo", "--port", String.valueOf(port), "--token-delay-ms", "10", "--exit-after", "12"));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://localhost:" + port;
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            try {
                client.send(HttpRequest.newBuilder(URI.create(base + "/internal/health")).build(),
                        HttpResponse.BodyHandlers.discarding());
                break;
            } catch (java.io.IOException e) {
                assertThat(System.currentTimeMillis()).as("demo started").isLessThan(deadline);
                Thread.sleep(100);
            }
        }
        ObjectMapper json = new ObjectMapper();
        // 1. chat completion
        HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(base + "/olla/openai/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(json.readTree(chat.body()).path("choices").get(0).path("message").path("content").asText()).isNotEmpty();
        // 2. streamed chat (NDJSON lines)
        HttpResponse<java.util.stream.Stream<String>> stream = client.send(
                HttpRequest.newBuilder(URI.create(base + "/olla/ollama/api/chat"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        List<String> lines = stream.body().toList();
        assertThat(lines.size()).isGreaterThan(5);
        assertThat(lines.get(lines.size() - 1)).contains("\"done\":true");
        // 3. the model list
        HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(base + "/olla/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(models.statusCode()).isEqualTo(200);
        JsonNode data = json.readTree(models.body()).path("data");
        assertThat(data.size()).isGreaterThanOrEqualTo(4);
        // every curl example of the README answers as the README says
        List<ReadmeCurl> examples = ReadmeCurl.fromReadme(java.nio.file.Path.of("README.md"));
        assertThat(examples).hasSizeGreaterThanOrEqualTo(10);
        for (ReadmeCurl c : examples) {
            HttpResponse<String> r = client.send(c.request(port), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(c + " -> " + r.body()).isEqualTo(200);
            c.check(r.body(), json);
        }
        assertThat(demo.get()).isZero();
    }
}
