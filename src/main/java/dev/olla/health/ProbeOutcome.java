package dev.olla.health;

import dev.olla.endpoint.BackendGet;
import dev.olla.endpoint.EndpointStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * What one health probe found, and the rules that classify a probe's answer:
 * <ul>
 *   <li>2xx: {@code healthy}, or {@code busy} when slower than the busy threshold (a fraction of
 *       {@code check_timeout});</li>
 *   <li>401/403: {@code config_error} (the endpoint's auth is wrong or missing);</li>
 *   <li>429: {@code rate_limited}, with the {@code Retry-After} pause (seconds or HTTP date;
 *       default 30 s, clamped to 1 s..1 h);</li>
 *   <li>any other HTTP status: {@code unhealthy};</li>
 *   <li>no HTTP answer at all (refused, reset, unreachable, unknown host, timeout, TLS failure):
 *       {@code offline}.</li>
 * </ul>
 *
 * @param retryAfter only for {@code rate_limited}: how long to pause probes
 */
public record ProbeOutcome(EndpointStatus status, String reason, long latencyMillis, Duration retryAfter) {

    static final Duration MIN_RETRY_AFTER = Duration.ofSeconds(1);
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    /** Classifies an HTTP answer. */
    public static ProbeOutcome ofResponse(int httpStatus, long latencyNanos, Duration busyThreshold,
            String retryAfterHeader, Duration defaultRetryAfter, Instant now) {
        long ms = latencyNanos / 1_000_000;
        if (httpStatus >= 200 && httpStatus < 300) {
            if (latencyNanos > busyThreshold.toNanos()) {
                return new ProbeOutcome(EndpointStatus.BUSY, "slow response: " + ms + "ms (busy above "
                        + busyThreshold.toMillis() + "ms)", ms, null);
            }
            return new ProbeOutcome(EndpointStatus.HEALTHY, "HTTP " + httpStatus + " in " + ms + "ms", ms, null);
        }
        if (httpStatus == 401 || httpStatus == 403) {
            return new ProbeOutcome(EndpointStatus.CONFIG_ERROR, "HTTP " + httpStatus
                    + " from health check: check the endpoint's auth configuration", ms, null);
        }
        if (httpStatus == 429) {
            Duration pause = retryAfter(retryAfterHeader, defaultRetryAfter, now);
            return new ProbeOutcome(EndpointStatus.RATE_LIMITED, "HTTP 429 from health check: pausing probes for "
                    + pause.toSeconds() + "s", ms, pause);
        }
        return new ProbeOutcome(EndpointStatus.UNHEALTHY, "HTTP " + httpStatus + " from health check", ms, null);
    }

    /**
     * Classifies a probe that got no HTTP answer: {@code offline}, except a URL that cannot be
     * requested at all ({@code unhealthy}: a configuration problem, not an outage).
     */
    public static ProbeOutcome ofError(Throwable error, long latencyNanos, Duration timeout) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof BackendGet.Failure f && !f.kind().noAnswer()) {
                return new ProbeOutcome(EndpointStatus.UNHEALTHY, "invalid health check URL: " + f.getMessage(),
                        latencyNanos / 1_000_000, null);
            }
        }
        return new ProbeOutcome(EndpointStatus.OFFLINE, describe(error, timeout), latencyNanos / 1_000_000, null);
    }

    /** A short, user-facing cause: the most telling exception anywhere in the cause chain. */
    static String describe(Throwable error, Duration timeout) {
        Throwable top = error;
        while ((top instanceof CompletionException || top instanceof ExecutionException) && top.getCause() != null) {
            top = top.getCause();
        }
        for (Throwable e = top; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof BackendGet.Failure f) {
                return f.getMessage();
            }
            if (e instanceof TimeoutException
                    || e instanceof CancellationException) {
                return "timeout after " + timeout.toMillis() + "ms";
            }
            if (e instanceof ConnectException) {
                // The JDK client often reports a refused connect as a message-less ConnectException
                // (caused by a ClosedChannelException); "No route to host" etc. come with a message.
                String m = e.getMessage();
                return m == null || m.isBlank() ? "connection refused" : m.toLowerCase(Locale.ROOT);
            }
            if (e instanceof UnknownHostException || e instanceof UnresolvedAddressException) {
                return "unknown host" + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (e instanceof SSLException) {
                return "TLS error: " + e.getMessage();
            }
        }
        for (Throwable e = top; e != null; e = e.getCause() == e ? null : e.getCause()) {
            String m = e.getMessage();
            if (m != null && !m.isBlank()) {
                return e instanceof IOException ? m : e.getClass().getSimpleName() + ": " + m;
            }
        }
        return top.getClass().getSimpleName();
    }

    /** {@code Retry-After} as seconds or an HTTP date; the default when absent or unparsable. */
    static Duration retryAfter(String header, Duration fallback, Instant now) {
        Duration d = null;
        if (header != null && !header.isBlank()) {
            String v = header.strip();
            try {
                d = Duration.ofSeconds(Long.parseLong(v));
            } catch (NumberFormatException notSeconds) {
                try {
                    d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                } catch (DateTimeParseException notADate) {
                    d = null;
                }
            }
        }
        if (d == null) {
            d = fallback;
        }
        if (d.compareTo(MIN_RETRY_AFTER) < 0) {
            return MIN_RETRY_AFTER;
        }
        return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    }
}
