package dev.olla.state;

import java.util.Locale;

/**
 * What one instance saw happen to an endpoint: it went {@code DOWN} (left rotation: a failed
 * connection or probe), came back {@code UP}, or its breaker {@code OPENED} on bad answers (e.g.
 * consecutive 5xx) while its probes still pass.
 */
public record Observation(String instance, String endpoint, Kind kind, String reason) {

    public enum Kind { DOWN, UP, OPENED }

    public boolean up() {
        return kind == Kind.UP;
    }

    /** The wire form: {@code O <instance> <endpoint> down|up|opened <reason>}, tab-separated. */
    String encode() {
        return "O\t" + instance + "\t" + clean(endpoint) + "\t" + kind.name().toLowerCase(Locale.ROOT) + "\t"
                + clean(reason);
    }

    static Observation decode(String[] f) {
        if (f.length < 5) {
            return null;
        }
        try {
            return new Observation(f[1], f[2], Kind.valueOf(f[3].toUpperCase(Locale.ROOT)), f[4]);
        } catch (IllegalArgumentException unknownKind) {
            return null; // a newer instance's kind: ignore
        }
    }

    private static String clean(String s) {
        return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
    }
}
