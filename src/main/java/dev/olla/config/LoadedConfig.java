package dev.olla.config;

import java.util.List;

/**
 * A successfully loaded and validated configuration.
 *
 * @param config   the merged, validated configuration (auth resolved)
 * @param source   path of the file that was read, or {@value ConfigLoader#EMBEDDED_SOURCE}
 * @param warnings non-fatal findings (unknown keys, logging fallbacks, duplicate endpoint URLs...), to be logged
 */
public record LoadedConfig(OllaConfig config, String source, List<String> warnings) {
    public LoadedConfig {
        warnings = List.copyOf(warnings);
    }
}
