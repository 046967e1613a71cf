package dev.olla.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * YAML spellings of the configuration enums: {@code round-robin}, {@code least-connections},
 * {@code compatible_only}, {@code sherpa}... Parsing is case-insensitive and treats {@code -} and
 * {@code _} alike, so {@code least_connections} and {@code compatible-only} are accepted too.
 */
public final class ConfigEnums {

    private ConfigEnums() {}

    /** The canonical YAML spelling, e.g. {@code LEAST_CONNECTIONS -> "least-connections"}. */
    public static String yamlName(Enum<?> value) {
        String lower = value.name().toLowerCase(Locale.ROOT);
        return value instanceof OllaConfig.FallbackBehavior ? lower : lower.replace('_', '-');
    }

    /**
     * Parses a YAML spelling.
     *
     * @throws IllegalArgumentException {@code "x" is not one of a, b, c}
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String text) {
        String wanted = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(wanted)) {
                return e;
            }
        }
        throw new IllegalArgumentException("\"" + text + "\" is not one of " + allowed(type));
    }

    /** {@code "priority, round-robin, least-connections"}. */
    public static String allowed(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants()).map(ConfigEnums::yamlName).collect(Collectors.joining(", "));
    }
}
