package dev.olla.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.BuildInfo;
import dev.olla.endpoint.BackendGet;
import dev.olla.endpoint.Endpoint;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import dev.olla.server.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What model discovery asks a backend, through the shared {@link BackendGet} ({@code User-Agent:
 * olla-Discovery/<version>}, {@code Accept: application/json}, the endpoint's headers and auth):
 * its model list (parsed with its profile's {@code response_format}), the version it runs, any JSON
 * document under its URL. One call each, blocking (virtual threads); retries are the caller's job.
 */
final class ModelFetcher {
    /** Largest model list accepted. */
    static final int MAX_BODY = 10 * 1024 * 1024;
    private static final Duration MAX_VERSION_TIMEOUT = Duration.ofSeconds(5);

    /** A non-200 answer. */
    static final class HttpStatusException extends IOException {
        final int status;

        HttpStatusException(int status) {
            super("HTTP " + status);
            this.status = status;
        }
    }

    private final BackendGet get = new BackendGet("olla-Discovery/" + BuildInfo.current().version(),
            Map.of("Accept", "application/json"));
    private final ProfileRegistry profiles;
    private final Duration timeout;

    ModelFetcher(ProfileRegistry profiles, Duration timeout) {
        this.profiles = profiles;
        this.timeout = timeout;
    }

    /** The endpoint's models as it lists them (before its {@code model_filter}). */
    List<DiscoveredModel> models(Endpoint ep) throws IOException, ModelListException {
        return ModelListParser.parse(formatFor(ep), body(ep, ep.modelUrl(), timeout));
    }

    /**
     * The version the backend reports, where its profile names a minimum (Anthropic passthrough);
     * null when there is nothing to ask.
     */
    String version(Endpoint ep) throws IOException {
        String type = profiles.canonicalType(ep.type());
        Profile p = type == null ? null : profiles.forType(type);
        String path = BackendVersion.pathFor(type);
        if (p == null || path == null || p.anthropic() == null || p.anthropic().minVersion() == null) {
            return null;
        }
        Duration t = timeout.compareTo(MAX_VERSION_TIMEOUT) > 0 ? MAX_VERSION_TIMEOUT : timeout;
        return BackendVersion.parse(type, Json.tree(body(ep, BackendGet.under(ep, path), t)));
    }

    /** {@code path} under the endpoint's URL, parsed as JSON. */
    JsonNode json(Endpoint ep, String path, Duration t) throws IOException {
        return Json.tree(body(ep, BackendGet.under(ep, path), t));
    }

    /** The response format parser for an endpoint: its profile's, or shape detection for type {@code auto}/unknown. */
    String formatFor(Endpoint ep) {
        String canonical = profiles.canonicalType(ep.type());
        return canonical == null ? "auto" : profiles.forType(ep.type()).responseFormat();
    }

    /** The body of a 200, else an {@link HttpStatusException}. */
    private byte[] body(Endpoint ep, URI uri, Duration t) throws IOException {
        BackendGet.Response res = get.fetch(ep, uri, t, MAX_BODY);
        if (res.status() != 200) {
            throw new HttpStatusException(res.status());
        }
        return res.body();
    }

    /**
     * Whether another attempt may succeed: no answer at all (refused, timeout, broken), 5xx, 429 or
     * 408. Invalid JSON, a wrong shape, other 4xx, a list too large: the same again.
     */
    static boolean retryable(Throwable e) {
        if (e instanceof HttpStatusException h) {
            return h.status >= 500 || h.status == 429 || h.status == 408;
        }
        return e instanceof BackendGet.Failure f && f.kind().noAnswer();
    }

    /** A short message in words. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
