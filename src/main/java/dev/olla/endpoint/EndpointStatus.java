package dev.olla.endpoint;

import java.util.Locale;

/** An endpoint's health as the checker last saw it. Only routable states receive traffic. */
public enum EndpointStatus {
    HEALTHY(true, 1.0),
    BUSY(true, 0.3),
    WARMING(true, 0.1),
    OFFLINE(false, 0),
    UNHEALTHY(false, 0),
    UNKNOWN(false, 0),
    CONFIG_ERROR(false, 0),
    RATE_LIMITED(false, 0);

    private final boolean routable;
    private final double weight;
    private final String wire;

    EndpointStatus(boolean routable, double weight) {
        this.routable = routable;
        this.weight = weight;
        this.wire = name().toLowerCase(Locale.ROOT);
    }

    public boolean routable() {
        return routable;
    }

    /** Share of traffic relative to a healthy endpoint (busy endpoints get less). */
    public double weight() {
        return weight;
    }

    /** The status as written in JSON and logs: {@code healthy}, {@code config_error}, ... */
    public String wire() {
        return wire;
    }
}
