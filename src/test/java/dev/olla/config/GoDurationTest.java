package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({
        "500ms, 500000000",
        "30s, 30000000000",
        "5m, 300000000000",
        "1h30m, 5400000000000",
        "0s, 0",
        "0, 0",
        "-0, 0",
        "1.5s, 1500000000",
        ".5s, 500000000",
        "1.s, 1000000000",
        "100us, 100000",
        "100µs, 100000",
        "100μs, 100000",
        "42ns, 42",
        "-1m, -60000000000",
        "+2s, 2000000000",
        "1h2m3s4ms5us6ns, 3723004005006",
        "24h, 86400000000000",
        "2562047h47m16.854775807s, 9223372036854775807",
    })
    void parses(String text, long nanos) {
        assertThat(GoDuration.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "30", "5 minutes", "5min", "1d", "s", "1..5s", "-", "ms", "1h 30m", "3000000h"})
    void rejects(String text) {
        assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{1} -> {0}")
    @CsvSource({
        "0s, 0",
        "1ns, 1",
        "1.5µs, 1500",
        "500ms, 500000000",
        "1.5s, 1500000000",
        "30s, 30000000000",
        "5m0s, 300000000000",
        "1h30m0s, 5400000000000",
        "24h0m0s, 86400000000000",
        "1m0.5s, 60500000000",
        "-2s, -2000000000",
    })
    void formatsLikeGo(String expected, long nanos) {
        assertThat(GoDuration.format(Duration.ofNanos(nanos))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"500ms", "1h30m0s", "1.5s", "100µs", "0s", "72h0m0s"})
    void roundTrips(String text) {
        assertThat(GoDuration.format(GoDuration.parse(text))).isEqualTo(text);
    }

    @org.junit.jupiter.api.Test
    void missingUnitMessage() {
        assertThatThrownBy(() -> GoDuration.parse("30")).hasMessageContaining("missing unit");
        assertThatThrownBy(() -> GoDuration.parse("5min")).hasMessageContaining("unknown unit \"min\"");
    }
}
