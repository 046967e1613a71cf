package dev.olla.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Loads the Olla configuration: embedded defaults ({@code defaults.yaml} next to this class), the YAML
 * file deep-merged on top, the {@code OLLA_*} environment overrides, then binding and validation.
 *
 * <p>File search: the explicit path ({@code -c/--config}; missing is an error), else
 * {@code OLLA_CONFIG_FILE} (missing is an error), else {@code ./config.yaml}, else
 * {@code ./config/config.yaml}, else the embedded defaults alone. Relative paths resolve against the
 * working directory.
 *
 * <p>Zero values that the original reads as "use the default" are replaced by the default here, so
 * consumers never see them: {@code server.read_header_timeout}, {@code proxy.connection_keep_alive},
 * {@code proxy.response_header_timeout}, {@code proxy.tls_handshake_timeout},
 * {@code translators.anthropic.max_message_size}.
 */
public final class ConfigLoader {

    /** {@link LoadedConfig#source()} when no file was found. */
    public static final String EMBEDDED_SOURCE = "embedded defaults";

    /** Endpoint {@code type} values accepted when the caller does not pass the loaded profiles' names. */
    public static final Set<String> DEFAULT_ENDPOINT_TYPES = Set.of("ollama", "lm-studio", "lmstudio", "lm_studio",
            "openai", "openai-compatible", "vllm", "vllm-mlx", "sglang", "llamacpp", "lemonade", "lmdeploy", "litellm",
            "docker-model-runner", "dmr", "omlx", "auto");

    private static final List<String> SEARCH_PATHS = List.of("config.yaml", "config/config.yaml");
    private static final List<String> ZERO_MEANS_DEFAULT = List.of("server.read_header_timeout",
            "proxy.connection_keep_alive", "proxy.response_header_timeout", "proxy.tls_handshake_timeout",
            "translators.anthropic.max_message_size");
    private static final List<String> LOGGING_KEYS = List.of("level", "format", "output");

    private ConfigLoader() {}

    public static LoadedConfig load(Path explicitPath, Map<String, String> env) throws ConfigException {
        return load(explicitPath, env, DEFAULT_ENDPOINT_TYPES, null);
    }

    public static LoadedConfig load(Path explicitPath, Map<String, String> env, Set<String> knownTypes)
            throws ConfigException {
        return load(explicitPath, env, knownTypes, null);
    }

    public static LoadedConfig load(Path explicitPath, Map<String, String> env, Path workingDir) throws ConfigException {
        return load(explicitPath, env, DEFAULT_ENDPOINT_TYPES, workingDir);
    }

    /**
     * Loads and validates the configuration.
     *
     * @param explicitPath the {@code -c/--config} value, or null
     * @param env          environment variables (normally {@code System.getenv()})
     * @param knownTypes   accepted endpoint {@code type} values (case-insensitive), e.g. the loaded profile names
     * @param workingDir   directory for the default search and relative paths; null = the process's cwd
     * @throws ConfigException listing every problem found
     */
    public static LoadedConfig load(Path explicitPath, Map<String, String> env, Set<String> knownTypes, Path workingDir)
            throws ConfigException {
        Path wd = workingDir(workingDir);
        Optional<Path> file = locate(explicitPath, env, wd);
        if (file.isEmpty()) {
            return build(JsonNodeFactory.instance.objectNode(), EMBEDDED_SOURCE, env, knownTypes, wd);
        }
        String source = file.get().toString();
        return build(YamlTrees.read(readFile(file.get(), source), source), source, env, knownTypes, wd);
    }

    /**
     * Loads configuration from YAML text instead of a file (tests, tools). {@code sourceName} is used in
     * messages.
     */
    public static LoadedConfig parse(String yaml, String sourceName, Map<String, String> env, Set<String> knownTypes,
            Path workingDir) throws ConfigException {
        return build(YamlTrees.read(yaml, sourceName), sourceName, env, knownTypes, workingDir(workingDir));
    }

    /** {@link #parse(String, String, Map, Set, Path)} with default endpoint types and the cwd. */
    public static LoadedConfig parse(String yaml, Map<String, String> env) throws ConfigException {
        return parse(yaml, "config", env, DEFAULT_ENDPOINT_TYPES, null);
    }

    /** The embedded defaults alone, without any file or environment variable. */
    public static OllaConfig defaults() {
        try {
            return build(JsonNodeFactory.instance.objectNode(), EMBEDDED_SOURCE, Map.of(), DEFAULT_ENDPOINT_TYPES,
                    workingDir(null)).config();
        } catch (ConfigException e) {
            throw new IllegalStateException("embedded defaults are invalid: " + e.getMessage(), e);
        }
    }

