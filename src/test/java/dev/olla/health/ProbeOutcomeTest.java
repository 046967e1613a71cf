package dev.olla.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.endpoint.EndpointStatus;
import java.net.ConnectException;
import dev.olla.endpoint.BackendGet;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ProbeOutcomeTest {
    private static final Duration BUSY = Duration.ofMillis(1500);
    private static final Duration DEFAULT_PAUSE = Duration.ofSeconds(30);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static ProbeOutcome http(int status, long latencyMs, String retryAfter) {
        return ProbeOutcome.ofResponse(status, latencyMs * 1_000_000, BUSY, retryAfter, DEFAULT_PAUSE, NOW);
    }

    @Test
    void classifiesHttpAnswers() {
        assertThat(http(200, 20, null).status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(http(204, 20, null).status()).isEqualTo(EndpointStatus.HEALTHY);
        assertThat(http(200, 1600, null).status()).isEqualTo(EndpointStatus.BUSY);
        assertThat(http(401, 5, null).status()).isEqualTo(EndpointStatus.CONFIG_ERROR);
        assertThat(http(403, 5, null).status()).isEqualTo(EndpointStatus.CONFIG_ERROR);
        assertThat(http(500, 5, null).status()).isEqualTo(EndpointStatus.UNHEALTHY);
        assertThat(http(404, 5, null).status()).isEqualTo(EndpointStatus.UNHEALTHY);
        assertThat(http(503, 5000, null).status()).isEqualTo(EndpointStatus.UNHEALTHY);
        assertThat(http(200, 20, null).latencyMillis()).isEqualTo(20);
    }

    @Test
    void rateLimitedHonoursRetryAfter() {
        ProbeOutcome o = http(429, 5, "7");
        assertThat(o.status()).isEqualTo(EndpointStatus.RATE_LIMITED);
        assertThat(o.retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(http(429, 5, null).retryAfter()).isEqualTo(DEFAULT_PAUSE);
        assertThat(http(429, 5, "soon").retryAfter()).isEqualTo(DEFAULT_PAUSE);
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atZone(ZoneOffset.UTC));
        assertThat(http(429, 5, date).retryAfter()).isEqualTo(Duration.ofSeconds(90));
        assertThat(http(429, 5, "999999").retryAfter()).isEqualTo(Duration.ofHours(1));
        assertThat(http(429, 5, "0").retryAfter()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void networkErrorsAreOffline() {
        ProbeOutcome refused = ProbeOutcome.ofError(
                new CompletionException(new ConnectException(null).initCause(new ConnectException("Connection refused"))),
                1_000_000, Duration.ofSeconds(2));
        assertThat(refused.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(refused.reason()).isEqualTo("connection refused");
        ProbeOutcome timeout = ProbeOutcome.ofError(new CompletionException(
                new BackendGet.Failure(BackendGet.Kind.TIMEOUT, "timeout after 2000ms")), 0, Duration.ofSeconds(2));
        assertThat(timeout.status()).isEqualTo(EndpointStatus.OFFLINE);
        assertThat(timeout.reason()).isEqualTo("timeout after 2000ms");
        ProbeOutcome badUrl = ProbeOutcome.ofError(new BackendGet.Failure(BackendGet.Kind.BAD_URL, "not an http(s) URL"),
                0, Duration.ofSeconds(2));
        assertThat(badUrl.status()).isEqualTo(EndpointStatus.UNHEALTHY);
    }
}
