package dev.olla.route;

import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.model.BackendVersion;
import dev.olla.model.ModelRegistry;
import dev.olla.model.UnifiedModel;
import dev.olla.profile.Profile;
import dev.olla.proxy.ForwardPlan;
import dev.olla.translate.AnthropicErrors;
import dev.olla.translate.AnthropicRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which endpoints really speak the Anthropic Messages API: the profile declares it
 * ({@code anthropic_support.enabled}), the request's features are not in its {@code limitations}, the
 * version the backend reports is at least the profile's {@code min_version} (unknown versions are
 * tried), and the endpoint has not recently answered 404/405/501 on that path. Such an answer is
 * remembered per endpoint (and per path: messages, count_tokens) for {@link #FORGET_AFTER}, so that
 * an upgraded backend is tried again.
 */
final class AnthropicPassthrough {
    private static final Logger LOG = LoggerFactory.getLogger(AnthropicPassthrough.class);
    /** How long an endpoint that lacked a passthrough path is not asked again. */
    static final Duration FORGET_AFTER = Duration.ofMinutes(10);

    /** The path a passthrough uses. */
    enum Use { MESSAGES, COUNT_TOKENS }

    private final EndpointRegistry endpoints;
    private final ModelRegistry models;
    private final Clock clock;
    private final Map<String, Instant> lacking = new ConcurrentHashMap<>();

    AnthropicPassthrough(EndpointRegistry endpoints, ModelRegistry models, Clock clock) {
        this.endpoints = endpoints;
        this.models = models;
        this.clock = clock;
    }

    /** The routable endpoints with the model that can take this request natively (empty: translate). */
    List<EndpointState> candidates(String model, AnthropicRequest req, Use use) {
        List<EndpointState> out = new ArrayList<>();
        for (UnifiedModel.Source src : models.sourcesFor(model)) {
            EndpointState s = src.endpoint();
            if (s.routable() && !out.contains(s) && speaks(s, req, use)) {
                out.add(s);
            }
        }
        return out;
    }

    private boolean speaks(EndpointState s, AnthropicRequest req, Use use) {
        Profile.AnthropicSupport a = endpoints.profileOf(s).anthropic();
        if (a == null || !a.enabled()) {
            return false;
        }
        List<String> lim = a.limitations() == null ? List.of() : a.limitations();
        if (use == Use.COUNT_TOKENS && (!a.tokenCount() || lim.contains("no_token_counting")
                || lim.contains("token_counting_404"))) {
            return false;
        }
        if (req != null && ((lim.contains("no_tool_use") && req.hasTools())
                || (lim.contains("no_extended_thinking") && req.hasThinking())
                || (lim.contains("no_vision") && req.hasImages()))) {
            return false;
        }
        if (!BackendVersion.atLeast(models.version(s), a.minVersion())) {
            return false;
        }
        Instant since = lacking.get(key(s, use));
        return since == null || since.plus(FORGET_AFTER).isBefore(clock.instant());
    }

    /** The path for a passthrough to this endpoint. */
    String path(EndpointState s, Use use) {
        String p = endpoints.profileOf(s).anthropic().messagesPath();
        p = p == null || p.isBlank() ? "/v1/messages" : p;
        return use == Use.COUNT_TOKENS ? p + "/count_tokens" : p;
    }

    /** Remembers that the endpoint answered 404/405/501 on the passthrough path. */
    void lacks(EndpointState s, Use use) {
        if (lacking.put(key(s, use), clock.instant()) == null) {
            LOG.info("endpoint {} has no Anthropic {} path (404/405/501): {} for it instead for the next {}",
                    s.name(), use == Use.MESSAGES ? "messages" : "count_tokens",
                    use == Use.MESSAGES ? "translating" : "estimating", FORGET_AFTER);
        }
    }

    private static String key(EndpointState s, Use use) {
        return s.name() + '\u0000' + use;
    }

    /** The statuses that mean "this backend has no such path". */
    static boolean lacksPath(int status) {
        return status == 404 || status == 405 || status == 501;
    }

    /**
     * A passthrough answer as is, except errors: always Anthropic's envelope (a backend's own Anthropic
     * error is kept, anything else is wrapped).
     */
    static final class Errors implements ForwardPlan.ResponseTransform {
        private final String requestId;

        Errors(String requestId) {
            this.requestId = requestId;
        }

        @Override
        public String streamContentType() {
            return "text/event-stream";
        }

        @Override
        public byte[] feed(byte[] chunk) {
            return chunk;
        }

        @Override
        public byte[] finish() {
            return new byte[0];
        }

        @Override
        public byte[] complete(byte[] body) {
            return body;
        }

        @Override
        public byte[] error(int status, byte[] body) {
            return AnthropicErrors.passthroughError(status, body, requestId);
        }
    }
}
