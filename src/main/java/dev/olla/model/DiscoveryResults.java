package dev.olla.model;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.Endpoint;
import dev.olla.endpoint.EndpointState;
import dev.olla.profile.ProfileFilter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a discovery did to the {@link ModelRegistry}: a fetched list passes the endpoint's
 * {@code model_filter} and replaces its models; a failure keeps them (until stale). Logged once per
 * change (discovered something new, failing, recovered), otherwise at DEBUG. Thread-safe.
 */
final class DiscoveryResults {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDiscovery.class);

    private final ModelRegistry registry;
    private final Map<EndpointState, String> failing = new ConcurrentHashMap<>();
    private final Map<EndpointState, Instant> lastSuccess = new ConcurrentHashMap<>();

    DiscoveryResults(ModelRegistry registry) {
        this.registry = registry;
    }

    /** The endpoint listed {@code listed}: filtered into the registry. */
    void succeeded(EndpointState endpoint, List<DiscoveredModel> listed) {
        List<DiscoveredModel> kept = filter(endpoint.endpoint(), listed);
        List<DiscoveredModel> before = registry.modelsOf(endpoint);
        registry.replace(endpoint, kept);
        lastSuccess.put(endpoint, registry.clock().instant());
        String was = failing.remove(endpoint);
        int filtered = listed.size() - kept.size();
        String extra = filtered > 0 ? " (" + filtered + " excluded by model_filter)" : "";
        if (was != null) {
            LOG.info("model discovery for endpoint {} recovered: {} model(s){}", endpoint.name(), kept.size(), extra);
        } else if (!names(before).equals(names(kept))) {
            LOG.info("discovered {} model(s) on endpoint {}{}", kept.size(), endpoint.name(), extra);
        } else {
            LOG.debug("discovered {} model(s) on endpoint {} (unchanged)", kept.size(), endpoint.name());
        }
    }

    /** The endpoint's discovery failed: its previous models stay until stale. */
    void failed(EndpointState endpoint, Throwable e) {
        String msg = ModelFetcher.describe(e);
        String was = failing.put(endpoint, msg);
        if (was == null) {
            int kept = registry.modelsOf(endpoint).size();
            LOG.warn("model discovery for endpoint {} ({}) failed: {}{}", endpoint.name(),
                    endpoint.endpoint().sanitizedUrl(), msg,
                    kept > 0 ? "; keeping its " + kept + " previously discovered model(s) until stale" : "");
        } else {
            LOG.debug("model discovery for endpoint {} still failing: {}", endpoint.name(), msg);
        }
    }

    /** The version the endpoint reports (null: unknown, what was known is kept). */
    void version(EndpointState endpoint, String version) {
        String was = registry.version(endpoint);
        registry.recordVersion(endpoint, version);
        if (version != null && !version.equals(was)) {
            LOG.info("endpoint {} reports version {}", endpoint.name(), version);
        }
    }

    Instant lastSuccess(EndpointState endpoint) {
        return lastSuccess.get(endpoint);
    }

    String lastError(EndpointState endpoint) {
        return failing.get(endpoint);
    }

    static List<DiscoveredModel> filter(Endpoint ep, List<DiscoveredModel> models) {
        OllaConfig.Filter f = ep.modelFilter();
        if (f == null || ((f.include() == null || f.include().isEmpty()) && (f.exclude() == null || f.exclude().isEmpty()))) {
            return models;
        }
        List<DiscoveredModel> out = new ArrayList<>(models.size());
        for (DiscoveredModel m : models) {
            if (ProfileFilter.allowed(m.name(), f.include(), f.exclude())) {
                out.add(m);
            }
        }
        return out;
    }

    private static List<String> names(List<DiscoveredModel> models) {
        return models.stream().map(DiscoveredModel::name).toList();
    }
}
