package dev.olla.server;

import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The socket transport: native epoll where the platform has it, NIO otherwise. Server and proxy
 * client use the same event loops so a client connection and its backend connection share a thread.
 */
public final class Transport {
    private static final boolean EPOLL = !Boolean.getBoolean("olla.noEpoll") && Epoll.isAvailable();

    private Transport() {}

    public static boolean isNative() {
        return EPOLL;
    }

    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }

    /** An event loop group of {@code threads} threads (0 = Netty's default: 2 x cores). */
    public static MultiThreadIoEventLoopGroup newGroup(int threads, String prefix) {
        IoHandlerFactory factory = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, daemonThreads(prefix), factory);
    }

    public static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends Channel> clientChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new io.netty.util.concurrent.FastThreadLocalThread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(false);
            return t;
        };
    }
}
