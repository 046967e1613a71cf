package dev.olla.sim;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A simulated LLM server on a real socket, speaking one {@link SimFlavor}'s wire format.
 *
 * <pre>{@code
 * try (SimulatedBackend sim = SimulatedBackend.builder(SimFlavor.OLLAMA)
 *         .models(List.of(SimModel.of("llama3.2:3b")))
 *         .tokens(8).interTokenDelay(Duration.ofMillis(20))
 *         .build().start()) {
 *     String url = sim.baseUrl();          // http://127.0.0.1:PORT
 *     sim.faults().httpError(500);         // break it while it runs
 * }
 * }</pre>
 *
 * <p>Generated text is {@code tokens} deterministic tokens ({@link #tokenText(int)}), fewer if the request asks
 * for fewer ({@code max_tokens}, {@code max_completion_tokens}, {@code n_predict}, {@code options.num_predict}).
 * Streams send one token per {@code interTokenDelay}; non-streamed answers are sent after
 * {@code tokens × interTokenDelay}. All I/O runs on the backend's own small event-loop group; nothing blocks it.
 */
public final class SimulatedBackend implements AutoCloseable {

    static final int MAX_BODY = 64 * 1024 * 1024;
    private static final int TOKEN_CACHE = 4096;
    private static final String[] TOKENS = new String[TOKEN_CACHE];

    static {
        for (int i = 0; i < TOKEN_CACHE; i++) {
            TOKENS[i] = "tok" + i + " ";
        }
    }

    private final SimFlavor flavor;
    private final String host;
    private final int requestedPort;
    private final Duration keepAliveTimeout;
    private final boolean compress;
    private final int ioThreads;
    private final SimFaults faults;
    private final String version;
    private final SimStats stats = new SimStats();
    private volatile List<SimModel> models;
    private volatile int tokens;
    private volatile long interTokenDelayNanos;
    /** The wait before a stream's first token; negative = one inter-token delay. */
    private final long firstTokenDelayNanos;
    private final SimSlots slots;
    private final long loadDelayNanos;

    private EventLoopGroup group;
    private ChannelGroup channels;
    private ServerBootstrap bootstrap;
    private volatile Channel serverChannel;
    private volatile int port = -1;
    private volatile boolean closed;

    private SimulatedBackend(Builder b) {
        this.flavor = b.flavor;
        this.host = b.host;
        this.requestedPort = b.port;
        this.models = List.copyOf(b.models != null ? b.models : defaultModels(b.flavor));
        this.tokens = b.tokens;
        this.interTokenDelayNanos = b.interTokenDelay.toNanos();
        this.firstTokenDelayNanos = b.firstTokenDelay == null ? -1 : b.firstTokenDelay.toNanos();
        this.compress = b.compress;
        this.keepAliveTimeout = b.keepAliveTimeout != null ? b.keepAliveTimeout
                : (b.flavor == SimFlavor.LLAMACPP || b.flavor == SimFlavor.VLLM) ? Duration.ofSeconds(5) : Duration.ZERO;
        this.ioThreads = b.ioThreads;
        this.version = b.version != null ? b.version : switch (b.flavor) {
            case OLLAMA -> Wire.OLLAMA_VERSION;
            case VLLM -> Wire.VLLM_VERSION;
            case LLAMACPP -> Wire.LLAMACPP_BUILD;
            default -> null;
        };
        this.faults = new SimFaults(this::applyRefuse);
        this.slots = new SimSlots(b.slots >= 0 ? b.slots : b.flavor == SimFlavor.LLAMACPP ? 4 : 0);
        this.loadDelayNanos = b.loadDelay.toNanos();
    }

    /** A builder for a backend of the given flavour (defaults: 127.0.0.1, ephemeral port, 8 tokens, no delay). */
    public static Builder builder(SimFlavor flavor) {
        return new Builder(flavor);
    }

    /** The version this backend reports (null for flavours that report none). */
    public String version() {
        return version;
    }

    /** True when this backend serves the Anthropic Messages API ({@code /v1/messages}), as the real server of that version. */
    public boolean speaksMessages() {
        return switch (flavor) {
            case OLLAMA -> SimMessages.atLeast(version, "0.14.0");
            case VLLM -> SimMessages.atLeast(version, "0.11.1");
            case LLAMACPP -> true;
            default -> false;
        };
    }

    /** The models a flavour serves when none are configured. */
    public static List<SimModel> defaultModels(SimFlavor flavor) {
        return switch (flavor) {
            case OLLAMA -> List.of(SimModel.of("llama3.2:3b"), SimModel.of("qwen2.5:7b").withLoaded(false),
                    SimModel.embedding("nomic-embed-text:latest"));
            case OPENAI -> List.of(SimModel.of("gpt-4o-mini"), SimModel.embedding("text-embedding-3-small"));
            case VLLM -> List.of(SimModel.of("meta-llama/Llama-3.1-8B-Instruct"));
            case LMSTUDIO -> List.of(SimModel.of("qwen2.5-7b-instruct"), SimModel.of("llama-3.2-3b-instruct").withLoaded(false),
                    SimModel.embedding("text-embedding-nomic-embed-text-v1.5"));
            case LLAMACPP -> List.of(SimModel.of("tiny-llama"));
        };
    }

    /** The text of generated token {@code i} ({@code "tok<i> "}). */
    public static String tokenText(int i) {
        return i >= 0 && i < TOKEN_CACHE ? TOKENS[i] : "tok" + i + " ";
    }

    /** The full text of a generation of {@code n} tokens: {@code tokenText(0) + ... + tokenText(n-1)}. */
    public static String expectedText(int n) {
        StringBuilder sb = new StringBuilder(n * 6);
        for (int i = 0; i < n; i++) {
            sb.append(tokenText(i));
        }
        return sb.toString();
    }

    /**
     * Binds the port and starts serving.
     *
     * @return this backend
     * @throws IllegalStateException if already started or the port cannot be bound
     */
    public synchronized SimulatedBackend start() {
        if (group != null) {
            throw new IllegalStateException("already started");
        }
        group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("sim-" + flavor.id(), true),
                NioIoHandler.newFactory());
        channels = new DefaultChannelGroup("sim-" + flavor.id(), GlobalEventExecutor.INSTANCE);
        bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline()
                                .addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(64 * 1024)));
                        if (compress) {
                            ch.pipeline().addLast("compress", new io.netty.handler.codec.http.HttpContentCompressor());
                        }
                        ch.pipeline()
                                .addLast("aggregator", new HttpObjectAggregator(MAX_BODY))
                                .addLast("sim", new SimHandler(SimulatedBackend.this));
                    }
                });
        try {
            if (requestedPort == 0) {
                bindOutsideEphemeralRange();
            } else {
                bind(requestedPort);
            }
            if (faults.refuseConnections()) {
                applyRefuse(true);
            }
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            group = null;
            throw e;
        }
        return this;
    }

    /**
     * "Port 0" picks a free port below the kernel's ephemeral range (32768+ on Linux), so that after
     * {@code refuseConnections(true)} unbinds it, no outgoing connection can take it before the
     * port is bound again.
     */
    private void bindOutsideEphemeralRange() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 50; i++) {
            int candidate = 20_000 + r.nextInt(12_000);
            ChannelFuture f = bootstrap.bind(new InetSocketAddress(host, candidate)).awaitUninterruptibly();
            if (f.isSuccess()) {
                serverChannel = f.channel();
                port = candidate;
                return;
            }
        }
        bind(0);
    }

    private void bind(int p) {
        ChannelFuture f = bootstrap.bind(new InetSocketAddress(host, p)).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IllegalStateException("cannot bind " + host + ":" + p + ": " + f.cause(), f.cause());
        }
        serverChannel = f.channel();
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    private synchronized void applyRefuse(boolean refuse) {
        if (group == null || closed) {
            return;
        }
        if (refuse) {
            Channel sc = serverChannel;
            if (sc != null) {
                sc.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
                serverChannel = null;
            }
            channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        } else if (serverChannel == null) {
            bind(port);
        }
    }

    /** The bound port (stays the same across {@link SimFaults#refuseConnections(boolean)}). */
    public int port() {
        if (port < 0) {
            throw new IllegalStateException("not started");
        }
        return port;
    }

    /** The host the backend binds to. */
    public String host() {
        return host;
    }

    /** {@code http://HOST:PORT}, without a trailing slash. */
    public String baseUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port();
    }

    /** {@link #baseUrl()} plus {@code path}, as a URI. */
    public URI uri(String path) {
        return URI.create(baseUrl() + path);
    }

    /** The flavour this backend speaks. */
    public SimFlavor flavor() {
        return flavor;
    }

    /** The fault switchboard (mutable while running). */
    public SimFaults faults() {
        return faults;
    }

    /** What this backend has seen. */
    public SimStats stats() {
        return stats;
    }

    /** The models currently served. */
    public List<SimModel> models() {
        return models;
    }

    /** Replaces the served models (takes effect for the next request). */
    public void setModels(List<SimModel> models) {
        this.models = List.copyOf(models);
    }

    /**
     * The parallel slots (llama.cpp {@code -np}, vLLM {@code max_num_seqs}, Ollama {@code OLLAMA_NUM_PARALLEL}):
     * a generation holds one while it runs; beyond them generations wait inside the server, in order.
     */
    public SimSlots slots() {
        return slots;
    }

    /** How long a generation for a model that is not loaded waits before its first token (then it is loaded). */
    public Duration loadDelay() {
        return Duration.ofNanos(loadDelayNanos);
    }

    private final long startedAt = System.currentTimeMillis() / 1000;

    long startedAtEpochSeconds() {
        return startedAt;
    }

    long loadDelayNanos() {
        return loadDelayNanos;
    }

    /** Marks a served model loaded (as after a cold load); unknown names are ignored. */
    public synchronized void markLoaded(String name, boolean loaded) {
        List<SimModel> now = new java.util.ArrayList<>(models);
        now.replaceAll(m -> m.name().equals(name) ? m.withLoaded(loaded) : m);
        models = List.copyOf(now);
    }

    /** Tokens generated per answer (before a request's own limit). */
    public int tokens() {
        return tokens;
    }

    /** Changes the tokens generated per answer at runtime. */
    public void setTokens(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens < 0");
        }
        this.tokens = tokens;
    }

    /** The delay between two generated tokens. */
    public Duration interTokenDelay() {
        return Duration.ofNanos(interTokenDelayNanos);
    }

    /** Changes the inter-token delay at runtime. */
    public void setInterTokenDelay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay");
        }
        this.interTokenDelayNanos = delay.toNanos();
    }

    long interTokenDelayNanos() {
        return interTokenDelayNanos;
    }

    /** The wait between a stream's head and its first token (one inter-token delay unless set). */
    long firstTokenDelayNanos() {
        return firstTokenDelayNanos >= 0 ? firstTokenDelayNanos : interTokenDelayNanos;
    }

    long keepAliveTimeoutNanos() {
        return keepAliveTimeout.toNanos();
    }

    /** Whether {@link #start()} succeeded and {@link #close()} has not been called. */
    public boolean isRunning() {
        return group != null && !closed;
    }

    /** Stops serving: closes the listening socket and every connection and stops the threads. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (group == null) {
            return;
        }
        Channel sc = serverChannel;
        if (sc != null) {
            sc.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        channels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(1, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "SimulatedBackend[" + flavor.id() + " " + (port < 0 ? "unstarted" : baseUrl()) + "]";
    }

    /** Starts simulators from the command line; see {@link SimCli}. */
    public static void main(String[] args) throws Exception {
        SimCli.main(args);
    }

    /** Configures a {@link SimulatedBackend}. */
    public static final class Builder {
        private final SimFlavor flavor;
        private String host = "127.0.0.1";
        private int port;
        private List<SimModel> models;
        private int tokens = 8;
        private Duration interTokenDelay = Duration.ZERO;
        private Duration firstTokenDelay;
        private Duration keepAliveTimeout;
        private int ioThreads = 1;
        private String version;
        private boolean compress;
        private int slots = -1;
        private Duration loadDelay = Duration.ZERO;

        private Builder(SimFlavor flavor) {
            this.flavor = Objects.requireNonNull(flavor, "flavor");
        }

        /** Address to bind (default {@code 127.0.0.1}). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Port to bind; 0 (default) picks an ephemeral port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port);
            }
            this.port = port;
            return this;
        }

        /** Models served (default {@link SimulatedBackend#defaultModels(SimFlavor)}). */
        public Builder models(List<SimModel> models) {
            this.models = List.copyOf(models);
            return this;
        }

        /** Models served, by name ({@link SimModel#of(String)}). */
        public Builder modelNames(String... names) {
            this.models = java.util.Arrays.stream(names).map(SimModel::of).toList();
            return this;
        }

        /** Tokens generated per answer (default 8). */
        public Builder tokens(int tokens) {
            if (tokens < 0) {
                throw new IllegalArgumentException("tokens < 0");
            }
            this.tokens = tokens;
            return this;
        }

        /** Delay between tokens (default zero). */
        public Builder interTokenDelay(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("negative delay");
            }
            this.interTokenDelay = delay;
            return this;
        }

        /**
         * Delay between a stream's head (and role chunk) and its first token; default: one inter-token
         * delay. Zero sends the first token at once, so a latency benchmark's time to first token measures
         * the path, not the simulator's pacing timer.
         */
        public Builder firstTokenDelay(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("negative delay");
            }
            this.firstTokenDelay = delay;
            return this;
        }

        /**
         * How long an idle keep-alive connection stays open before the server closes it; zero = forever.
         * Default: 5 s for llama.cpp and vLLM (as the real servers), forever for the others.
         */
        public Builder keepAliveTimeout(Duration timeout) {
            this.keepAliveTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Compress response bodies (gzip or deflate) whenever the request's Accept-Encoding allows it,
         * as a backend behind a compressing reverse proxy does; default off.
         */
        public Builder compress(boolean compress) {
            this.compress = compress;
            return this;
        }

        /**
         * Parallel slots; generations beyond them wait inside the server (default: 4 for llama.cpp, as the
         * fixtures' {@code -np 4}; 0 = unlimited for the others).
         */
        public Builder slots(int slots) {
            if (slots < 0) {
                throw new IllegalArgumentException("slots < 0");
            }
            this.slots = slots;
            return this;
        }

        /** Time a generation waits for a model that is not loaded, before it starts (default zero). */
        public Builder loadDelay(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("negative delay");
            }
            this.loadDelay = delay;
            return this;
        }

        /** Event-loop threads (default 1). */
        public Builder ioThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads < 1");
            }
            this.ioThreads = threads;
            return this;
        }

        /**
         * The server version the backend reports (Ollama {@code /api/version}, vLLM {@code /version},
         * llama.cpp {@code build_info}) and behaves as: Ollama from {@code 0.14.0} and vLLM from
         * {@code 0.11.1} serve the Anthropic Messages API ({@code /v1/messages}), older ones answer
         * 404 there as the real servers do. Default: Ollama {@code 0.12.6}, vLLM {@code 0.11.0},
         * llama.cpp {@code b10587-3f545becc} (which serves it).
         */
        public Builder version(String version) {
            this.version = version == null || version.isBlank() ? null : version.trim();
            return this;
        }

        /** Creates the backend (not yet started). */
        public SimulatedBackend build() {
            return new SimulatedBackend(this);
        }
    }
}
