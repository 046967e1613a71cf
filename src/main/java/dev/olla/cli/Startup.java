package dev.olla.cli;

import dev.olla.config.ConfigException;
import dev.olla.config.ConfigLoader;
import dev.olla.config.LoadedConfig;
import dev.olla.config.OllaConfig;
import dev.olla.profile.ProfileException;
import dev.olla.profile.ProfileRegistry;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads what the process needs before it can start: backend profiles (built-in plus the user's
 * {@code config/profiles/*.yaml}), then the configuration validated against the known endpoint
 * types, then the profiles again with {@code proxy.profile_filter} applied. Problems are printed as
 * one line each on stderr, never as a stack trace.
 */
final class Startup {
    static final Path PROFILE_DIR = Path.of("config", "profiles");

    record Loaded(LoadedConfig config, ProfileRegistry profiles) {}

    private Startup() {}

    /** Null (after printing why) when the configuration or a profile is invalid. */
    static Loaded load(Path configPath, Map<String, String> env) {
        try {
            ProfileRegistry all = ProfileRegistry.load(PROFILE_DIR, null, null);
            LoadedConfig loaded = ConfigLoader.load(configPath, env, all.knownTypes());
            OllaConfig.Filter f = loaded.config().proxy().profileFilter();
            ProfileRegistry profiles = ProfileRegistry.load(PROFILE_DIR, f.include(), f.exclude());
            return new Loaded(loaded, profiles);
        } catch (ConfigException e) {
            System.err.println("olla: invalid configuration"
                    + (e.source() == null ? "" : " (" + e.source() + ")") + ":");
            e.problems().forEach(p -> System.err.println("  - " + p));
            return null;
        } catch (ProfileException e) {
            System.err.println("olla: invalid backend profile: " + e.getMessage());
            return null;
        }
    }
}
