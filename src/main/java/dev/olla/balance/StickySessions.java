package dev.olla.balance;

import dev.olla.config.OllaConfig;
import dev.olla.state.MemoryState;
import dev.olla.state.PinStore;
import dev.olla.state.SharedState;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Session affinity ({@code proxy.sticky_sessions}, opt-in): a key derived from the request (an
 * {@code X-Olla-Session-ID}, a hash of the conversation's first bytes, a hash of the
 * Authorization header, or the client IP, in {@code key_sources} order) is pinned to the endpoint
 * that served it, so a multi-turn conversation keeps hitting the backend that holds its KV cache.
 * Keys are scoped per model. Pins live in a {@link PinStore} of the {@link SharedState} (an LRU of
 * {@code max_sessions} with a sliding {@code idle_ttl_seconds}, 0 = no expiry; shared between
 * instances when {@code state.type} is redis); a pin is used only while its endpoint is routable.
 * Keys hold only hashes of the session header and the Authorization header, never the values.
 */
public final class StickySessions {
    public static final String SESSION_HEADER = "X-Olla-Session-ID";

    /** A derived key and where it came from. */
    public record Key(String value, String source, String sessionId) {}

    /** The choice and how affinity decided it: hit, miss, repin or disabled (no key). */
    public record Choice(Candidate candidate, String outcome) {}

    private final List<String> sources;
    private final int prefixBytes;
    private final int maxSessions;
    private final long idleTtlSeconds;
    private final PinStore pins;
    private final OllaConfig.StickySessions config;
    private final LongAdder insertions = new LongAdder();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    private StickySessions(OllaConfig.StickySessions cfg, SharedState state) {
        this.config = cfg;
        this.sources = cfg.keySources() == null || cfg.keySources().isEmpty()
                ? List.of("session_header", "prefix_hash", "auth_header") : List.copyOf(cfg.keySources());
        this.prefixBytes = cfg.prefixHashBytes() > 0 ? cfg.prefixHashBytes() : 512;
        this.maxSessions = cfg.maxSessions() > 0 ? cfg.maxSessions() : 10_000;
        this.idleTtlSeconds = Math.max(0, cfg.idleTtlSeconds());
        this.pins = state.pins(maxSessions, Duration.ofSeconds(idleTtlSeconds));
    }

    /** Null when sticky sessions are off; pins in this process. */
    public static StickySessions of(OllaConfig.StickySessions cfg) {
        return of(cfg, new MemoryState());
    }

    /** Null when sticky sessions are off; pins in {@code state}'s store. */
    public static StickySessions of(OllaConfig.StickySessions cfg, SharedState state) {
        return cfg == null || !cfg.enabled() ? null : new StickySessions(cfg, state);
    }

    /** The configuration this was built from (a reload keeps the pins when it is unchanged). */
    public OllaConfig.StickySessions config() {
        return config;
    }

    /**
     * The request's key from the first source that yields one, or null.
     *
     * @param contextStart offset of the body's {@code messages}/{@code prompt} value, -1 if none
     */
    public Key key(String sessionHeader, String authorization, String clientIp, ByteBuf body, int contextStart,
            String model) {
        String m = model == null ? "" : model;
        for (String source : sources) {
            switch (source.toLowerCase(Locale.ROOT)) {
                case "session_header" -> {
                    if (sessionHeader != null && !sessionHeader.isBlank()) {
                        return new Key(hex(fnv64(sessionHeader.getBytes(StandardCharsets.UTF_8))) + ":" + m,
                                "session_header", sessionHeader);
                    }
                }
                case "prefix_hash" -> {
                    if (body != null && contextStart >= 0 && contextStart < body.readableBytes()) {
                        int n = Math.min(prefixBytes, body.readableBytes() - contextStart);
                        long h = FNV_OFFSET;
                        int base = body.readerIndex() + contextStart;
                        for (int i = 0; i < n; i++) {
                            h = (h ^ (body.getByte(base + i) & 0xff)) * FNV_PRIME;
                        }
                        return new Key(m.replace(':', '_') + ":" + hex(h), "prefix_hash", null);
                    }
                }
                case "auth_header" -> {
                    if (authorization != null && !authorization.isBlank()) {
                        return new Key("auth:" + sha256Hex(authorization) + ":" + m,
                                "auth_header", null);
                    }
                }
                case "ip" -> {
                    if (clientIp != null && !clientIp.isEmpty()) {
                        return new Key("ip:" + clientIp + ":" + m, "ip", null);
                    }
                }
                default -> {
                    // unknown sources are reported by config validation; ignore here
                }
            }
        }
        return null;
    }

    /** The pinned endpoint if among {@code routable}, else the balancer's pick (then pinned). */
    public Choice choose(Key key, List<Candidate> routable, Balancer balancer) {
        if (key == null) {
            return new Choice(balancer.choose(routable), "disabled");
        }
        String pinned = pins.get(key.value());
        if (pinned != null) {
            for (Candidate s : routable) {
                if (s.name().equals(pinned)) {
                    hits.increment();
                    return new Choice(s, "hit");
                }
            }
        }
        Candidate chosen = balancer.choose(routable);
        if (chosen != null) {
            pins.put(key.value(), chosen.name());
            insertions.increment();
        }
        misses.increment();
        return new Choice(chosen, pinned == null ? "miss" : "repin");
    }

    /** {@code /internal/stats/sticky} body. */
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", true);
        m.put("active_sessions", pins.size());
        m.put("insertions", insertions.sum());
        m.put("hits", hits.sum());
        m.put("misses", misses.sum());
        m.put("evictions", pins.evictions());
        m.put("max_sessions", maxSessions);
        m.put("idle_ttl_seconds", idleTtlSeconds);
        return m;
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /** 64-bit FNV-1a. */
    static long fnv64(byte[] bytes) {
        long h = FNV_OFFSET;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** First 128 bits of SHA-256, hex: the Authorization header's stand-in (also when pins go to Redis). */
    static String sha256Hex(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder(32);
            for (int i = 0; i < 16; i++) {
                b.append(Character.forDigit((d[i] >> 4) & 0xf, 16)).append(Character.forDigit(d[i] & 0xf, 16));
            }
            return b.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(long h) {
        return String.format("%016x", h);
    }
}
