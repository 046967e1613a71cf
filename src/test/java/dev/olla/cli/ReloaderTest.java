package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.Olla;
import dev.olla.TestOlla;
import dev.olla.config.OllaConfig;
import dev.olla.sim.SimBackends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reload triggers: SIGHUP to this very process, the file watch, and an invalid file rejected. */
class ReloaderTest {
    @TempDir
    Path dir;
    final SimBackends sims = new SimBackends();
    Olla olla;
    Reloader reloader;

    @AfterEach
    void stop() {
        if (reloader != null) {
            reloader.close();
        }
        if (olla != null) {
            olla.close();
        }
        sims.close();
    }

    String sim() {
        return sims.ollama(1, "llama3.2:3b").baseUrl();
    }

    static String config(String... endpoints) {
        StringBuilder b = new StringBuilder("""
                server:
                  host: 127.0.0.1
                  port: 40114
                logging:
                  level: warn
                discovery:
                  static:
                    endpoints:
                """);
        for (int i = 0; i < endpoints.length; i += 2) {
            b.append("      - {name: ").append(endpoints[i]).append(", url: \"").append(endpoints[i + 1])
                    .append("\", type: ollama, check_interval: 5s, check_timeout: 2s}\n");
        }
        return b.toString();
    }

    Path start(String yaml, boolean watch) throws Exception {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, yaml);
        Startup.Attempt a = Startup.attempt(file, Map.of());
        assertThat(a.problems()).isEmpty();
        olla = Olla.start(TestOlla.ephemeralPort(a.loaded().config().config()), a.loaded().profiles());
        reloader = new Reloader(olla, file, Map.of(), file);
        reloader.start(new OllaConfig.Reload(watch, Duration.ofMillis(200)));
        return file;
    }

    List<String> names() {
        return olla.endpoints().all().stream().map(s -> s.name()).toList();
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!cond.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void sighupReloadsTheFileAndAnInvalidOneIsRejectedWhileTheRunningOneServes() throws Exception {
        String a = sim();
        String b = sim();
        Path file = start(config("a", a), false);
        assertThat(names()).containsExactly("a");

        Files.writeString(file, config("a", a, "b", b));
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
        assertThat(kill.waitFor()).isZero();
        await("SIGHUP to add endpoint b", () -> names().equals(List.of("a", "b")));

        // invalid: an unknown endpoint type and a bad port, the same problems start-up reports
        Files.writeString(file, config("a", a, "b", b).replace("port: 40114", "port: 70000")
                .replace("type: ollama, check_interval: 5s, check_timeout: 2s}\n", "type: llama-farm}\n"));
        Startup.Attempt bad = Startup.attempt(file, Map.of());
        assertThat(bad.problems()).anyMatch(p -> p.contains("server.port")).anyMatch(p -> p.contains("type"));
        assertThat(reloader.reloadNow()).isFalse();
        assertThat(names()).containsExactly("a", "b");
        int port = olla.port();
        var r = TestOlla.client().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/olla/ollama/api/tags")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void theFileWatchReloadsWhenTheContentsChange() throws Exception {
        String a = sim();
        String c = sim();
        Path file = start(config("a", a), true);
        Files.writeString(file, config("c", c));
        await("the watch to swap a for c", () -> names().equals(List.of("c")));
    }
}
