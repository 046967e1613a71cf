package dev.olla.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.TestOlla;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /internal/metrics is valid Prometheus text and counts real traffic. */
class MetricsRoutesTest {
    static final Pattern SAMPLE = Pattern.compile(
            "^[a-z_][a-z0-9_]*(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? (-?[0-9.]+(E-?[0-9]+)?|NaN|[+-]Inf)$");

    @Test
    void prometheusTextWithTrafficCounted() throws Exception {
        try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OLLAMA).host("127.0.0.1").port(0)
                        .modelNames("llama3.2:3b", "phi4:14b").tokens(1).interTokenDelay(Duration.ZERO).build().start();
                TestOlla olla = TestOlla.builder().endpoint("one", sim.baseUrl(), "ollama").start()) {
            olla.awaitModel("llama3.2:3b");
            for (int i = 0; i < 3; i++) {
                assertThat(olla.post("/olla/ollama/api/chat",
                        "{\"model\":\"llama3.2:3b\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(200);
            }
            HttpResponse<String> r = olla.get("/internal/metrics");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            Set<String> typed = new HashSet<>();
            for (String line : r.body().split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    typed.add(line.split(" ")[2]);
                } else if (!line.startsWith("# HELP ")) {
                    assertThat(line).matches(SAMPLE);
                    String name = line.replaceAll("[{ ].*", "");
                    assertThat(typed.contains(name) || typed.contains(name.replaceAll("_(bucket|count|sum)$", "")))
                            .as(line).isTrue();
                }
            }
            assertThat(r.body()).contains("olla_info{version=\"").contains("engine=\"sherpa\"")
                    .contains("olla_endpoint_up{endpoint=\"one\"} 1")
                    .contains("olla_endpoint_state{endpoint=\"one\",state=\"healthy\"} 1.0")
                    .contains("olla_endpoint_state{endpoint=\"one\",state=\"offline\"} 0.0")
                    .contains("olla_system_status 2")
                    .contains("olla_model_requests_total{model=\"llama3.2:3b\"} 3")
                    .contains("olla_model_endpoint_requests_total{model=\"llama3.2:3b\",endpoint=\"one\"} 3")
                    .contains("olla_completion_tokens_total{endpoint=\"one\",model=\"llama3.2:3b\"} 3.0")
                    .contains("olla_request_duration_seconds_count{endpoint=\"one\",model=\"llama3.2:3b\",status_class=\"2xx\"} 3")
                    .contains("olla_request_duration_seconds_bucket{endpoint=\"one\",model=\"llama3.2:3b\",status_class=\"2xx\",le=\"+Inf\"} 3")
                    .contains("jvm_memory_used_bytes{")
                    .doesNotContain("status=\"healthy\"")
                    .contains("olla_endpoint_requests_total{endpoint=\"one\"} 3")
                    .contains("olla_endpoint_models_count{endpoint=\"one\"} 2")
                    .contains("olla_proxy_requests_total 3");
            // scrapes are not proxy traffic
            String again = olla.get("/internal/metrics").body();
            assertThat(again).contains("olla_proxy_requests_total 3").contains("olla_endpoint_requests_total{endpoint=\"one\"} 3");
        }
    }
}
