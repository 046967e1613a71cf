package dev.olla.model;

import dev.olla.endpoint.EndpointState;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds the unified catalogue ({@link ModelRegistry.Snapshot}) from the models each endpoint reported.
 * With the unifier ({@code model_registry.enable_unifier}), copies are merged first by digest, else by
 * case-insensitive name when their digests do not conflict; a name clash with a different digest becomes
 * its own model {@code <name>-<last 8 digest chars>}; the unified id is the native name of the first copy
 * seen (endpoints in configuration order); the merged metadata is the first known value of each field.
 * Without it, models are grouped by exact name only. Immutable; one call builds one snapshot.
 */
final class ModelUnifier {
    private final ProfileRegistry profiles;
    private final boolean unifier;

    ModelUnifier(ProfileRegistry profiles, boolean unifier) {
        this.profiles = profiles;
        this.unifier = unifier;
    }

    private static final class Group {
        final String id;
        final Set<String> digests = new LinkedHashSet<>();
        final List<UnifiedModel.Source> sources = new ArrayList<>();

        Group(String id) {
            this.id = id;
        }
    }

    /**
     * The catalogue of what the endpoints reported.
     *
     * @param reported each endpoint's models, the endpoints in configuration order
     */
    ModelRegistry.Snapshot snapshot(Map<EndpointState, List<ModelRegistry.Entry>> reported, Instant now) {
        List<Group> groups = new ArrayList<>();
        Map<String, Group> byDigest = new HashMap<>();
        Map<String, Group> byName = new HashMap<>();
        Map<String, Group> byId = new HashMap<>();
        Map<String, List<UnifiedModel.Source>> exact = new HashMap<>();
        Map<String, Integer> counts = new HashMap<>();

        for (Map.Entry<EndpointState, List<ModelRegistry.Entry>> reports : reported.entrySet()) {
            EndpointState ep = reports.getKey();
            Profile profile = profiles.forType(ep.endpoint().type());
            String type = profile.name();
            for (ModelRegistry.Entry entry : reports.getValue()) {
                DiscoveredModel m = entry.model();
                UnifiedModel.Source src = new UnifiedModel.Source(ep, type, m.name(), m, entry.firstSeen(),
                        entry.lastSeen());
                exact.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(src);
                Group g = unifier ? groupFor(m, byDigest, byName, byId, groups) : byId.computeIfAbsent(m.name(), k -> {
                    Group n = new Group(k);
                    groups.add(n);
                    return n;
                });
                g.sources.add(src);
                if (m.digest() != null) {
                    g.digests.add(m.digest());
                    byDigest.putIfAbsent(m.digest(), g);
                }
                byName.putIfAbsent(m.name().toLowerCase(Locale.ROOT), g);
            }
            counts.put(ep.name(), reports.getValue().size());
        }

        List<UnifiedModel> models = new ArrayList<>(groups.size());
        for (Group g : groups) {
            models.add(unify(g));
        }
        models.sort(Comparator.comparing((UnifiedModel u) -> u.id().toLowerCase(Locale.ROOT)).thenComparing(UnifiedModel::id));

        Map<String, List<UnifiedModel>> lower = new HashMap<>();
        for (UnifiedModel u : models) {
            addKey(lower, u.id(), u);
            for (UnifiedModel.Alias a : u.aliases()) {
                addKey(lower, a.name(), u);
            }
        }
        Map<String, List<UnifiedModel>> lowerFrozen = new HashMap<>();
        lower.forEach((k, v) -> lowerFrozen.put(k, List.copyOf(v)));
        Map<String, List<UnifiedModel.Source>> exactFrozen = new HashMap<>();
        exact.forEach((k, v) -> exactFrozen.put(k, List.copyOf(v)));
        return new ModelRegistry.Snapshot(Collections.unmodifiableList(models), Collections.unmodifiableMap(lowerFrozen),
                Collections.unmodifiableMap(exactFrozen), Map.copyOf(counts), now);
    }

