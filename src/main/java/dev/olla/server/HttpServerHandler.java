package dev.olla.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-connection request assembly and dispatch: enforces the header and body limits, collects the
 * body, hands a complete {@link Exchange} to the routed {@link Handler}, and keeps HTTP/1.1
 * keep-alive and pipelining in order (one exchange at a time; later requests wait, reads paused).
 */
final class HttpServerHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServerHandler.class);
    private static final int MAX_BODY_COMPONENTS = 256;
    private static final String HEALTH_PATH = "/internal/health";

    private final OllaServer server;
    private final ServerSettings settings;
    private final ConnectionTimeouts timeouts;
    private ChannelHandlerContext ctx;
    private String clientIp = "";

    private HttpRequest assembling;
    /** The body so far: one retained buffer, or a composite once a second chunk arrives. */
    private ByteBuf body;
    private boolean discarding;
    private Exchange current;
    private ArrayDeque<Object> queued;

    HttpServerHandler(OllaServer server, ServerSettings settings, ConnectionTimeouts timeouts) {
        this.server = server;
        this.settings = settings;
        this.timeouts = timeouts;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        server.connectionOpened(this);
        if (ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a && a.getAddress() != null) {
            clientIp = a.getAddress().getHostAddress();
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (current != null || (queued != null && !queued.isEmpty())) {
            // HTTP/1.1 pipelining: hold later requests until the current response has ended.
            if (queued == null) {
                queued = new ArrayDeque<>(4);
            }
            queued.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(msg);
    }

    private void handle(Object msg) {
        if (msg instanceof HttpRequest req) {
            onRequest(req);
        }
        if (msg instanceof HttpContent content) {
            onContent(content);
        }
    }

    private void onRequest(HttpRequest req) {
        DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
            discarding = true;
            Throwable cause = result.cause();
            if (cause instanceof TooLongHttpHeaderException) {
                server.stats().sizeViolation();
                reject(req, ApiError.headersTooLarge());
            } else if (cause instanceof TooLongHttpLineException) {
                server.stats().sizeViolation();
                reject(req, ApiError.of(414, "Request URI too long", "uri_too_long"));
            } else if (cause instanceof TooLongFrameException) {
                reject(req, ApiError.headersTooLarge());
            } else {
                reject(req, ApiError.badRequest("Malformed HTTP request: " + cause.getMessage()));
            }
            return;
        }
        ApiError unfit = protocolError(req);
        if (unfit != null) {
            discarding = true;
            reject(req, unfit);
            return;
        }
        discarding = false;
        long declared = HttpUtil.getContentLength(req, -1L);
        if (settings.maxBodySize() > 0 && declared > settings.maxBodySize()) {
            discarding = true;
            server.stats().sizeViolation();
            reject(req, ApiError.bodyTooLarge());
            return;
        }
        if (HttpUtil.is100ContinueExpected(req)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        timeouts.headReceived();
        assembling = req;
        body = null;
    }

    private void onContent(HttpContent content) {
        if (discarding || assembling == null) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            // A broken chunk: the body is incomplete, so nothing of it is handled or forwarded.
            LOG.debug("malformed request body: {}", String.valueOf(content.decoderResult().cause()));
            content.release();
            HttpRequest req = assembling;
            clearAssembly();
            discarding = true;
            reject(req, ApiError.badRequest("Malformed HTTP request body: the chunked encoding is invalid"));
            return;
        }
        ByteBuf data = content.content();
        if (data.isReadable()) {
            long have = body == null ? 0 : body.readableBytes();
            if (settings.maxBodySize() > 0 && have + data.readableBytes() > settings.maxBodySize()) {
                content.release();
                HttpRequest req = assembling;
                clearAssembly();
                discarding = true;
                server.stats().sizeViolation();
                reject(req, ApiError.bodyTooLarge());
                return;
            }
            if (body == null) {
                body = data.retain();
            } else {
                CompositeByteBuf composite;
                if (body instanceof CompositeByteBuf c) {
                    composite = c;
                } else {
                    composite = ctx.alloc().compositeBuffer(MAX_BODY_COMPONENTS);
                    composite.addComponent(true, body);
                    body = composite;
                }
                composite.addComponent(true, data.retain());
            }
        }
        boolean last = content instanceof LastHttpContent;
        content.release();
        if (last) {
            dispatch();
        }
    }

    /**
     * What RFC 9112 requires of a request line and Host before anything else: HTTP/1.x only (505;
     * a higher 1.x minor is served as 1.1), and exactly one Host header on HTTP/1.1 (400).
     */
    private static ApiError protocolError(HttpRequest req) {
        HttpVersion v = req.protocolVersion();
        if (!"HTTP".equals(v.protocolName()) || v.majorVersion() != 1) {
            return ApiError.of(505, "HTTP version not supported: use HTTP/1.1", "http_version_not_supported");
        }
        if (v.minorVersion() >= 1) {
            int hosts = req.headers().getAll(HttpHeaderNames.HOST).size();
            if (hosts != 1) {
                return ApiError.badRequest(hosts == 0 ? "Missing Host header" : "More than one Host header");
            }
        }
        return null;
    }

    private void dispatch() {
        HttpRequest req = assembling;
        ByteBuf payload = body != null ? body : Unpooled.EMPTY_BUFFER;
        assembling = null;
        body = null;
        timeouts.requestComplete();
        java.net.InetAddress peer = ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a
                ? a.getAddress() : null;
        Exchange ex = new Exchange(this, ctx.channel(), req, payload,
                RequestIds.fromClientOrNew(req.headers().get("X-Request-ID")),
                server.clientAddress().resolve(peer, clientIp, req.headers()), clientIp);
        current = ex;
        server.exchangeStarted();
        Router.Match match = server.router().resolve(req.method(), ex.path());
        try {
            if (req.method() == HttpMethod.TRACE || req.method() == HttpMethod.CONNECT) {
                // Not offered for any resource (RFC 9110 15.6.2); TRACE would echo credentials.
                ex.error(ApiError.of(501, req.method() + " is not supported", "method_not_supported"));
                return;
            }
            Cors cors = server.cors();
            if (cors != null && cors.apply(ex)) {
                return; // a preflight, answered before routing
            }
            RateLimiter limiter = server.rateLimiter();
            if (limiter != null && match.found() && (match.proxyRoute() || HEALTH_PATH.equals(ex.path()))) {
                java.util.concurrent.CompletableFuture<RateLimiter.Decision> check = limiter.check(ex, !match.proxyRoute());
                if (check.isDone()) {
                    admit(ex, match, check.join());
                } else {
                    // A shared (Redis) bucket answers on another thread: continue on this connection's loop.
                    check.whenComplete((d, e) -> ctx.executor().execute(() -> admit(ex, match,
                            d != null ? d : RateLimiter.Decision.UNLIMITED)));
                }
                return;
            }
            handle(ex, match);
        } catch (Throwable t) {
            failed(ex, t);
        }
    }

    /** Applies a rate-limit decision, then routes (or answers 429). */
    private void admit(Exchange ex, Router.Match match, RateLimiter.Decision d) {
        try {
            RateLimiter.headers(ex.responseHeaders(), d);
            if (!d.allowed()) {
                server.stats().rateLimitViolation();
                ex.error(ApiError.of(429, "Too Many Requests", "rate_limit_exceeded"));
                return;
            }
            handle(ex, match);
        } catch (Throwable t) {
            failed(ex, t);
        }
    }

    private void handle(Exchange ex, Router.Match match) throws Exception {
        if (match.found()) {
            match.handler().handle(ex);
        } else if (match.status() == 405) {
            ex.error(ApiError.methodNotAllowed());
        } else {
            ex.error(ApiError.notFound("Not found: " + ex.path()));
        }
    }

    private void failed(Exchange ex, Throwable t) {
        LOG.error("handler failed for {} {}: {}", ex.method(), ex.path(), t.toString(), t);
        if (!ex.ended()) {
            if (!ex.headSent()) {
                ex.error(ApiError.internal("Internal server error"));
            } else {
                ex.abort();
            }
        }
    }

    /** How Olla's own errors look on this path (the route family's shape). */
    ErrorBody errorBodyFor(String path) {
        return server.router().errorBodyFor(path);
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /** Answers an error before any handler ran, then closes (the rest of the request is not read). */
    private void reject(HttpRequest req, ApiError error) {
        timeouts.requestComplete();
        String requestId = RequestIds.fromClientOrNew(null);
        byte[] bytes = errorBodyFor(pathOf(req.uri())).render(error, requestId);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, error.status(),
                Unpooled.wrappedBuffer(bytes));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        res.headers().set(HttpHeaderNames.CONNECTION, "close");
        res.headers().set(Exchange.REQUEST_ID_HEADER, requestId);
        if (settings.requestLogging()) {
            LOG.info("{} {} rejected: {} {}", req.method(), req.uri().length() > 200 ? req.uri().substring(0, 200) : req.uri(),
                    error.status().code(), error.message());
        }
        // Half-close and keep discarding what the client still sends for a moment: closing with
        // unread input would make the kernel reset the connection and the client could lose the answer.
        ctx.writeAndFlush(res).addListener(f -> {
            if (ctx.channel() instanceof io.netty.channel.socket.DuplexChannel d && d.isActive()) {
                d.shutdownOutput();
                ctx.executor().schedule(() -> {
                    ctx.close();
                }, 1, java.util.concurrent.TimeUnit.SECONDS);
            } else {
                ctx.close();
            }
        });
    }

    // ------------------------------------------------------------------ exchange lifecycle

    ServerSettings settings() {
        return settings;
    }

    boolean keepAliveAllowed() {
        return !server.draining();
    }

    void exchangeEnded(Exchange ex, boolean persistent) {
        if (current != ex) {
            return;
        }
        current = null;
        ex.releaseBody();
        server.exchangeFinished();
        if (settings.requestLogging()) {
            RequestLog.log(ex);
        }
        if (!persistent) {
            discarding = true;
            releaseQueued();
            return;
        }
        timeouts.idle();
        while (current == null && queued != null && !queued.isEmpty()) {
            handle(queued.poll());
        }
        if (current == null && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Graceful shutdown: close now if idle; otherwise the exchange in flight closes it when it ends. */
    void closeIfIdle() {
        ctx.executor().execute(() -> {
            if (current == null && assembling == null) {
                ctx.close();
            }
        });
    }

    void forceClose() {
        ctx.close();
    }

    // ------------------------------------------------------------------ channel events

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (current != null) {
            current.writabilityChanged();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        clearAssembly();
        releaseQueued();
        Exchange ex = current;
        if (ex != null) {
            ex.clientClosed();
            if (current == ex) {
                // The handler did not end it in its close listener: end it here so counts stay exact.
                ex.abort();
            }
        }
        server.connectionClosed(this);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("client connection error: {}", cause.toString());
        } else {
            LOG.warn("client connection error: {}", cause.toString(), cause);
        }
        ctx.close();
    }

    private void clearAssembly() {
        assembling = null;
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void releaseQueued() {
        if (queued != null) {
            Object m;
            while ((m = queued.poll()) != null) {
                io.netty.util.ReferenceCountUtil.release(m);
            }
        }
    }
}
