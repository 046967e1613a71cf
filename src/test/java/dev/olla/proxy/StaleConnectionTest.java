package dev.olla.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.TestOlla;
import dev.olla.endpoint.EndpointStatus;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pooled connection the backend closes just as a request is written to it (as llama.cpp and
 * Node servers do on their own idle schedule) is replaced by a fresh one: the client never sees
 * it and the endpoint is not blamed.
 */
class StaleConnectionTest {
    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"sherpa", "olla"})
    void aConnectionClosedUnderTheRequestIsReplacedTransparently(String engine) throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread backend = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        int n = connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(s, n));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            String url = "http://127.0.0.1:" + server.getLocalPort();
            try (TestOlla olla = TestOlla.builder().engine(engine)
                    .set("discovery", "model_discovery", java.util.Map.of("enabled", false))
                    .endpoint("flaky", url, "openai-compatible", "health_check_url", url + "/health")
                    .start()) {
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> r = olla.get("/olla/openai/v1/thing?i=" + i);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("ok");
                }
                assertThat(olla.olla().endpoints().byName("flaky").status()).isEqualTo(EndpointStatus.HEALTHY);
                assertThat(olla.olla().proxy().stats().staleReconnects()).isPositive();
                assertThat(olla.olla().proxy().stats().failures()).isZero();
            }
            backend.interrupt();
        }
    }

    /** Answers the first request on a connection with keep-alive, then drops the second unanswered. */
    private static void serve(Socket s, int connection) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            for (int served = 0; ; served++) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                while (!(line = in.readLine()).isEmpty()) {
                    // headers: requests here carry no body
                }
                if (served == 1) {
                    return; // closes with the request unanswered, like an idle timeout racing the write
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (Exception ignored) {
            // test backend
        }
    }
}