    private static void addKey(Map<String, List<UnifiedModel>> index, String name, UnifiedModel u) {
        List<UnifiedModel> l = index.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>(1));
        if (!l.contains(u)) {
            l.add(u);
        }
    }

    private static Group groupFor(DiscoveredModel m, Map<String, Group> byDigest, Map<String, Group> byName,
            Map<String, Group> byId, List<Group> groups) {
        String digest = m.digest();
        if (digest != null) {
            Group g = byDigest.get(digest);
            if (g != null) {
                return g;
            }
        }
        String lower = m.name().toLowerCase(Locale.ROOT);
        Group named = byName.get(lower);
        String id = m.name();
        if (named != null) {
            if (digest == null || named.digests.isEmpty() || named.digests.contains(digest)) {
                return named;
            }
            // same name, different content: a model of its own
            id = m.name() + "-" + digest.substring(Math.max(0, digest.length() - 8));
        }
        Group existing = byId.get(id.toLowerCase(Locale.ROOT));
        if (existing != null && (digest == null || existing.digests.isEmpty() || existing.digests.contains(digest))) {
            return existing;
        }
        Group g = new Group(id);
        groups.add(g);
        byId.putIfAbsent(id.toLowerCase(Locale.ROOT), g);
        return g;
    }

    private UnifiedModel unify(Group g) {
        List<UnifiedModel.Alias> aliases = new ArrayList<>();
        Set<String> aliasNames = new HashSet<>();
        String family = null;
        String paramSize = null;
        String quant = null;
        String format = null;
        String digest = null;
        String modified = null;
        String publisher = null;
        String explicitType = null;
        long ctx = 0;
        long disk = 0;
        Instant first = null;
        Instant last = null;
        Set<String> caps = new LinkedHashSet<>();
        for (UnifiedModel.Source s : g.sources) {
            DiscoveredModel m = s.model();
            if (aliasNames.add(m.name())) {
                aliases.add(new UnifiedModel.Alias(m.name(), s.endpointType()));
            }
            family = family != null ? family : m.family();
            paramSize = paramSize != null ? paramSize : m.parameterSize();
            quant = quant != null ? quant : m.quantization();
            format = format != null ? format : m.format();
            digest = digest != null ? digest : m.digest();
            modified = modified != null ? modified : m.modifiedAt();
            publisher = publisher != null ? publisher : m.publisher();
            explicitType = explicitType != null ? explicitType : m.type();
            if (ctx <= 0 && m.contextLength() > 0) {
                ctx = m.contextLength();
            }
            if (m.size() > 0) {
                disk += m.size();
            }
            first = first == null || s.firstSeen().isBefore(first) ? s.firstSeen() : first;
            last = last == null || s.lastSeen().isAfter(last) ? s.lastSeen() : last;
            caps.addAll(ModelMeta.capabilities(profiles.forType(s.endpoint().endpoint().type()), m));
        }
        if (ctx <= 0) {
            for (UnifiedModel.Source s : g.sources) {
                var c = profiles.contextLengthFor(profiles.forType(s.endpoint().endpoint().type()), s.nativeName());
                if (c.isPresent()) {
                    ctx = c.getAsLong();
                    break;
                }
            }
        }
        if (family == null) {
            family = ModelMeta.guessFamily(g.id);
        }
        if (paramSize == null) {
            paramSize = ModelMeta.guessParameterSize(g.id);
        }
        List<String> capList = orderCapabilities(caps);
        return new UnifiedModel(g.id, aliases, g.sources, family, paramSize, ModelMeta.parameterCount(paramSize), quant,
                format, ctx, ModelMeta.typeFor(explicitType, capList), publisher, capList, disk, digest, modified, first,
                last);
    }

    private static final List<String> CAP_ORDER = List.of(ModelMeta.CAP_TEXT_GENERATION, ModelMeta.CAP_CHAT,
            ModelMeta.CAP_COMPLETION, ModelMeta.CAP_VISION, ModelMeta.CAP_CODE, ModelMeta.CAP_EMBEDDING);

    private static List<String> orderCapabilities(Set<String> caps) {
        List<String> out = new ArrayList<>(caps.size());
        for (String c : CAP_ORDER) {
            if (caps.contains(c)) {
                out.add(c);
            }
        }
        for (String c : caps) {
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }
}
