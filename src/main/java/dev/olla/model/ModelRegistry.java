package dev.olla.model;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.profile.ProfileRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The models each endpoint serves, and the unified catalogue built from them.
 *
 * <p>Writers (discovery, stale cleanup) replace one endpoint's set under a lock and publish a new
 * immutable {@link Snapshot}; readers (routing on event loops, listings) only read the current
 * snapshot: no locks, no allocation beyond the answer.
 *
 * <p>Unification ({@code model_registry.enable_unifier}) is {@link ModelUnifier}'s: copies merged by
 * digest or case-insensitive name. With the unifier off, models are grouped by exact name only and
 * routing matches the exact (case-sensitive) native name.
 */
public final class ModelRegistry {

    /** An immutable view of the catalogue. */
    public record Snapshot(
            List<UnifiedModel> models,
            Map<String, List<UnifiedModel>> byLowerName,
            Map<String, List<UnifiedModel.Source>> byExactName,
            Map<String, Integer> countByEndpoint,
            Instant builtAt) {

        static final Snapshot EMPTY = new Snapshot(List.of(), Map.of(), Map.of(), Map.of(), Instant.EPOCH);
    }

    /** One model as one endpoint reported it, and when it was first and last reported. */
    record Entry(DiscoveredModel model, Instant firstSeen, Instant lastSeen) {}

    private record EndpointModels(List<Entry> entries, Instant updated) {}

    private final EndpointRegistry endpoints;
    private final ProfileRegistry profiles;
    private final boolean unifier;
    private final ModelUnifier unify;
    private final Clock clock;
    private final Map<EndpointState, Integer> order = new IdentityHashMap<>();
    private final Map<EndpointState, EndpointModels> perEndpoint = new IdentityHashMap<>(); // guarded by this
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    public ModelRegistry(EndpointRegistry endpoints, boolean unifier) {
        this(endpoints, unifier, Clock.systemUTC());
    }

    public ModelRegistry(EndpointRegistry endpoints, boolean unifier, Clock clock) {
        this.endpoints = endpoints;
        this.profiles = endpoints.profiles() != null ? endpoints.profiles() : ProfileRegistry.builtIn();
        this.unifier = unifier;
        this.unify = new ModelUnifier(profiles, unifier);
        this.clock = clock;
        List<EndpointState> all = endpoints.all();
        for (int i = 0; i < all.size(); i++) {
            order.put(all.get(i), i);
        }
    }

    /** From {@code model_registry} (null = defaults: unifier on). */
    public static ModelRegistry from(OllaConfig.ModelRegistry config, EndpointRegistry endpoints) {
        return new ModelRegistry(endpoints, config == null || config.enableUnifier());
    }

    public boolean unifierEnabled() {
        return unifier;
    }

    public EndpointRegistry endpoints() {
        return endpoints;
    }

    public ProfileRegistry profiles() {
        return profiles;
    }

    Clock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ writes

    /**
     * Replaces an endpoint's models with a fresh discovery result (already filtered). Every listed
     * model counts as seen now; models no longer listed are gone at once.
     */
    public void replace(EndpointState endpoint, List<DiscoveredModel> models) {
        Instant now = clock.instant();
        synchronized (this) {
            EndpointModels prev = perEndpoint.get(endpoint);
            Map<String, Instant> firstSeen = new HashMap<>();
            if (prev != null) {
                prev.entries().forEach(e -> firstSeen.put(e.model().name(), e.firstSeen()));
            }
            Map<String, Entry> next = new LinkedHashMap<>();
            for (DiscoveredModel m : models) {
                next.putIfAbsent(m.name(), new Entry(m, firstSeen.getOrDefault(m.name(), now), now));
            }
            perEndpoint.put(endpoint, new EndpointModels(List.copyOf(next.values()), now));
            rebuild(now);
        }
    }

    private final Map<EndpointState, String> versions = new java.util.concurrent.ConcurrentHashMap<>();

    /** Records the version an endpoint reports about itself ({@link BackendVersion}). */
    public void recordVersion(EndpointState endpoint, String version) {
        if (version != null) {
            versions.put(endpoint, version);
        }
    }

    /** The version the endpoint last reported, or null when unknown. */
    public String version(EndpointState endpoint) {
        return versions.get(endpoint);
    }

    /** Forgets an endpoint's models. */
    public void clear(EndpointState endpoint) {
        synchronized (this) {
            if (perEndpoint.remove(endpoint) != null) {
                rebuild(clock.instant());
            }
        }
    }

    /** Drops models not reported for longer than {@code threshold}; returns how many were dropped. */
    public int removeStale(Duration threshold) {
        Instant now = clock.instant();
        Instant cutoff = now.minus(threshold);
        synchronized (this) {
            int removed = 0;
            for (Map.Entry<EndpointState, EndpointModels> e : new ArrayList<>(perEndpoint.entrySet())) {
                List<Entry> kept = new ArrayList<>();
                for (Entry entry : e.getValue().entries()) {
                    if (entry.lastSeen().isBefore(cutoff)) {
                        removed++;
                    } else {
                        kept.add(entry);
                    }
                }
                if (kept.size() != e.getValue().entries().size()) {
                    if (kept.isEmpty()) {
                        perEndpoint.remove(e.getKey());
                    } else {
                        perEndpoint.put(e.getKey(), new EndpointModels(List.copyOf(kept), e.getValue().updated()));
                    }
                }
            }
            if (removed > 0) {
                rebuild(now);
            }
            return removed;
        }
    }

