package dev.olla.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Prometheus registry is created on first use; what was registered before is in it. */
class MetricsTest {
    @Test
    void gaugesRegisteredBeforeTheRegistryExistsAreScraped() {
        try (Metrics m = new Metrics()) {
            AtomicInteger inFlight = new AtomicInteger(3);
            m.gauge("olla.test.in.flight", "test gauge", inFlight, AtomicInteger::get, "endpoint", "a");
            m.recordHold(1_000_000);
            m.gauge("olla.test.later", "registered after creation", inFlight, i -> i.get() * 2.0);
            String text = m.scrape();
            assertThat(text).contains("olla_test_in_flight{endpoint=\"a\"} 3.0").contains("olla_test_later 6.0")
                    .contains("olla_first_token_hold_seconds_count 1");
        }
    }

    @Test
    void aRequestRecordedFirstCreatesTheRegistryWithItsSeries() {
        try (Metrics m = new Metrics()) {
            m.record("ep", "m", 200, 2_000_000, null, System.nanoTime());
            assertThat(m.scrape()).contains("olla_request_duration_seconds_count{endpoint=\"ep\",model=\"m\",status_class=\"2xx\"} 1")
                    .contains("olla_first_token_hold_seconds_count 0");
        }
    }
}
