package dev.olla.state;

/** Sticky-session pins: session key to endpoint name. Reads are local and never block. */
public interface PinStore {
    /** The pinned endpoint name or null. */
    String get(String key);

    /** Pins {@code key} to {@code endpoint} (shared with the other instances when Redis is on). */
    void put(String key, String endpoint);

    /** Pins held locally. */
    long size();

    /** Pins dropped locally because the store was full. */
    long evictions();
}
