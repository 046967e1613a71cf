package dev.olla.profile;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;


import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The backend profiles in effect: the shipped ones (YAML resources next to this class, listed in
 * {@code index.txt}) plus the user's own profile directory, filtered by {@code proxy.profile_filter}.
 *
 * <p>User files ({@code *.yaml}/{@code *.yml}, in file-name order) use the original Olla schema. A file
 * whose {@code name} matches an existing profile overrides it field by field (mappings are merged,
 * lists and scalars replace; a full copy of a shipped file therefore behaves exactly as in the
 * original); any other name adds a profile. Unknown keys are ignored. A broken user file is a
 * {@link ProfileException} naming the file and the line/column; the built-ins always load.
 *
 * <p>Lookups are case-insensitive. Immutable and thread-safe once built.
 */
public final class ProfileRegistry {

    /** The catch-all profile: unknown types fall back to it, and the filter never removes it. */
    public static final String FALLBACK = "openai-compatible";
    /** Endpoint type meaning "detect the backend"; a known type without a profile of its own. */
    public static final String AUTO = "auto";

    private static final String RESOURCE_DIR = "/dev/olla/profile/";
    private static final String INDEX = "index.txt";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~-]+");
    /** Sub-paths of /olla/ that Olla serves itself; a prefix of the same spelling never reaches a backend. */
    private static final Set<String> RESERVED_PREFIXES = Set.of("proxy", "models", "anthropic");

    /** One parsed profile file: the merged YAML tree (base for later overrides) and what it yields. */
    private record Loaded(String file, JsonNode tree, Profile profile, List<ContextRule> contextRules,
            List<Integer> defaultPorts) {}

    private record ContextRule(String pattern, long context) {}

    private static final class BuiltIns {
        static final Map<String, Loaded> LOADED = loadBuiltIns();
        static final ProfileRegistry REGISTRY = new ProfileRegistry(LOADED, List.of(), List.of(), new ArrayList<>());
    }

    private final Map<String, Profile> byName;        // lower-case name -> profile (sorted)
    private final Map<String, Profile> byPrefix;      // lower-case prefix -> profile (load order, last wins)
    private final Map<String, Profile> byCompactKey;  // name/prefix without '-', '_' -> profile (unambiguous only)
    private final Map<String, Loaded> loaded;         // lower-case name -> loaded file
    private final List<Profile> all;
    private final Set<String> knownTypes;
    private final List<String> warnings;

    private ProfileRegistry(Map<String, Loaded> profiles, List<String> include, List<String> exclude,
            List<String> warnings) {
        Map<String, Loaded> kept = new LinkedHashMap<>();
        profiles.forEach((key, l) -> {
            if (key.equals(FALLBACK) || ProfileFilter.allowed(l.profile().name(), include, exclude)) {
                kept.put(key, l);
            }
        });
        Map<String, Profile> names = new HashMap<>();
        Map<String, Profile> prefixes = new LinkedHashMap<>();
        for (Loaded l : kept.values()) {
            Profile p = l.profile();
            names.put(p.name(), p);
            for (String raw : p.prefixes()) {
                String prefix = raw.toLowerCase(Locale.ROOT);
                Profile previous = prefixes.remove(prefix);
                if (previous != null && !previous.name().equals(p.name())) {
                    warnings.add("routing prefix \"" + prefix + "\" is claimed by profiles \"" + previous.name()
                            + "\" and \"" + p.name() + "\"; \"" + p.name() + "\" (" + l.file() + ") wins");
                }
                prefixes.put(prefix, p);
                if (RESERVED_PREFIXES.contains(prefix)) {
                    warnings.add("routing prefix \"" + prefix + "\" of profile \"" + p.name() + "\" (" + l.file()
                            + ") is shadowed by Olla's own /olla/" + prefix + "/ routes");
                }
            }
        }
        for (Map.Entry<String, Profile> e : prefixes.entrySet()) {
            Profile named = names.get(e.getKey());
            if (named != null && named != e.getValue()) {
                warnings.add("\"" + e.getKey() + "\" is the name of profile \"" + named.name()
                        + "\" and a routing prefix of profile \"" + e.getValue().name() + "\"; as an endpoint type it means \""
                        + named.name() + "\", as /olla/" + e.getKey() + "/ it routes to \"" + e.getValue().name() + "\"");
            }
        }
        Map<String, Profile> compact = new HashMap<>();
        Set<String> ambiguous = new HashSet<>();
        Stream.concat(names.entrySet().stream(), prefixes.entrySet().stream()).forEach(e -> {
            String k = compact(e.getKey());
            Profile prev = compact.putIfAbsent(k, e.getValue());
            if (prev != null && prev != e.getValue()) {
                ambiguous.add(k);
            }
        });
        ambiguous.forEach(compact::remove);

        List<Profile> sorted = new ArrayList<>(names.values());
        sorted.sort(Comparator.comparing(Profile::name));
        Set<String> types = new TreeSet<>(names.keySet());
        types.addAll(prefixes.keySet());
        types.add(AUTO);

        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(sortedMap(names)));
        this.byPrefix = Collections.unmodifiableMap(prefixes);
        this.byCompactKey = Map.copyOf(compact);
        this.loaded = Map.copyOf(kept);
        this.all = List.copyOf(sorted);
        this.knownTypes = Collections.unmodifiableSet(types);
        this.warnings = List.copyOf(warnings);
    }

    private static Map<String, Profile> sortedMap(Map<String, Profile> m) {
        Map<String, Profile> out = new LinkedHashMap<>();
        m.keySet().stream().sorted().forEach(k -> out.put(k, m.get(k)));
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Construction

    /** The shipped profiles only (no user directory, no filter). Cached. */
    public static ProfileRegistry builtIn() {
        return BuiltIns.REGISTRY;
    }

    /**
     * The shipped profiles plus the user's profile directory, filtered by name.
     *
     * @param userDir directory of user {@code *.yaml} profile files; null or missing = none
     * @param include {@code proxy.profile_filter.include} globs on profile names (null/empty = all)
     * @param exclude {@code proxy.profile_filter.exclude} globs (exclude wins; {@code openai-compatible} is always kept)
     * @throws ProfileException a user file is unreadable, not valid YAML, has a wrongly-typed field or lacks {@code name}
     */
    public static ProfileRegistry load(Path userDir, List<String> include, List<String> exclude)
            throws ProfileException {
        Map<String, Loaded> profiles = new LinkedHashMap<>(BuiltIns.LOADED);
        List<String> warnings = new ArrayList<>();
        Map<String, String> definedByUser = new HashMap<>();
        for (Path file : userFiles(userDir)) {
            String display = file.toString();
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new ProfileException(display, "cannot read: " + e.getMessage());
            }
            Loaded l = parse(display, text, profiles);
            String key = l.profile().name();
            String earlier = definedByUser.put(key, display);
            if (earlier != null) {
                warnings.add("profile \"" + key + "\" is defined in both " + earlier + " and " + display
                        + "; " + display + " is applied last");
            }
            profiles.remove(key); // re-insert at the end: a later definition wins prefix collisions
            profiles.put(key, l);
        }
        return new ProfileRegistry(profiles, include == null ? List.of() : include,
                exclude == null ? List.of() : exclude, warnings);
    }

    private static List<Path> userFiles(Path dir) throws ProfileException {
        if (dir == null || !Files.exists(dir)) {
            return List.of();
        }
        if (!Files.isDirectory(dir)) {
            throw new ProfileException(dir.toString(), "profile directory is not a directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                String lower = n.toLowerCase(Locale.ROOT);
                return !n.startsWith(".") && (lower.endsWith(".yaml") || lower.endsWith(".yml"))
                        && Files.isRegularFile(p);
            }).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new ProfileException(dir.toString(), "cannot list profile directory: " + e.getMessage());
        }
    }

    /** File names of the shipped profiles, in load order (resources next to this class). */
    public static List<String> builtInFiles() {
        String index = resource(INDEX);
        List<String> files = new ArrayList<>();
        for (String line : index.split("\\R")) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                files.add(t);
            }
        }
        return List.copyOf(files);
    }

    /** The text of one shipped profile file (e.g. to write a copy a user can edit). */
    public static String builtInYaml(String file) {
        return resource(file);
    }

    private static String resource(String file) {
        try (InputStream in = ProfileRegistry.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("built-in profile resource missing: " + RESOURCE_DIR + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read built-in profile resource " + RESOURCE_DIR + file, e);
        }
    }

    /** How many built-in profiles the last start took from {@link BuiltInTrees} (the rest parsed as YAML). */
    static int preParsed;

    private static Map<String, Loaded> loadBuiltIns() {
        Map<String, Loaded> out = new LinkedHashMap<>();
        Map<String, Map.Entry<Long, JsonNode>> trees = BuiltInTrees.load();
        int taken = 0;
        for (String file : builtInFiles()) {
            try {
                String text = resource(file);
                Map.Entry<Long, JsonNode> pre = trees.get(file);
                Loaded l = null;
                if (pre != null && pre.getKey() == BuiltInTrees.crc(text)) {
                    try {
                        l = fromTree("built-in " + file, pre.getValue(), new HashMap<>(), Map.of());
                        taken++;
                    } catch (ProfileException e) {
                        l = null; // parsed below, for the message's line and column
                    }
                }
                if (l == null) {
                    l = parse("built-in " + file, text, Map.of());
                }
                if (out.put(l.profile().name(), l) != null) {
                    throw new IllegalStateException("duplicate built-in profile " + l.profile().name());
                }
            } catch (ProfileException e) {
                throw new IllegalStateException("broken built-in profile: " + e.getMessage(), e);
            }
        }
        if (!out.containsKey(FALLBACK)) {
            throw new IllegalStateException("built-in profile " + FALLBACK + " missing");
        }
        preParsed = taken;
        return Collections.unmodifiableMap(out);
    }

    // ---------------------------------------------------------------------------------------------
    // Parsing

    private static Loaded parse(String file, String text, Map<String, Loaded> existing) throws ProfileException {
        Map<String, JsonLocation> where = new HashMap<>();
        return fromTree(file, ProfileYamlReader.tree(file, text, where), where, existing);
    }

    private static Loaded fromTree(String file, JsonNode tree, Map<String, JsonLocation> where,
            Map<String, Loaded> existing) throws ProfileException {
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ProfileException(file, "name is required (the file is empty)");
        }
        if (!tree.isObject()) {
            throw new ProfileException(file, 1, 1, "expected a mapping of profile fields (name, routing, api, ...)");
        }
        ProfileYaml own = ProfileYamlReader.bind(file, tree, where); // type check with line/column positions
        JsonNode nameNode = tree.get("name");
        String name = nameNode == null || nameNode.isNull() ? "" : nameNode.asText().strip().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw new ProfileException(file, "name is required");
        }
        if (!TOKEN.matcher(name).matches()) {
            throw new ProfileException(file, "name \"" + name
                    + "\" is not valid (letters, digits, '.', '_', '-' and '~' only)");
        }
        Loaded base = existing.get(name);
        if (base == null) {
            return toLoaded(file, name, tree, own);
        }
        JsonNode merged = merge(base.tree().deepCopy(), tree);
        return toLoaded(file, name, merged, ProfileYamlReader.bind(file, merged, Map.of()));
    }

    /** Overlays {@code over} on {@code base}: mappings merge key by key; anything else replaces. */
    private static JsonNode merge(JsonNode base, JsonNode over) {
        if (base instanceof ObjectNode b && over instanceof ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                b.set(e.getKey(), merge(b.get(e.getKey()), e.getValue()));
            }
            return b;
        }
        return over;
    }

    private static Loaded toLoaded(String file, String name, JsonNode tree, ProfileYaml y) throws ProfileException {
        List<String> prefixes;
        if (y.routing() == null || y.routing().prefixes() == null) {
            prefixes = List.of(name);
        } else {
            Set<String> seen = new LinkedHashSet<>();
            for (String p : y.routing().prefixes()) {
                if (p == null || p.isBlank()) {
                    continue;
                }
                String t = p.strip();
                if (t.startsWith("/")) {
                    t = t.substring(1);
                }
                if (t.endsWith("/")) {
                    t = t.substring(0, t.length() - 1);
                }
                if (!TOKEN.matcher(t).matches()) {
                    throw new ProfileException(file, "routing.prefixes: \"" + p
                            + "\" is not a valid prefix (one path segment: letters, digits, '.', '_', '-' and '~' only)");
                }
                seen.add(t);
            }
            prefixes = List.copyOf(seen);
        }
        ProfileYaml.Api api = y.api();
        boolean openAi = api != null && Boolean.TRUE.equals(api.openaiCompatible());
        List<String> paths = api == null ? List.of() : clean(api.paths());
        String health = api == null ? null : blankToNull(api.healthCheckPath());
        String models = api == null ? null : blankToNull(api.modelDiscoveryPath());
        Profile.AnthropicSupport anthropic = Profile.AnthropicSupport.NONE;
        if (api != null && api.anthropicSupport() != null) {
            ProfileYaml.Anthropic a = api.anthropicSupport();
            String messages = blankToNull(a.messagesPath());
            anthropic = new Profile.AnthropicSupport(Boolean.TRUE.equals(a.enabled()),
                    messages == null ? Profile.AnthropicSupport.NONE.messagesPath() : messages,
                    Boolean.TRUE.equals(a.tokenCount()), blankToNull(a.minVersion()), clean(a.limitations()));
        }
        String format = y.request() == null ? null : blankToNull(y.request().responseFormat());
        int priority = y.characteristics() == null || y.characteristics().defaultPriority() == null ? 100
                : y.characteristics().defaultPriority();

        Map<String, List<String>> capabilities = new LinkedHashMap<>();
        List<ContextRule> contextRules = new ArrayList<>();
        if (y.models() != null) {
            if (y.models().capabilityPatterns() != null) {
                y.models().capabilityPatterns().forEach((cap, globs) -> {
                    if (cap != null && !cap.isBlank()) {
                        capabilities.put(cap.strip().toLowerCase(Locale.ROOT), clean(globs));
                    }
                });
            }
            if (y.models().contextPatterns() != null) {
                for (ProfileYaml.ContextPattern c : y.models().contextPatterns()) {
                    if (c != null && c.pattern() != null && !c.pattern().isBlank() && c.context() != null
                            && c.context() > 0) {
                        contextRules.add(new ContextRule(c.pattern().strip(), c.context()));
                    }
                }
            }
        }
        Profile.Metrics metrics = Profile.Metrics.NONE;
        if (y.metrics() != null && y.metrics().extraction() != null) {
            ProfileYaml.Extraction x = y.metrics().extraction();
            metrics = new Profile.Metrics(Boolean.TRUE.equals(x.enabled()), orderedStrings(x.paths()),
                    orderedStrings(x.calculations()));
        }
        List<Integer> ports = y.detection() == null || y.detection().defaultPorts() == null ? List.of()
                : y.detection().defaultPorts().stream().filter(p -> p != null && p > 0 && p < 65536).toList();

        String display = blankToNull(y.displayName());
        Profile profile = new Profile(name, display == null ? name : display.strip(), prefixes, openAi, paths,
                health == null ? "/" : health.strip(), models == null ? "/v1/models" : models.strip(),
                format == null ? "openai" : format.strip().toLowerCase(Locale.ROOT), anthropic, priority,
                Collections.unmodifiableMap(capabilities), metrics, capacity(file, y.capacity()));
        return new Loaded(file, tree, profile, List.copyOf(contextRules), List.copyOf(ports));
    }

    private static Profile.Capacity capacity(String file, ProfileYaml.CapacityYaml c) throws ProfileException {
        if (c == null || c.source() == null || c.source().isBlank() || c.source().strip().equalsIgnoreCase("none")) {
            return Profile.Capacity.NONE;
        }
        Profile.CapacitySource source;
        try {
            source = Profile.CapacitySource.valueOf(c.source().strip().toUpperCase(Locale.ROOT).replace("-", "").replace("_", ""));
        } catch (IllegalArgumentException e) {
            throw new ProfileException(file, "capacity.source: \"" + c.source()
                    + "\" is not one of llamacpp, ollama, lmstudio, vllm, sglang, none");
        }
        String path = blankToNull(c.path());
        if (path == null) {
            throw new ProfileException(file, "capacity.path: required when capacity.source is set");
        }
        return new Profile.Capacity(source, path.strip(), blankToNull(c.propsPath()), blankToNull(c.metricsPath()));
    }

    private static List<String> clean(List<String> values) {
        if (values == null) {
            return List.of();
        }
        return values.stream().filter(v -> v != null && !v.isBlank()).map(String::strip).toList();
    }

    private static Map<String, String> orderedStrings(Map<String, String> m) {
        if (m == null || m.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k != null && v != null && !v.isBlank()) {
                out.put(k, v.strip());
            }
        });
        return Collections.unmodifiableMap(out);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    // ---------------------------------------------------------------------------------------------
    // Lookups

    /**
     * The profile for an endpoint {@code type}: a canonical name or any routing prefix/alias
     * ({@code openai}, {@code lmstudio}, {@code lm_studio}, {@code dmr}, ...), case-insensitive,
     * {@code _} and {@code -} interchangeable. Unknown, blank and {@code auto} types fall back to
     * {@code openai-compatible}.
     */
    public Profile forType(String type) {
        Profile p = lookup(type);
        return p != null ? p : byName.get(FALLBACK);
    }

    /** {@code forType(type).name()}, or null when the type is unknown (also for {@code auto}). */
    public String canonicalType(String type) {
        Profile p = lookup(type);
        return p == null ? null : p.name();
    }

    private Profile lookup(String type) {
        if (type == null) {
            return null;
        }
        String k = type.strip().toLowerCase(Locale.ROOT);
        if (k.isEmpty()) {
            return null;
        }
        Profile p = byName.get(k);
        if (p == null) {
            p = byPrefix.get(k);
        }
        if (p == null) {
            String dashed = k.replace('_', '-');
            p = byName.get(dashed);
            if (p == null) {
                p = byPrefix.get(dashed);
            }
        }
        if (p == null) {
            p = byCompactKey.get(compact(k));
        }
        return p;
    }

    private static String compact(String key) {
        return key.replace("-", "").replace("_", "");
    }

    /**
     * The profile serving {@code /olla/<prefix>/}: the prefix as it appears in the URL (e.g.
     * {@code lm_studio}), case-insensitive. {@code openai-compatible} is always accepted.
     */
    public Optional<Profile> forPrefix(String prefix) {
        if (prefix == null) {
            return Optional.empty();
        }
        String k = prefix.strip().toLowerCase(Locale.ROOT);
        Profile p = byPrefix.get(k);
        if (p == null && k.equals(FALLBACK)) {
            p = byName.get(FALLBACK);
        }
        return Optional.ofNullable(p);
    }

    /** Every routing prefix (lower-case) and the profile it routes to, in registration order. */
    public Map<String, Profile> routingPrefixes() {
        return byPrefix;
    }

    /** The profiles in effect, by name. */
    public Collection<Profile> all() {
        return all;
    }

    /** Every name and prefix accepted as an endpoint {@code type} (lower-case), plus {@code auto}. */
    public Set<String> knownTypes() {
        return knownTypes;
    }

    /** Load warnings: prefix collisions (last wins), duplicate user definitions, reserved prefixes. */
    public List<String> warnings() {
        return warnings;
    }

    /** The file a profile came from ({@code built-in ollama.yaml} or the user file's path), if present. */
    public Optional<String> sourceOf(String type) {
        Profile p = lookup(type);
        return p == null ? Optional.empty() : Optional.ofNullable(loaded.get(p.name())).map(Loaded::file);
    }

    /** {@code detection.default_ports} of a type's profile (informational), empty if none. */
    public List<Integer> defaultPorts(String type) {
        Loaded l = loaded.get(forType(type).name());
        return l == null ? List.of() : l.defaultPorts();
    }

    /**
     * The context length the profile's {@code models.context_patterns} give a model name (first
     * matching pattern, case-insensitive globs), or empty.
     */
    public OptionalLong contextLengthFor(Profile profile, String modelName) {
        Loaded l = profile == null ? null : loaded.get(profile.name());
        if (l == null || modelName == null) {
            return OptionalLong.empty();
        }
        for (ContextRule r : l.contextRules()) {
            if (ProfileFilter.matches(r.pattern(), modelName)) {
                return OptionalLong.of(r.context());
            }
        }
        return OptionalLong.empty();
    }

    /**
     * Which capabilities ({@code vision}, {@code embeddings}, {@code code}, {@code chat}, or any other
     * key of {@code models.capability_patterns}) the profile's patterns give a model name
     * (case-insensitive globs), in the profile's order.
     */
    public static Set<String> capabilitiesFor(Profile profile, String modelName) {
        if (profile == null || modelName == null || profile.capabilityPatterns() == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        profile.capabilityPatterns().forEach((cap, globs) -> {
            if (ProfileFilter.matchesAny(globs, modelName)) {
                out.add(cap);
            }
        });
        return Collections.unmodifiableSet(out);
    }
}
