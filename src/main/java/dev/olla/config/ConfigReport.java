package dev.olla.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The report of {@code olla validate} / {@code --validate-config}: {@code [OK]}, {@code [WARN]} and
 * {@code [FAIL]} lines, then {@code Result: PASS - all configuration files are valid} or
 * {@code Result: FAIL - N problem(s) found}. Exit code 0 unless there is a FAIL (warnings are fine).
 *
 * <p>Other checks (models file, profiles) can be appended with {@link #ok}, {@link #warn} and
 * {@link #fail} before {@link #lines()} is read. The CLI prints the lines.
 */
public final class ConfigReport {

    public static final String TITLE = "Olla Configuration Validation";

    private final List<String> checks = new ArrayList<>();
    private int failures;
    private int warnings;
    private LoadedConfig loaded;

    private ConfigReport() {}

    public static ConfigReport validate(Path explicitPath, Map<String, String> env) {
        return validate(explicitPath, env, ConfigLoader.DEFAULT_ENDPOINT_TYPES, null);
    }

    /** Loads the configuration as {@link ConfigLoader#load} would and reports every finding. */
    public static ConfigReport validate(Path explicitPath, Map<String, String> env, Set<String> knownTypes,
            Path workingDir) {
        ConfigReport r = new ConfigReport();
        try {
            LoadedConfig lc = ConfigLoader.load(explicitPath, env, knownTypes, workingDir);
            r.loaded = lc;
            r.ok("config: " + describeSource(lc.source()));
            lc.warnings().forEach(r::warn);
            OllaConfig c = lc.config();
            r.ok("server: listening on " + c.server().host() + ":" + c.server().port());
            r.ok("proxy: engine " + ConfigEnums.yamlName(c.proxy().engine()) + ", profile "
                    + ConfigEnums.yamlName(c.proxy().profile()) + ", load balancer "
                    + ConfigEnums.yamlName(c.proxy().loadBalancer()));
            List<OllaConfig.Endpoint> endpoints = c.discovery().staticConfig().endpoints();
            r.ok("endpoints: " + endpoints.size() + " configured");
            for (OllaConfig.Endpoint e : endpoints) {
                r.ok("endpoint \"" + e.name() + "\": " + e.url() + " (type " + e.type() + ", priority " + e.priority()
                        + (e.auth() != null ? ", auth " + e.auth().type() : "") + ")");
            }
            if (!c.modelAliases().isEmpty()) {
                r.ok("model aliases: " + c.modelAliases().size() + " defined");
            }
        } catch (ConfigException e) {
            if (e.source() != null && e.problems().stream().noneMatch(p -> p.contains(e.source()))) {
                r.ok("config: " + describeSource(e.source())); // read and parsed; the problems follow
            }
            e.warnings().forEach(r::warn);
            e.problems().forEach(r::fail);
        }
        return r;
    }

    private static String describeSource(String source) {
        return ConfigLoader.EMBEDDED_SOURCE.equals(source) ? "no config file found, using embedded defaults" : source;
    }

    public ConfigReport ok(String message) {
        checks.add("[OK] " + message);
        return this;
    }

    public ConfigReport warn(String message) {
        checks.add("[WARN] " + message);
        warnings++;
        return this;
    }

    public ConfigReport fail(String message) {
        checks.add("[FAIL] " + message);
        failures++;
        return this;
    }

    public int failureCount() {
        return failures;
    }

    public int warningCount() {
        return warnings;
    }

    /** The configuration, when it loaded. */
    public Optional<LoadedConfig> loaded() {
        return Optional.ofNullable(loaded);
    }

    public boolean passed() {
        return failures == 0;
    }

    /** 0 when there is no FAIL line, else 1. */
    public int exitCode() {
        return passed() ? 0 : 1;
    }

    /** Title, blank line, the check lines, blank line, the result line. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(TITLE);
        out.add("");
        out.addAll(checks);
        out.add("");
        if (passed()) {
            out.add("Result: PASS - all configuration files are valid");
        } else {
            out.add("Result: FAIL - " + failures + " problem" + (failures == 1 ? "" : "s") + " found");
        }
        return List.copyOf(out);
    }
}
