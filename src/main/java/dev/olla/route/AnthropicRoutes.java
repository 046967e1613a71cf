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
import dev.olla.stats.TranslatorStats;
import dev.olla.translate.AnthropicErrors;
import dev.olla.translate.AnthropicLocal;
import dev.olla.translate.AnthropicRequest;
import dev.olla.translate.AnthropicTranslator;
import dev.olla.translate.StreamConverter;
import dev.olla.translate.TranslationException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Anthropic Messages API under {@code /olla/anthropic/}: a request goes through unchanged to an
 * endpoint that really speaks the Messages API ({@link AnthropicPassthrough}: profile, limitations,
 * reported version; {@code X-Olla-Mode: passthrough}), otherwise it is translated to an OpenAI chat
 * completion and the answer (streamed or not) translated back. When a passthrough endpoint answers
 * 404/405/501 on the messages path, the same request is translated instead, invisibly to the
 * client, and the endpoint is remembered. {@code count_tokens} is validated, then asked of an
 * endpoint whose profile can count ({@code token_count: true}, e.g. llama.cpp), else estimated.
 * Every answer on this route family, errors included, is in Anthropic's shape. Either way the
 * request takes the normal proxy path (model routing, balancing, failover).
 */
public final class AnthropicRoutes {
    private static final String BASE = "/olla/anthropic";
    private static final String MESSAGES = BASE + "/v1/messages";
    private static final String COUNT = MESSAGES + "/count_tokens";
    private static final String MODELS = BASE + "/v1/models";
    private static final String FALLBACK_HEADER = "X-Olla-Passthrough-Fallback";

    private final OllaConfig.Anthropic cfg;
    private final ModelRegistry models;
    private final ProxyService proxy;
    private final RouteTarget translated;
    private final AnthropicPassthrough native_;
    private final Instant started = ProcessRoute.processStart();

    private AnthropicRoutes(OllaConfig.Anthropic cfg, EndpointRegistry endpoints, ProfileRegistry profiles,
            ModelRegistry models, ProxyService proxy) {
        this.cfg = cfg;
        this.models = models;
        this.proxy = proxy;
        Set<String> openAi = new LinkedHashSet<>();
        for (Profile p : profiles.all()) {
            if (p.openAiCompatible()) {
                openAi.add(p.name());
            }
        }
        this.translated = new RouteTarget(BASE, Set.copyOf(openAi), "anthropic", false);
        this.native_ = new AnthropicPassthrough(endpoints, models, Clock.systemUTC());
    }

    /** Registers the routes when {@code translators.anthropic.enabled}. */
    public static void register(Router router, OllaConfig.Anthropic cfg, EndpointRegistry endpoints,
            ProfileRegistry profiles, ModelRegistry models, ProxyService proxy) {
        if (cfg == null || !cfg.enabled()) {
            return;
        }
        AnthropicRoutes r = new AnthropicRoutes(cfg, endpoints, profiles, models, proxy);
        router.prefix(BASE + "/", r::dispatch, true);
        // Errors the server answers before a handler runs (413, 429, 431, 501) in the envelope too.
        router.errorBody(BASE + "/", (e, requestId) -> AnthropicErrors.error(e.status().code(), e.message(), requestId));
    }

    /** One handler for the family, so that 404 and 405 are Anthropic-shaped too. */
    private void dispatch(Exchange ex) {
        ex.responseHeaders().set("request-id", ex.requestId());
        String path = ex.path();
        boolean post = ex.method() == HttpMethod.POST;
        boolean get = ex.method() == HttpMethod.GET || ex.method() == HttpMethod.HEAD;
        switch (path) {
            case MESSAGES -> {
                if (post) {
                    messages(ex);
                } else {
                    error(ex, 405, "Method " + ex.method() + " not allowed on " + path + "; use POST");
                }
            }
            case COUNT -> {
                if (post) {
                    countTokens(ex);
                } else {
                    error(ex, 405, "Method " + ex.method() + " not allowed on " + path + "; use POST");
                }
            }
            case MODELS, MODELS + "/" -> {
                if (get) {
                    models(ex);
                } else {
                    error(ex, 405, "Method " + ex.method() + " not allowed on " + path + "; use GET");
                }
            }
            default -> {
                if (get && path.startsWith(MODELS + "/")) {
                    model(ex, path.substring(MODELS.length() + 1));
                } else {
                    error(ex, 404, "Not found: " + ex.method() + " " + path
                            + " (routes: POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models)");
                }
            }
        }
    }

    private void messages(Exchange ex) {
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
        TranslatorStats.Fallback[] why = {TranslatorStats.Fallback.TRANSLATOR_DOES_NOT_SUPPORT_PASSTHROUGH};
        long start = System.nanoTime();
        ex.onEnd(() -> proxy.translatorStats().record("passthrough".equals(ex.responseHeaders().get("X-Olla-Mode")),
                req.stream(), why[0], !ex.aborted() && ex.status() < 400, (System.nanoTime() - start) / 1000));
        if (cfg.passthroughEnabled()) {
            List<EndpointState> natives = native_.candidates(req.model(), req, AnthropicPassthrough.Use.MESSAGES);
            if (!natives.isEmpty()) {
                why[0] = TranslatorStats.Fallback.NONE;
                passthrough(ex, natives, AnthropicPassthrough.Use.MESSAGES, s -> {
                    why[0] = TranslatorStats.Fallback.CANNOT_PASSTHROUGH;
                    translate(ex, req);
                });
                return;
            }
            why[0] = TranslatorStats.Fallback.NO_COMPATIBLE_ENDPOINTS;
        }
        translate(ex, req);
    }

