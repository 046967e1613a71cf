package dev.olla.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The fixed list of {@code OLLA_*} environment overrides, each mapped to one configuration key, applied
 * after the file. There is no generic {@code OLLA_<PATH>} rule (same as the original).
 *
 * <p>Unlike the original, which silently ignores a value it cannot parse, an invalid value is an error
 * naming the variable. The exception is logging: an invalid {@code OLLA_LOGGING_LEVEL},
 * {@code OLLA_LOG_LEVEL} or {@code OLLA_LOGGING_FORMAT} is a warning and the variable is ignored.
 * An empty variable counts as unset.
 */
public final class EnvOverrides {

    enum Kind { STRING, INT, BOOL, DURATION, SIZE, LIST, LOGGING }

    record Mapping(String variable, String path, Kind kind) {}

    private static final Map<String, Mapping> MAPPINGS = new LinkedHashMap<>();

    static {
        add("OLLA_SERVER_HOST", "server.host", Kind.STRING);
        add("OLLA_SERVER_PORT", "server.port", Kind.INT);
        add("OLLA_SERVER_READ_TIMEOUT", "server.read_timeout", Kind.DURATION);
        add("OLLA_SERVER_READ_HEADER_TIMEOUT", "server.read_header_timeout", Kind.DURATION);
        add("OLLA_SERVER_WRITE_TIMEOUT", "server.write_timeout", Kind.DURATION);
        add("OLLA_SERVER_MAX_BODY_SIZE", "server.request_limits.max_body_size", Kind.SIZE);
        add("OLLA_SERVER_MAX_HEADER_SIZE", "server.request_limits.max_header_size", Kind.SIZE);
        add("OLLA_SERVER_GLOBAL_RATE_LIMIT", "server.rate_limits.global_requests_per_minute", Kind.INT);
        add("OLLA_SERVER_PER_IP_RATE_LIMIT", "server.rate_limits.per_ip_requests_per_minute", Kind.INT);
        add("OLLA_SERVER_RATE_BURST_SIZE", "server.rate_limits.burst_size", Kind.INT);
        add("OLLA_SERVER_HEALTH_RATE_LIMIT", "server.rate_limits.health_requests_per_minute", Kind.INT);
        add("OLLA_SERVER_RATE_CLEANUP_INTERVAL", "server.rate_limits.cleanup_interval", Kind.DURATION);
        add("OLLA_SERVER_TRUST_PROXY_HEADERS", "server.rate_limits.trust_proxy_headers", Kind.BOOL);
        add("OLLA_SERVER_TRUSTED_PROXY_CIDRS", "server.rate_limits.trusted_proxy_cidrs", Kind.LIST);
        add("OLLA_SERVER_CORS_ENABLED", "server.cors.enabled", Kind.BOOL);
        add("OLLA_SERVER_CORS_ALLOWED_ORIGINS", "server.cors.allowed_origins", Kind.LIST);
        add("OLLA_SERVER_CORS_ALLOWED_METHODS", "server.cors.allowed_methods", Kind.LIST);
        add("OLLA_SERVER_CORS_ALLOWED_HEADERS", "server.cors.allowed_headers", Kind.LIST);
        add("OLLA_SERVER_CORS_EXPOSED_HEADERS", "server.cors.exposed_headers", Kind.LIST);
        add("OLLA_SERVER_CORS_ALLOW_CREDENTIALS", "server.cors.allow_credentials", Kind.BOOL);
        add("OLLA_SERVER_CORS_MAX_AGE", "server.cors.max_age", Kind.INT);
        add("OLLA_PROXY_ENGINE", "proxy.engine", Kind.STRING);
        add("OLLA_PROXY_PROFILE", "proxy.profile", Kind.STRING);
        add("OLLA_PROXY_LOAD_BALANCER", "proxy.load_balancer", Kind.STRING);
        add("OLLA_PROXY_RESPONSE_TIMEOUT", "proxy.response_timeout", Kind.DURATION);
        add("OLLA_PROXY_READ_TIMEOUT", "proxy.read_timeout", Kind.DURATION);
        add("OLLA_PROXY_RESPONSE_HEADER_TIMEOUT", "proxy.response_header_timeout", Kind.DURATION);
        add("OLLA_PROXY_TLS_HANDSHAKE_TIMEOUT", "proxy.tls_handshake_timeout", Kind.DURATION);
        add("OLLA_PROXY_CONNECTION_KEEP_ALIVE", "proxy.connection_keep_alive", Kind.DURATION);
        add("OLLA_PROXY_STICKY_SESSIONS_ENABLED", "proxy.sticky_sessions.enabled", Kind.BOOL);
        // OLLA_LOG_LEVEL first so that OLLA_LOGGING_LEVEL, applied after it, wins when both are set.
        add("OLLA_LOG_LEVEL", "logging.level", Kind.LOGGING);
        add("OLLA_LOGGING_LEVEL", "logging.level", Kind.LOGGING);
        add("OLLA_LOGGING_FORMAT", "logging.format", Kind.LOGGING);
        add("OLLA_SHOW_NERD_STATS", "engineering.show_nerdstats", Kind.BOOL);
        add("OLLA_MODEL_REGISTRY_TYPE", "model_registry.type", Kind.STRING);
        add("OLLA_MODEL_UNIFIER_ENABLED", "model_registry.enable_unifier", Kind.BOOL);
        add("OLLA_TRANSLATORS_ANTHROPIC_ENABLED", "translators.anthropic.enabled", Kind.BOOL);
        add("OLLA_TRANSLATORS_ANTHROPIC_PASSTHROUGH_ENABLED", "translators.anthropic.passthrough_enabled", Kind.BOOL);
        add("OLLA_TRANSLATORS_ANTHROPIC_MAX_MESSAGE_SIZE", "translators.anthropic.max_message_size", Kind.SIZE);
        add("OLLA_STATE_TYPE", "state.type", Kind.STRING);
        add("OLLA_STATE_REDIS_URL", "state.redis.url", Kind.STRING);
        add("OLLA_RELOAD_WATCH", "reload.watch", Kind.BOOL);
    }

