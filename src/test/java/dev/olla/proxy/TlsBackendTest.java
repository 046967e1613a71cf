package dev.olla.proxy;

import dev.olla.SelfSignedTls;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.olla.TestOlla;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https:// endpoint is proxied over TLS (trust comes from the JDK's usual trust-store settings). */
class TlsBackendTest {
    @TempDir
    Path dir;

    @Test
    void httpsEndpointIsProxiedOverTls() throws Exception {
        SelfSignedTls tls = SelfSignedTls.create(dir, "dns:localhost,ip:127.0.0.1");
        Path ks = tls.file();
        SSLContext ssl = tls.serverContext();
        HttpsServer backend = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.setHttpsConfigurator(new HttpsConfigurator(ssl));
        backend.createContext("/", ex -> {
            byte[] body = ("{\"path\":\"" + ex.getRequestURI() + "\",\"secure\":true}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        String oldStore = System.getProperty("javax.net.ssl.trustStore");
        System.setProperty("javax.net.ssl.trustStore", ks.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        String url = "https://localhost:" + backend.getAddress().getPort();
        // Probes and discovery (endpoint.BackendGet) build their default TLS context once per JVM, on the
        // first https call; this test's trust store may come after another test's: give them plain HTTP.
        com.sun.net.httpserver.HttpServer health = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        health.createContext("/", ex -> {
            byte[] models = "{\"object\":\"list\",\"data\":[]}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, models.length);
            ex.getResponseBody().write(models);
            ex.close();
        });
        health.start();
        String plain = "http://127.0.0.1:" + health.getAddress().getPort();
        try (TestOlla olla = TestOlla.builder()
                .endpoint("secure", url, "openai-compatible", "health_check_url", plain + "/health",
                        "model_url", plain + "/v1/models").start()) {
            for (String engine : new String[] {"first", "second (pooled)"}) {
                HttpResponse<String> r = olla.get("/olla/openai/v2/anything?x=1");
                assertThat(r.statusCode()).as(engine + ": " + r.body()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("{\"path\":\"/v2/anything?x=1\",\"secure\":true}");
                assertThat(r.headers().firstValue("X-Olla-Endpoint")).hasValue("secure");
            }
        } finally {
            backend.stop(0);
            health.stop(0);
            if (oldStore == null) {
                System.clearProperty("javax.net.ssl.trustStore");
            } else {
                System.setProperty("javax.net.ssl.trustStore", oldStore);
            }
            System.clearProperty("javax.net.ssl.trustStorePassword");
            System.clearProperty("javax.net.ssl.trustStoreType");
        }
    }
}
