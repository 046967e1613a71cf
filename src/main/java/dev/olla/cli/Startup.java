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

    /** Endpoints whose type proxy.profile_filter removed (they would silently change type). */
    static java.util.List<String> excludedTypes(OllaConfig config, ProfileRegistry all, ProfileRegistry filtered) {
        java.util.List<String> problems = new java.util.ArrayList<>();
        java.util.List<OllaConfig.Endpoint> eps = config.discovery().staticConfig().endpoints();
        for (int i = 0; i < eps.size(); i++) {
            String type = eps.get(i).type();
            String canonical = all.canonicalType(type);
            if (canonical != null && !canonical.equals(filtered.canonicalType(type))) {
                problems.add("discovery.static.endpoints[" + i + "].type: \"" + type
                        + "\" is excluded by proxy.profile_filter; include it or change the endpoint's type");
            }
        }
        return problems;
    }

    /** The outcome of loading: the configuration and profiles, or the problems (one line each). */
    record Attempt(Loaded loaded, String source, java.util.List<String> problems, boolean badProfile) {}

    /** Loads without printing: the same checks as at start-up, for a reload. */
    static Attempt attempt(Path configPath, Map<String, String> env) {
        try {
            ProfileRegistry all = ProfileRegistry.load(PROFILE_DIR, null, null);
            LoadedConfig loaded = ConfigLoader.load(configPath, env, all.knownTypes());
            OllaConfig.Filter f = loaded.config().proxy().profileFilter();
            ProfileRegistry profiles = ProfileRegistry.load(PROFILE_DIR, f.include(), f.exclude());
            java.util.List<String> excluded = excludedTypes(loaded.config(), all, profiles);
            if (!excluded.isEmpty()) {
                return new Attempt(null, loaded.source(), excluded, false);
            }
            return new Attempt(new Loaded(loaded, profiles), loaded.source(), java.util.List.of(), false);
        } catch (ConfigException e) {
            return new Attempt(null, e.source(), e.problems(), false);
        } catch (ProfileException e) {
            return new Attempt(null, null, java.util.List.of("invalid backend profile: " + e.getMessage()), true);
        }
    }

    /** Null (after printing why) when the configuration or a profile is invalid. */
    static Loaded load(Path configPath, Map<String, String> env) {
        Attempt a = attempt(configPath, env);
        if (a.loaded() != null) {
            return a.loaded();
        }
        if (a.badProfile()) {
            System.err.println("olla: " + a.problems().get(0));
            return null;
        }
        System.err.println("olla: invalid configuration" + (a.source() == null ? "" : " (" + a.source() + ")") + ":");
        a.problems().forEach(p -> System.err.println("  - " + p));
        return null;
    }
}