    private EnvOverrides() {}

    private static void add(String variable, String path, Kind kind) {
        MAPPINGS.put(variable, new Mapping(variable, path, kind));
    }

    /** Every supported variable (besides {@code OLLA_CONFIG_FILE}) and the key it sets, in application order. */
    public static Map<String, String> variables() {
        Map<String, String> out = new LinkedHashMap<>();
        MAPPINGS.values().forEach(m -> out.put(m.variable(), m.path()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Applies the variables present in {@code env} to {@code tree}. Parse errors go to {@code problems}
     * as {@code OLLA_X: "v" is not ...}; the key path of every applied variable is recorded in
     * {@link Problems#origins} so later validation messages name the variable too.
     */
    static void apply(ObjectNode tree, Map<String, String> env, Problems problems) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        for (Mapping m : MAPPINGS.values()) {
            String raw = env.get(m.variable());
            if (raw == null || raw.isBlank()) {
                continue;
            }
            String value = raw.strip();
            String shown = TreeBinder.quote(raw);
            JsonNode node;
            switch (m.kind()) {
                case STRING -> node = nodes.textNode(value);
                case LOGGING -> {
                    String normalised = ConfigValidator.normaliseLogging(m.path(), value);
                    if (normalised == null) {
                        problems.warnLine(m.variable() + ": " + shown + " is not one of "
                                + ConfigValidator.loggingAllowed(m.path()) + " (ignored)");
                        continue;
                    }
                    node = nodes.textNode(normalised);
                }
                case INT -> {
                    try {
                        node = nodes.numberNode(Integer.parseInt(value));
                    } catch (NumberFormatException e) {
                        problems.errorLine(m.variable() + ": " + shown + " is not an integer");
                        continue;
                    }
                }
                case BOOL -> {
                    Boolean b = parseBool(value);
                    if (b == null) {
                        problems.errorLine(m.variable() + ": " + shown + " is not a boolean (use true or false)");
                        continue;
                    }
                    node = nodes.booleanNode(b);
                }
                case DURATION -> {
                    Duration d = GoDuration.tryParse(value);
                    if (d == null) {
                        problems.errorLine(m.variable() + ": " + shown + " is not a duration ("
                                + GoDuration.SYNTAX_HINT + ")");
                        continue;
                    }
                    node = nodes.textNode(value);
                }
                case SIZE -> {
                    try {
                        node = nodes.numberNode(ByteSize.parse(value));
                    } catch (IllegalArgumentException e) {
                        problems.errorLine(m.variable() + ": " + shown + " is not a size (" + ByteSize.SYNTAX_HINT + ")");
                        continue;
                    }
                }
                case LIST -> {
                    ArrayNode list = nodes.arrayNode();
                    for (String part : value.split(",")) {
                        if (!part.isBlank()) {
                            list.add(part.strip());
                        }
                    }
                    node = list;
                }
                default -> throw new IllegalStateException(m.kind().toString());
            }
            set(tree, m.path(), node);
            problems.origins.put(m.path(), m.variable());
        }
    }

    /** Go's {@code strconv.ParseBool} words plus yes/no/on/off; null when none matches. */
    static Boolean parseBool(String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "1", "t", "true", "yes", "y", "on" -> true;
            case "0", "f", "false", "no", "n", "off" -> false;
            default -> null;
        };
    }

    private static void set(ObjectNode tree, String path, JsonNode value) {
        String[] keys = path.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode next = node.get(keys[i]);
            if (TreeBinder.absent(next)) {
                next = node.putObject(keys[i]);
            } else if (!(next instanceof ObjectNode)) {
                return; // the file has a non-mapping here; binding reports it
            }
            node = (ObjectNode) next;
        }
        node.set(keys[keys.length - 1], value);
    }
}
