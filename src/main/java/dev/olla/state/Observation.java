package dev.olla.state;

/** What one instance saw happen to an endpoint: it went {@code down} (passive failure) or came back {@code up}. */
public record Observation(String instance, String endpoint, boolean up, String reason) {

    /** The wire form: {@code O <instance> <endpoint> up|down <reason>}, tab-separated. */
    String encode() {
        return "O\t" + instance + "\t" + clean(endpoint) + "\t" + (up ? "up" : "down") + "\t" + clean(reason);
    }

    static Observation decode(String[] f) {
        return f.length >= 5 ? new Observation(f[1], f[2], "up".equals(f[3]), f[4]) : null;
    }

    private static String clean(String s) {
        return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
    }
}
