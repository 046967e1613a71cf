package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Helpers: write a config.yaml into a temp dir and load it with that dir as working directory. */
final class ConfigTesting {

    private ConfigTesting() {}

    static Path write(Path dir, String name, String yaml) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, yaml);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LoadedConfig load(Path dir, String yaml) throws ConfigException {
        return load(dir, yaml, Map.of());
    }

    static LoadedConfig load(Path dir, String yaml, Map<String, String> env) throws ConfigException {
        write(dir, "config.yaml", yaml);
        return ConfigLoader.load(null, env, ConfigLoader.DEFAULT_ENDPOINT_TYPES, dir);
    }

    static ConfigException failure(Path dir, String yaml) {
        return failure(dir, yaml, Map.of());
    }

    static ConfigException failure(Path dir, String yaml, Map<String, String> env) {
        ConfigException[] caught = new ConfigException[1];
        assertThatThrownBy(() -> {
            try {
                load(dir, yaml, env);
            } catch (ConfigException e) {
                caught[0] = e;
                throw e;
            }
        }).isInstanceOf(ConfigException.class);
        return caught[0];
    }

    /** Only the endpoint list, indented under discovery.static. */
    static String endpoints(String entries) {
        return "discovery:\n  static:\n    endpoints:\n" + entries.stripTrailing().indent(6);
    }
}
