package dev.olla.endpoint;

import dev.olla.endpoint.BackendGet.Failure;
import dev.olla.endpoint.BackendGet.Kind;
import dev.olla.endpoint.BackendGet.Response;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * The wire under {@link BackendGet}: one request and its answer over one Netty channel
 * ({@code HttpClientCodec} + {@link ResponseReader}, TLS by an {@link SslHandler} verifying the
 * host name). Runs on one small shared event loop (one daemon thread {@code olla-backend-get},
 * epoll where the server uses it, NIO otherwise), created on the first call and kept for the
 * process, like the JDK's own HTTP client threads: background GETs are short and few, and the
 * loop costs nothing while idle.
 */
final class BackendWire {
    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEAD = 64 * 1024;
    static final int MAX_CHUNK = 16 * 1024;

    private BackendWire() {}

    /** The shared loop, created on first use. */
    private static final class Loop {
        static final boolean EPOLL = !Boolean.getBoolean("olla.noEpoll") && Epoll.isAvailable();
        static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new FastThreadLocalThread(r, "olla-backend-get");
            t.setDaemon(true);
            return t;
        }, EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** The default TLS client context (JDK trust store), created on the first https call only. */
    private static final class DefaultTls {
        static final SslContext CONTEXT = build();

        private static SslContext build() {
            try {
                return SslContextBuilder.forClient().build();
            } catch (SSLException e) {
                throw new IllegalStateException("no default TLS context: " + e.getMessage(), e);
            }
        }
    }

    static SslContext defaultTls() {
        return DefaultTls.CONTEXT;
    }

    /**
     * Sends {@code request} to {@code address} and reads the answer. The returned future completes
     * on the event loop; completing it any other way (timeout, cancellation) closes the channel.
     *
     * @param tls the TLS context for https, null for plain http
     * @param deadline {@code System.nanoTime()} by which the whole exchange must be done
     */
    static CompletableFuture<Response> exchange(InetSocketAddress address, String host, SslContext tls,
            HttpRequest request, int maxBody, long start, long deadline, Duration timeout) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            result.completeExceptionally(connectTimeout(timeout));
            return result;
        }
        Bootstrap b = new Bootstrap().group(Loop.GROUP)
                .channel(Loop.EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                // unpooled: a few small reads every few seconds need no pool, and an idle server whose
                // proxy has not run yet does not start the pooled allocator (and its JFR event classes)
                .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                        TimeUnit.NANOSECONDS.toMillis(left) + 1)))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            SslHandler ssl = tls.newHandler(ch.alloc(), host, address.getPort());
                            SSLEngine engine = ssl.engine();
                            SSLParameters p = engine.getSSLParameters();
                            p.setEndpointIdentificationAlgorithm("HTTPS");
                            engine.setSSLParameters(p);
                            ssl.setHandshakeTimeoutMillis(0); // the call's deadline covers the handshake
                            ch.pipeline().addLast(ssl);
                        }
                        ch.pipeline().addLast(new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEAD, MAX_CHUNK),
                                new ResponseReader(result, maxBody, start));
                    }
                });
        ChannelFuture connect = b.connect(address);
        Channel ch = connect.channel();
        // on the group, not ch.eventLoop(): a channel that failed to register has no loop
        ScheduledFuture<?> timer = Loop.GROUP.schedule(() -> {
            result.completeExceptionally(connect.isSuccess() ? new Failure(Kind.TIMEOUT,
                    "timeout after " + timeout.toMillis() + "ms") : connectTimeout(timeout));
        }, left, TimeUnit.NANOSECONDS);
        result.whenComplete((r, e) -> {
            timer.cancel(false);
            ch.close();
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(classify(f.cause(), timeout));
            } else {
                ch.writeAndFlush(request).addListener(w -> {
                    if (!w.isSuccess()) {
                        result.completeExceptionally(classify(w.cause(), timeout));
                    }
                });
            }
        });
        return result;
    }

    private static Failure connectTimeout(Duration timeout) {
        return new Failure(Kind.CONNECT_TIMEOUT, "connect timeout after " + timeout.toMillis() + "ms");
    }

    /** A failure in words for what the channel reported ({@code timeout} null: not a connect). */
    static Failure classify(Throwable e, Duration timeout) {
        if (e instanceof Failure f) {
            return f;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SSLException ssl) {
                return new Failure(Kind.TLS, "TLS error: " + ResponseReader.words(ssl));
            }
        }
        if (e instanceof io.netty.channel.ConnectTimeoutException) {
            return connectTimeout(timeout == null ? Duration.ZERO : timeout);
        }
        if (e instanceof NoRouteToHostException) {
            return new Failure(Kind.UNREACHABLE, "no route to host");
        }
        if (e instanceof ConnectException) {
            String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
            return m.contains("unreachable") ? new Failure(Kind.UNREACHABLE, "network is unreachable")
                    : m.contains("no route") ? new Failure(Kind.UNREACHABLE, "no route to host")
                    : new Failure(Kind.REFUSED, "connection refused");
        }
        if (e instanceof UnknownHostException) {
            return new Failure(Kind.UNKNOWN_HOST, "unknown host: " + e.getMessage());
        }
        if (e instanceof IOException) {
            String m = e.getMessage();
            return new Failure(Kind.BROKEN, m == null || m.isBlank() ? "connection broken" : m.toLowerCase(Locale.ROOT));
        }
        return new Failure(Kind.BAD_RESPONSE, ResponseReader.words(e));
    }
}
