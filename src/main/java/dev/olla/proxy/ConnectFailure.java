package dev.olla.proxy;

import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Locale;

/** A backend connection error as a short, searchable sentence (logs, status and the client's 502 text). */
final class ConnectFailure {
    private ConnectFailure() {
    }

    /**
     * "endpoint NAME: what happened after N.Ns"; {@code when} words a plain close ("before responding"),
     * {@code elapsedNanos} is the time since the attempt started.
     */
    static String describe(String endpoint, Throwable cause, String when, long elapsedNanos) {
        String secs = AttemptTimeouts.seconds(elapsedNanos);
        String what;
        if (cause instanceof ConnectTimeoutException) {
            what = "connection timeout after " + secs + " - LLM backend did not accept the connection in time";
        } else if (cause instanceof ConnectException || (cause != null && String.valueOf(cause.getMessage())
                .toLowerCase(Locale.ROOT).contains("connection refused"))) {
            what = "connection refused after " + secs + " - LLM backend is not running or not accepting connections";
        } else if (cause instanceof UnknownHostException) {
            what = "no such host after " + secs + " - check the endpoint URL";
        } else if (cause instanceof NoRouteToHostException) {
            what = "no route to host after " + secs + " - check network connectivity to the LLM backend";
        } else if (cause == null) {
            what = "connection closed " + when + " after " + secs;
        } else {
            String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            what = "network error after " + secs + " - " + m;
        }
        return "endpoint " + endpoint + ": " + what;
    }
}