    // ------------------------------------------------------------------ reads (lock-free)

    public Snapshot snapshot() {
        return snapshot;
    }

    /** All unified models, sorted by id (case-insensitive). */
    public List<UnifiedModel> models() {
        return snapshot.models();
    }

    /** A model by unified id or any alias, case-insensitive (an exact id match first). */
    public Optional<UnifiedModel> find(String idOrAlias) {
        if (idOrAlias == null) {
            return Optional.empty();
        }
        List<UnifiedModel> hits = snapshot.byLowerName().get(idOrAlias.toLowerCase(Locale.ROOT));
        if (hits == null || hits.isEmpty()) {
            return Optional.empty();
        }
        for (UnifiedModel m : hits) {
            if (m.id().equals(idOrAlias)) {
                return Optional.of(m);
            }
        }
        for (UnifiedModel m : hits) {
            if (m.id().equalsIgnoreCase(idOrAlias)) {
                return Optional.of(m);
            }
        }
        return Optional.of(hits.get(0));
    }

    /**
     * The endpoints serving a model name, one copy per endpoint, in endpoint configuration order: with
     * the unifier, every copy of every unified model whose id or alias equals the name ignoring case
     * (per endpoint, a copy with exactly that native name preferred, then one
     * differing only in case); without it, copies with exactly that name.
     */
    public List<UnifiedModel.Source> sourcesFor(String model) {
        if (model == null) {
            return List.of();
        }
        Snapshot s = snapshot;
        if (!unifier) {
            List<UnifiedModel.Source> exact = s.byExactName().get(model);
            if (exact != null) {
                return exact;
            }
            // Routing names are lower-cased: match native names that differ only in case.
            for (Map.Entry<String, List<UnifiedModel.Source>> e : s.byExactName().entrySet()) {
                if (e.getKey().equalsIgnoreCase(model)) {
                    return e.getValue();
                }
            }
            return List.of();
        }
        List<UnifiedModel> hits = s.byLowerName().get(model.toLowerCase(Locale.ROOT));
        if (hits == null) {
            return List.of();
        }
        if (hits.size() == 1 && hits.get(0).sources().size() == 1) {
            return hits.get(0).sources();
        }
        Map<EndpointState, UnifiedModel.Source> out = new LinkedHashMap<>();
        for (UnifiedModel m : hits) {
            for (UnifiedModel.Source src : m.sources()) {
                if (src.nativeName().equals(model)) {
                    out.putIfAbsent(src.endpoint(), src);
                }
            }
        }
        for (UnifiedModel m : hits) {
            for (UnifiedModel.Source src : m.sources()) {
                if (src.nativeName().equalsIgnoreCase(model)) {
                    out.putIfAbsent(src.endpoint(), src);
                }
            }
        }
        for (UnifiedModel m : hits) {
            for (UnifiedModel.Source src : m.sources()) {
                out.putIfAbsent(src.endpoint(), src);
            }
        }
        List<UnifiedModel.Source> list = new ArrayList<>(out.values());
        list.sort(Comparator.comparingInt(src -> order.getOrDefault(src.endpoint(), Integer.MAX_VALUE)));
        return list;
    }

    /** Whether any endpoint (any status) is known to serve the name. */
    public boolean knows(String model) {
        return !sourcesFor(model).isEmpty();
    }

    /** How many models an endpoint serves (for {@code /internal/status}). */
    public int modelCount(EndpointState endpoint) {
        return snapshot.countByEndpoint().getOrDefault(endpoint.name(), 0);
    }

    /** When the endpoint's models were last replaced by a discovery, or null. */
    public Instant lastUpdated(EndpointState endpoint) {
        synchronized (this) {
            EndpointModels m = perEndpoint.get(endpoint);
            return m == null ? null : m.updated();
        }
    }

    /** The models one endpoint reported (as parsed, filtered), in its order. */
    public List<DiscoveredModel> modelsOf(EndpointState endpoint) {
        synchronized (this) {
            EndpointModels m = perEndpoint.get(endpoint);
            return m == null ? List.of() : m.entries().stream().map(Entry::model).toList();
        }
    }

    /** Rebuilds and publishes the snapshot. Caller holds the lock. */
    private void rebuild(Instant now) {
        List<EndpointState> ordered = new ArrayList<>(perEndpoint.keySet());
        ordered.sort(Comparator.comparingInt(e -> order.getOrDefault(e, Integer.MAX_VALUE)));
        Map<EndpointState, List<Entry>> reported = new LinkedHashMap<>();
        for (EndpointState ep : ordered) {
            reported.put(ep, perEndpoint.get(ep).entries());
        }
        snapshot = unify.snapshot(reported, now);
    }
}
