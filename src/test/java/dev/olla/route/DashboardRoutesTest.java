package dev.olla.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.RawHttp;
import dev.olla.TestOlla;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** /internal/ui/: files from the jar, the access policy, security headers, caching. */
class DashboardRoutesTest {
    static final String SIM_FREE = "http://127.0.0.1:9"; // nothing listens: the dashboard needs no backend

    @Test
    void servesThePageAndItsFilesWithSecurityHeadersAndEtags() throws Exception {
        try (TestOlla olla = TestOlla.builder().endpoint("one", SIM_FREE, "ollama").start()) {
            HttpResponse<String> page = olla.get("/internal/ui/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<title>Olla dashboard</title>").contains("app.js");
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
            assertThat(page.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
            assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
                    .contains("script-src 'self'").contains("frame-ancestors 'none'");
            String etag = page.headers().firstValue("ETag").orElseThrow();
            HttpResponse<String> again = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/internal/ui/"))
                    .header("If-None-Match", etag).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(304);

            HttpResponse<String> js = olla.get("/internal/ui/app.js");
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(js.headers().firstValue("Cache-Control")).hasValue("public, max-age=3600");
            assertThat(js.body()).contains("/internal/status");

            assertThat(olla.get("/internal/ui/endpoints").body()).as("page paths get the page").contains("<title>");
            assertThat(olla.get("/internal/ui/nope.js").statusCode()).isEqualTo(404);

            HttpResponse<String> slashless = TestOlla.client().send(HttpRequest.newBuilder(olla.uri("/internal/ui"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(slashless.statusCode()).isEqualTo(307);
            assertThat(slashless.headers().firstValue("Location")).hasValue("/internal/ui/");
            assertThat(olla.post("/internal/ui/", "{}").statusCode()).isEqualTo(405);
        }
    }

    @Test
    void aForeignHostIsRefused() throws Exception {
        try (TestOlla olla = TestOlla.builder().endpoint("one", SIM_FREE, "ollama").start()) {
            for (String host : List.of("evil.example", "evil.example:" + olla.port())) {
                try (RawHttp c = new RawHttp(olla.port())) {
                    c.sendRaw(("GET /internal/ui/ HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    c.readToEof(5000);
                    assertThat(c.text()).startsWith("HTTP/1.1 403").contains("X-Frame-Options: DENY");
                }
            }
            for (String host : List.of("localhost:" + olla.port(), "LOCALHOST", "127.0.0.1:" + olla.port(), "[::1]:80")) {
                try (RawHttp c = new RawHttp(olla.port())) {
                    c.sendRaw(("GET /internal/ui/ HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    c.readToEof(5000);
                    assertThat(c.text()).as(host).startsWith("HTTP/1.1 200");
                }
            }
        }
    }

    @Test
    void aClientOutsideTheAllowedNetworksIsRefused() throws Exception {
        try (TestOlla olla = TestOlla.builder().endpoint("one", SIM_FREE, "ollama")
                .set("dashboard", "access_policy", Map.of("allowed_cidrs", List.of("10.0.0.0/8"),
                        "allowed_hosts", List.of("localhost")))
                .start()) {
            HttpResponse<String> r = olla.get("/internal/ui/");
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).isEqualTo("Forbidden\n");
        }
    }

    @Test
    void disabledMeansNotThere() throws Exception {
        try (TestOlla olla = TestOlla.builder().endpoint("one", SIM_FREE, "ollama")
                .set("dashboard", "enabled", false).start()) {
            assertThat(olla.get("/internal/ui/").statusCode()).isEqualTo(404);
            assertThat(TestOlla.client().send(HttpRequest.newBuilder(URI.create(olla.base() + "/internal/ui"))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        }
    }
}