    private void translate(Exchange ex, AnthropicRequest req) {
        byte[] body = AnthropicTranslator.toOpenAiRequest(req);
        proxy.forward(ex, translated, new ForwardPlan("/v1/chat/completions", Unpooled.wrappedBuffer(body),
                new Translation(req, ex.requestId()), AnthropicErrors::error, null));
    }

    /**
     * Sends the client's body unchanged to one of {@code natives}; when the chosen endpoint answers
     * that it lacks the path, {@code instead} serves the same request (the client sees only that).
     */
    private void passthrough(Exchange ex, List<EndpointState> natives, AnthropicPassthrough.Use use,
            java.util.function.Consumer<EndpointState> instead) {
        Set<String> names = new HashSet<>();
        for (EndpointState s : natives) {
            names.add(s.name());
        }
        RouteTarget target = new RouteTarget(BASE, Set.copyOf(natives.stream()
                .map(s -> models.profiles().forType(s.endpoint().type()).name()).toList()), "anthropic", false);
        String path = mostCommonPath(natives, use);
        ForwardPlan.Fallback fallback = new ForwardPlan.Fallback() {
            @Override
            public boolean covers(int status) {
                return AnthropicPassthrough.lacksPath(status);
            }

            @Override
            public void instead(EndpointState endpoint) {
                native_.lacks(endpoint, use);
                ex.responseHeaders().remove("X-Olla-Mode");
                ex.responseHeaders().set(FALLBACK_HEADER, endpoint.name());
                instead.accept(endpoint);
            }
        };
        proxy.forward(ex, target, new ForwardPlan(path, null, new AnthropicPassthrough.Errors(ex.requestId()),
                AnthropicErrors::error, Map.of("X-Olla-Mode", "passthrough"), fallback),
                s -> names.contains(s.name()));
    }

    /** The most common passthrough path among the endpoints ({@code /v1/messages} on a tie). */
    private String mostCommonPath(List<EndpointState> natives, AnthropicPassthrough.Use use) {
        Map<String, Integer> counts = new HashMap<>();
        for (EndpointState s : natives) {
            counts.merge(native_.path(s, use), 1, Integer::sum);
        }
        String best = use == AnthropicPassthrough.Use.COUNT_TOKENS ? COUNT.substring(BASE.length()) : "/v1/messages";
        int n = counts.getOrDefault(best, 0);
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > n) {
                best = e.getKey();
                n = e.getValue();
            }
        }
        return best;
    }

    /**
     * Validates the request (400 in Anthropic's shape), then asks an endpoint that can count for the
     * model (profile {@code token_count: true}), else answers Olla's estimate (about 4 bytes a token).
     */
    private void countTokens(Exchange ex) {
        AnthropicRequest req;
        try {
            req = AnthropicLocal.parseCountTokens(ByteBufUtil.getBytes(ex.body()));
        } catch (TranslationException e) {
            error(ex, e.status(), e.getMessage());
            return;
        }
        if (cfg.passthroughEnabled()) {
            List<EndpointState> counters = native_.candidates(req.model(), null, AnthropicPassthrough.Use.COUNT_TOKENS);
            if (!counters.isEmpty()) {
                passthrough(ex, counters, AnthropicPassthrough.Use.COUNT_TOKENS, s -> estimate(ex, req));
                return;
            }
        }
        estimate(ex, req);
    }

    private static void estimate(Exchange ex, AnthropicRequest req) {
        ex.responseHeaders().set("X-Olla-Token-Count", "estimate");
        ex.respond(HttpResponseStatus.OK, "application/json", AnthropicLocal.countTokens(req));
    }

    private List<String> routableIds() {
        List<String> ids = new ArrayList<>();
        for (UnifiedModel m : models.models()) {
            if (m.sources().stream().anyMatch(src -> src.endpoint().routable())) {
                ids.add(m.id());
            }
        }
        return ids;
    }

    private void models(Exchange ex) {
        ex.respond(HttpResponseStatus.OK, "application/json", AnthropicLocal.modelsList(routableIds(), started));
    }

    /** {@code GET /v1/models/{id}}: one model object, or 404 {@code not_found_error}. */
    private void model(Exchange ex, String rawId) {
        String id = java.net.URLDecoder.decode(rawId.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        List<String> ids = routableIds();
        String found = ids.contains(id) ? id : models.find(id).map(UnifiedModel::id).filter(ids::contains).orElse(null);
        if (found == null) {
            error(ex, 404, "model: " + id + " not found; list available models at /olla/anthropic/v1/models");
            return;
        }
        ex.respond(HttpResponseStatus.OK, "application/json", AnthropicLocal.model(found, started));
    }

    private static void error(Exchange ex, int status, String message) {
        ex.respond(HttpResponseStatus.valueOf(status), "application/json",
                AnthropicErrors.error(status, message, ex.requestId()));
    }

    /** OpenAI answers back into Anthropic ones, for one request. */
    private static final class Translation implements ForwardPlan.ResponseTransform {
        private final String model;
        private final String requestId;
        private final StreamConverter stream;

        Translation(AnthropicRequest req, String requestId) {
            this.model = req.model();
            this.requestId = requestId;
            this.stream = AnthropicTranslator.streamConverter(req.model(), AnthropicLocal.estimateInputTokens(req));
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
            return AnthropicErrors.backendError(status, body, requestId);
        }
    }
}
