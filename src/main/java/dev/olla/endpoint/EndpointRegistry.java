package dev.olla.endpoint;

import dev.olla.config.EndpointAuth;
import dev.olla.config.OllaConfig;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Every configured endpoint with its live state, in configuration order. Built once from
 * {@code discovery.static.endpoints}; the list itself never changes at runtime.
 */
public final class EndpointRegistry {
    private final List<EndpointState> all;
    private final Map<String, EndpointState> byName;
    private final ProfileRegistry profiles;

    public EndpointRegistry(List<EndpointState> endpoints, ProfileRegistry profiles) {
        this.all = List.copyOf(endpoints);
        Map<String, EndpointState> m = new LinkedHashMap<>();
        for (EndpointState s : all) {
            m.put(s.name(), s);
        }
        this.byName = Collections.unmodifiableMap(m);
        this.profiles = profiles;
    }

    public static EndpointRegistry fromConfig(List<OllaConfig.Endpoint> configured, ProfileRegistry profiles) {
        List<EndpointState> states = new ArrayList<>();
        for (OllaConfig.Endpoint e : configured) {
            states.add(new EndpointState(toEndpoint(e, profiles)));
        }
        return new EndpointRegistry(states, profiles);
    }

    static Endpoint toEndpoint(OllaConfig.Endpoint e, ProfileRegistry profiles) {
        URI url = URI.create(e.url());
        Profile profile = profiles.forType(e.type());
        URI health = resolve(url, e.healthCheckUrl() != null ? e.healthCheckUrl() : profile.healthCheckPath());
        URI models = resolve(url, e.modelUrl() != null ? e.modelUrl() : profile.modelDiscoveryPath());
        Map<String, String> headers = new LinkedHashMap<>();
        Set<String> privateNames = new LinkedHashSet<>();
        if (e.headers() != null) {
            e.headers().forEach((k, v) -> {
                headers.put(k, v);
                privateNames.add(k.toLowerCase(Locale.ROOT));
            });
        }
        if (e.auth() != null) {
            EndpointAuth.authHeaders(e.auth()).forEach((k, v) -> {
                // The auth header wins over a custom header of the same name.
                headers.keySet().removeIf(existing -> existing.equalsIgnoreCase(k));
                headers.put(k, v);
                privateNames.add(k.toLowerCase(Locale.ROOT));
            });
        }
        return new Endpoint(e.name(), url, e.type(), e.priority(), e.preservePath(), health, models,
                e.checkInterval(), e.checkTimeout(), e.modelFilter() == null ? OllaConfig.Filter.ALL : e.modelFilter(),
                Map.copyOf(headers), Set.copyOf(privateNames), e.weight(), e.maxConcurrent());
    }

    /**
     * A health or model URL: absolute as given, else relative to the endpoint URL's base path
     * ({@code http://h:1/api} + {@code /v1/models} = {@code http://h:1/api/v1/models}).
     */
    static URI resolve(URI base, String pathOrUrl) {
        if (pathOrUrl == null || pathOrUrl.isBlank()) {
            pathOrUrl = "/";
        }
        if (pathOrUrl.startsWith("http://") || pathOrUrl.startsWith("https://")) {
            return URI.create(pathOrUrl);
        }
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        if (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        String rel = pathOrUrl.startsWith("/") ? pathOrUrl : "/" + pathOrUrl;
        String authority = base.getRawAuthority();
        return URI.create(base.getScheme() + "://" + authority + basePath + rel);
    }

    public List<EndpointState> all() {
        return all;
    }

    public EndpointState byName(String name) {
        return byName.get(name);
    }

    public ProfileRegistry profiles() {
        return profiles;
    }

    /** The profile of an endpoint's configured type. */
    public Profile profileOf(EndpointState s) {
        return profiles.forType(s.endpoint().type());
    }
}