    /**
     * The file that {@link #load} would read: empty when none is found and the embedded defaults apply.
     *
     * @throws ConfigException when the explicit path or {@code OLLA_CONFIG_FILE} names a missing file
     */
    public static Optional<Path> locate(Path explicitPath, Map<String, String> env, Path workingDir)
            throws ConfigException {
        Path wd = workingDir(workingDir);
        if (explicitPath != null) {
            return Optional.of(mustExist(wd.resolve(explicitPath), "-c/--config"));
        }
        String fromEnv = env.get("OLLA_CONFIG_FILE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(mustExist(wd.resolve(fromEnv.strip()), "OLLA_CONFIG_FILE"));
        }
        for (String candidate : SEARCH_PATHS) {
            Path p = wd.resolve(candidate);
            if (Files.isRegularFile(p) && Files.isReadable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static Path mustExist(Path p, String from) throws ConfigException {
        String source = p.toString();
        if (!Files.exists(p)) {
            throw new ConfigException(source, "config file not found: " + source + " (from " + from + ")");
        }
        if (!Files.isRegularFile(p)) {
            throw new ConfigException(source, "config file is not a regular file: " + source + " (from " + from + ")");
        }
        return p;
    }

    private static String readFile(Path p, String source) throws ConfigException {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new ConfigException(source, source + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(source, source + ": cannot read: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    private static Path workingDir(Path wd) {
        return (wd == null ? Path.of("") : wd).toAbsolutePath();
    }

    // ------------------------------------------------------------------ the pipeline

    private static LoadedConfig build(JsonNode user, String source, Map<String, String> env, Set<String> knownTypes,
            Path wd) throws ConfigException {
        Problems problems = new Problems();
        if (!user.isObject()) {
            throw new ConfigException(source, source + ": the top level must be a mapping of sections (server:, proxy:, ...), got "
                    + TreeBinder.show(user));
        }
        ObjectNode defaults = YamlTrees.defaults();
        JsonNode endpointDefaults = defaults.remove(YamlTrees.ENDPOINT_DEFAULTS_KEY);
        JsonNode authDefaults = defaults.remove(YamlTrees.AUTH_DEFAULTS_KEY);
        ObjectNode pristine = defaults.deepCopy();

        TreeBinder binder = new TreeBinder(problems);
        binder.checkUnknown(user, OllaConfig.class, "");

        ObjectNode tree = (ObjectNode) YamlTrees.merge(defaults, user);
        JsonNode endpoints = tree.path("discovery").path("static").path("endpoints");
        YamlTrees.applyEndpointDefaults(endpoints, endpointDefaults);
        YamlTrees.applyAuthDefaults(endpoints, authDefaults);

        EnvOverrides.apply(tree, env, problems);
        normaliseLogging(tree, pristine, problems);
        zeroMeansDefault(tree, pristine);

        OllaConfig bound = (OllaConfig) binder.bind(tree, OllaConfig.class, "");
        OllaConfig config = new ConfigValidator(problems, knownTypes, env, wd).validate(bound);
        if (problems.hasErrors() || config == null) {
            throw new ConfigException(source, problems.errors, problems.warnings);
        }
        return new LoadedConfig(config, source, problems.warnings);
    }

    /** Invalid logging values warn and fall back to the default (never fatal). */
    private static void normaliseLogging(ObjectNode tree, ObjectNode defaults, Problems problems) {
        JsonNode logging = tree.get("logging");
        if (!(logging instanceof ObjectNode section)) {
            return; // binding reports a non-mapping
        }
        for (String key : LOGGING_KEYS) {
            String path = "logging." + key;
            JsonNode value = section.get(key);
            JsonNode fallback = defaults.path("logging").path(key);
            String normalised = value != null && value.isValueNode() ? ConfigValidator.normaliseLogging(path, value.asText()) : null;
            if (normalised != null) {
                section.put(key, normalised);
            } else {
                problems.warn(path, TreeBinder.show(value) + " is not one of " + ConfigValidator.loggingAllowed(path)
                        + "; using " + TreeBinder.show(fallback));
                section.set(key, fallback.deepCopy());
            }
        }
    }

    private static void zeroMeansDefault(ObjectNode tree, ObjectNode defaults) {
        for (String path : ZERO_MEANS_DEFAULT) {
            String pointer = "/" + path.replace('.', '/');
            JsonNode value = tree.at(pointer);
            boolean zero = value.isNumber() ? value.decimalValue().signum() == 0
                    : value.isTextual() && Duration.ZERO.equals(GoDuration.tryParse(value.asText()));
            if (zero) {
                JsonNode parent = tree.at(pointer.substring(0, pointer.lastIndexOf('/')));
                if (parent instanceof ObjectNode obj) {
                    obj.set(path.substring(path.lastIndexOf('.') + 1), defaults.at(pointer).deepCopy());
                }
            }
        }
    }
}
