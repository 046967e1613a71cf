package dev.olla.route;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointRegistry;
import dev.olla.endpoint.EndpointState;
import dev.olla.model.ModelRegistry;
import dev.olla.model.UnifiedModel;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileRegistry;
import dev.olla.proxy.ForwardPlan;
import dev.olla.proxy.ProxyService;
import dev.olla.proxy.RouteTarget;
import dev.olla.server.Exchange;
import dev.olla.server.Router;
import dev.olla.translate.AnthropicRequest;
import dev.olla.translate.AnthropicTranslator;
import dev.olla.translate.StreamConverter;
import dev.olla.translate.TranslationException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Anthropic Messages API under {@code /olla/anthropic/v1/}: requests go through unchanged to a
 * backend whose profile speaks Anthropic natively ({@code X-Olla-Mode: passthrough}), otherwise
 * they are translated to OpenAI chat completions and the answer (streamed or not) translated back.
 * Either way the request takes the normal proxy path (model routing, balancing, failover).
 */
public final class AnthropicRoutes {
    private static final String MESSAGES = "/olla/anthropic/v1/messages";

    private final OllaConfig.Anthropic cfg;
    private final EndpointRegistry endpoints;
    private final ProfileRegistry profiles;
    private final ModelRegistry models;
    private final ProxyService proxy;
    private final RouteTarget translated;
    private final Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());

    private AnthropicRoutes(OllaConfig.Anthropic cfg, EndpointRegistry endpoints, ProfileRegistry profiles,
            ModelRegistry models, ProxyService proxy) {
        this.cfg = cfg;
        this.endpoints = endpoints;
        this.profiles = profiles;
        this.models = models;
        this.proxy = proxy;
        Set<String> openAi = new LinkedHashSet<>();
        for (Profile p : profiles.all()) {
            if (p.openAiCompatible()) {
                openAi.add(p.name());
            }
        }
        this.translated = new RouteTarget("/olla/anthropic", Set.copyOf(openAi), "anthropic", false);
    }

    /** Registers the routes when {@code translators.anthropic.enabled}. */
    public static void register(Router router, OllaConfig.Anthropic cfg, EndpointRegistry endpoints,
            ProfileRegistry profiles, ModelRegistry models, ProxyService proxy) {
        if (cfg == null || !cfg.enabled()) {
            return;
        }
        AnthropicRoutes r = new AnthropicRoutes(cfg, endpoints, profiles, models, proxy);
        router.post(MESSAGES, r::messages);
        router.post(MESSAGES + "/count_tokens", r::countTokens);
        router.get("/olla/anthropic/v1/models", r::models);
    }

    private void messages(Exchange ex) {
        ex.responseHeaders().set("request-id", ex.requestId());
        long max = cfg.maxMessageSize() > 0 ? cfg.maxMessageSize() : 10L * 1024 * 1024;
        if (ex.body().readableBytes() > max) {
            error(ex, 413, "request body exceeds translators.anthropic.max_message_size (" + max + " bytes)");
            return;
        }
        AnthropicRequest req;
        try {
            req = AnthropicTranslator.parse(ByteBufUtil.getBytes(ex.body()));
        } catch (TranslationException e) {
            error(ex, e.status(), e.getMessage());
            return;
        }
        ForwardPlan.ErrorShape errors = AnthropicTranslator::error;
        if (cfg.passthroughEnabled()) {
            RouteTarget native_ = passthroughTarget(req);
            if (native_ != null) {
                proxy.forward(ex, native_, new ForwardPlan(messagesPath(native_), null, null, errors,
                        Map.of("X-Olla-Mode", "passthrough")));
                return;
            }
        }
        byte[] body = AnthropicTranslator.toOpenAiRequest(req);
        proxy.forward(ex, translated, new ForwardPlan("/v1/chat/completions", Unpooled.wrappedBuffer(body),
                new Translation(req, ex.requestId()), errors, null));
    }

    /**
     * The endpoint types that can take this request natively: profile declares Anthropic support, its
     * limitations allow the request's features, and an endpoint of that type serves the model.
     */
    private RouteTarget passthroughTarget(AnthropicRequest req) {
        Set<String> types = new LinkedHashSet<>();
        for (UnifiedModel.Source src : models.sourcesFor(req.model())) {
            EndpointState s = src.endpoint();
            if (!s.routable()) {
                continue;
            }
            Profile p = endpoints.profileOf(s);
            Profile.AnthropicSupport a = p.anthropic();
            if (a == null || !a.enabled()) {
                continue;
            }
            List<String> lim = a.limitations() == null ? List.of() : a.limitations();
            if ((lim.contains("no_tool_use") && req.hasTools()) || (lim.contains("no_extended_thinking") && req.hasThinking())
                    || (lim.contains("no_vision") && req.hasImages())) {
                continue;
            }
            types.add(p.name());
        }
        return types.isEmpty() ? null : new RouteTarget("/olla/anthropic", Set.copyOf(types), "anthropic", false);
    }

    /** The most common messages path among the target's profiles ({@code /v1/messages} on a tie). */
    private String messagesPath(RouteTarget target) {
        Map<String, Integer> counts = new HashMap<>();
        for (String type : target.types()) {
            String path = profiles.forType(type).anthropic().messagesPath();
            counts.merge(path == null || path.isBlank() ? "/v1/messages" : path, 1, Integer::sum);
        }
        String best = "/v1/messages";
        int n = counts.getOrDefault(best, 0);
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > n) {
                best = e.getKey();
                n = e.getValue();
            }
        }
        return best;
    }

    private void countTokens(Exchange ex) {
        ex.responseHeaders().set("request-id", ex.requestId());
        try {
            ex.json(HttpResponseStatus.OK, AnthropicTranslator.countTokens(ByteBufUtil.getBytes(ex.body())));
        } catch (TranslationException e) {
            error(ex, e.status(), e.getMessage());
        }
    }

    private void models(Exchange ex) {
        List<String> ids = new ArrayList<>();
        for (UnifiedModel m : models.models()) {
            if (m.sources().stream().anyMatch(src -> src.endpoint().routable())) {
                ids.add(m.id());
            }
        }
        ex.json(HttpResponseStatus.OK, AnthropicTranslator.modelsList(ids, started));
    }

    private static void error(Exchange ex, int status, String message) {
        ex.respond(HttpResponseStatus.valueOf(status), "application/json",
                AnthropicTranslator.error(status, message, ex.requestId()));
    }

    /** OpenAI answers back into Anthropic ones, for one request. */
    private static final class Translation implements ForwardPlan.ResponseTransform {
        private final String model;
        private final String requestId;
        private final StreamConverter stream;

        Translation(AnthropicRequest req, String requestId) {
            this.model = req.model();
            this.requestId = requestId;
            this.stream = AnthropicTranslator.streamConverter(req.model(), AnthropicTranslator.estimateInputTokens(req));
        }

        @Override
        public String streamContentType() {
            return "text/event-stream";
        }

        @Override
        public byte[] feed(byte[] chunk) {
            return stream.feed(chunk);
        }

        @Override
        public byte[] finish() {
            return stream.finish();
        }

        @Override
        public boolean ended() {
            return stream.ended();
        }

        @Override
        public byte[] complete(byte[] body) {
            return AnthropicTranslator.toAnthropicResponse(body, model);
        }

        @Override
        public byte[] error(int status, byte[] body) {
            return AnthropicTranslator.backendError(status, body, requestId);
        }
    }
}
