package dev.olla.route;

import dev.olla.model.ModelListings;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** The status routes' human-readable strings, as the original writes them ({@code "98.5%"}, {@code "120ms"}, {@code "1.20 MB"}, {@code "5s ago"}). */
final class StatusText {
    private StatusText() {}

    static String percentage(double v) {
        if (v == 0) {
            return "0%";
        }
        if (v == 100.0) {
            return "100%";
        }
        return String.format(Locale.ROOT, "%.1f%%", v);
    }

    static String latency(long ms) {
        if (ms <= 0) {
            return "0ms";
        }
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return ms + "ms";
    }

    /** {@code 512 B}, {@code 1.20 MB}: the original's byte sizes (also in model listings). */
    static String bytes(long b) {
        return ModelListings.humanBytes(b);
    }

    /** System uptime: {@code 45s}, {@code 12m}, {@code 3h 4m}, {@code 2d 5h}. */
    static String uptime(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return Math.round(s / 60.0) + "m";
        }
        long h = s / 3600;
        if (h < 24) {
            return h + "h " + (s / 60) % 60 + "m";
        }
        return h / 24 + "d " + h % 24 + "h";
    }

    /** Process durations: {@code 250ms}, {@code 12s}, {@code 3m4s}, {@code 1h2m3s}. */
    static String duration(Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            return d.toMillis() + "ms";
        }
        long s = d.toSeconds();
        long h = s / 3600;
        long m = (s / 60) % 60;
        long sec = s % 60;
        if (h > 0) {
            return h + "h" + m + "m" + sec + "s";
        }
        return m > 0 ? m + "m" + sec + "s" : sec + "s";
    }

    static String timeAgo(Instant t, Instant now) {
        if (t == null) {
            return "never";
        }
        return shortDuration(Duration.between(t, now)) + " ago";
    }

    static String timeUntil(Instant t, Instant now) {
        if (t == null) {
            return "unknown";
        }
        Duration d = Duration.between(now, t);
        if (d.isNegative() || d.isZero()) {
            return "now";
        }
        return "in " + shortDuration(d);
    }

    private static String shortDuration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return Math.round(s / 60.0) + "m";
        }
        if (s < 86400) {
            return Math.round(s / 3600.0) + "h";
        }
        return Math.round(s / 86400.0) + "d";
    }


    static void putInstant(Map<String, Object> m, String key, Instant t) {
        if (t != null) {
            m.put(key, t.toString());
        }
    }
}
