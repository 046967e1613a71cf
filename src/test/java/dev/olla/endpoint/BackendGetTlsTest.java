package dev.olla.endpoint;

import dev.olla.SelfSignedTls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.olla.config.OllaConfig;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared backend GET over TLS against a real HTTPS server with a self-signed certificate
 * (trusted through the test's own trust store, since the JDK's default context is JVM-wide): the
 * answer is read, and the host name is verified.
 */
class BackendGetTlsTest {
    @TempDir
    Path dir;
    private HttpsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void getsOverTlsAndVerifiesTheHostName() throws Exception {
        SelfSignedTls tls = SelfSignedTls.create(dir, "dns:localhost");
        Path ks = tls.file();
        KeyStore store = tls.store();
        SSLContext serverSsl = tls.serverContext();
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverSsl));
        server.createContext("/", ex -> {
            byte[] body = ("{\"path\":\"" + ex.getRequestURI() + "\",\"auth\":\""
                    + ex.getRequestHeaders().getFirst("Authorization") + "\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        BackendGet get = new BackendGet("olla-Test/1", Map.of(), SslContextBuilder.forClient().trustManager(tmf).build());

        int port = server.getAddress().getPort();
        Endpoint ep = endpoint("https://localhost:" + port);
        BackendGet.Response r = get.fetch(ep, BackendGet.under(ep, "/v1/models"), Duration.ofSeconds(5), 1024);
        assertThat(r.status()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{\"path\":\"/v1/models\",\"auth\":\"Bearer s\"}");

        // the certificate names localhost, not 127.0.0.1: refused, in words
        Endpoint byIp = endpoint("https://127.0.0.1:" + port);
        assertThatThrownBy(() -> get.fetch(byIp, BackendGet.under(byIp, "/"), Duration.ofSeconds(5), 0))
                .isInstanceOfSatisfying(BackendGet.Failure.class, f -> {
                    assertThat(f.kind()).isEqualTo(BackendGet.Kind.TLS);
                    assertThat(f.getMessage()).startsWith("TLS error: ");
                });
    }

    private static Endpoint endpoint(String url) {
        return new Endpoint("tls", URI.create(url), "openai-compatible", 100, false, URI.create(url + "/health"),
                URI.create(url + "/v1/models"), Duration.ofSeconds(5), Duration.ofSeconds(2), OllaConfig.Filter.ALL,
                Map.of("Authorization", "Bearer s"), Set.of());
    }
}
