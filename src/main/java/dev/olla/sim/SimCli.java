package dev.olla.sim;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Starts simulated backends from the command line and runs until killed, e.g.
 * <pre>
 * java -cp target/olla.jar dev.olla.sim.SimCli --flavor openai --port 11500 --tokens 8 --delay-ms 0 --models m1,m2
 * </pre>
 * Prints one line per backend: its base URL ({@code http://127.0.0.1:11500}).
 */
public final class SimCli {
    private SimCli() {
    }

    private static final String USAGE = """
            usage: SimCli [options]
              --flavor F             ollama | openai | vllm | lmstudio | llamacpp   (default openai)
              --host H               bind address (default 127.0.0.1)
              --port P               port, 0 = ephemeral (default: the flavour's usual port)
              --count N              start N backends on ports P, P+1, ... (default 1)
              --tokens N             tokens per answer (default 8)
              --delay-ms MS          delay between tokens (default 0)
              --first-token-delay-ms MS   delay before a stream's first token (default: --delay-ms)
              --first-byte-delay-ms MS   delay before response headers (default 0)
              --models a,b,c         model names (default: the flavour's defaults)
              --threads N            event-loop threads per backend (default 1)
              --keep-alive-timeout-ms MS   idle keep-alive timeout, 0 = never (default: per flavour)
              --and                  the options after it describe another backend (same process)
              --version V            server version to report and behave as, e.g. 0.14.0 for an Ollama
                                     with the Anthropic Messages API (default: Ollama 0.12.6, vLLM 0.11.0)
            faults (see SimFaults; N = a number of requests or "all"; generations = chat, completions,
            Ollama generate, Anthropic messages; health checks and model lists are never delayed):
              --load-delay-ms MS     generation requests wait MS before their headers (a model loading)
              --stall-after-head-ms MS   streams send their headers, then nothing for MS, then go on
              --stall-with-role      ... and send the role-only chunk before the stall
              --drop-after-tokens N  streams die after N tokens: flushed, then closed without an end
              --fault-requests N     limit the three options above to the first N requests (default all)
              --error-first N        N streams answer 200, then an error event as first payload, then end
              --error-body-200 N     N generations answer 200 with the flavour's error object as the body
              --reset-after-role N   N streams send the role-only chunk, then reset the connection (RST)
            """;

    /** Entry point; see the class documentation. */
    public static void main(String[] args) throws InterruptedException {
        // Netty's default leak detector records a stack trace for one buffer in 128: measurable CPU per token at
        // hundreds of streams (Olla's Main turns it off the same way; tests set it to paranoid)
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        List<SimulatedBackend> sims;
        try {
            sims = start(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (sims.isEmpty()) {
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sims.forEach(SimulatedBackend::close);
            stop.countDown();
        }, "sim-shutdown"));
        stop.await();
    }

    /**
     * Parses {@code args}, starts the backends and prints their URLs; empty if only help was asked for.
     * {@code --and} separates the options of several backends started by one process (e.g. an old and a
     * new Ollama and a vLLM for an end-to-end test).
     */
    static List<SimulatedBackend> start(String[] args, PrintStream out) {
        List<SimulatedBackend> all = new ArrayList<>();
        List<String> group = new ArrayList<>();
        try {
            for (int i = 0; i <= args.length; i++) {
                if (i == args.length || args[i].equals("--and")) {
                    List<SimulatedBackend> started = startOne(group.toArray(String[]::new), out);
                    if (started.isEmpty() && all.isEmpty() && i == args.length) {
                        return started;
                    }
                    all.addAll(started);
                    group.clear();
                } else {
                    group.add(args[i]);
                }
            }
        } catch (RuntimeException e) {
            all.forEach(SimulatedBackend::close);
            throw e;
        }
        return all;
    }

    private static List<SimulatedBackend> startOne(String[] args, PrintStream out) {
        SimFlavor flavor = SimFlavor.OPENAI;
        String host = "127.0.0.1";
        Integer port = null;
        int count = 1;
        int tokens = 8;
        long delayMs = 0;
        Long firstTokenMs = null;
        long firstByteMs = 0;
        List<SimModel> models = null;
        int threads = 1;
        Long keepAliveMs = null;
        String version = null;
        long loadDelayMs = 0;
        long stallMs = 0;
        boolean stallRole = false;
        int dropAfter = -1;
        int faultRequests = SimFaults.ALL;
        int errorFirst = 0;
        int errorBody200 = 0;
        int resetAfterRole = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "-h", "--help" -> {
                    out.print(USAGE);
                    return List.of();
                }
                case "--stall-with-role" -> stallRole = true;
                default -> {
                    if (v == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("missing value for " + a);
                        }
                        v = args[++i];
                    }
                    switch (a) {
                        case "--flavor", "--flavour", "--type" -> flavor = SimFlavor.parse(v);
                        case "--host" -> host = v;
                        case "--port" -> port = intArg(a, v);
                        case "--count" -> count = intArg(a, v);
                        case "--tokens" -> tokens = intArg(a, v);
                        case "--delay-ms" -> delayMs = intArg(a, v);
                        case "--first-token-delay-ms" -> firstTokenMs = (long) intArg(a, v);
                        case "--first-byte-delay-ms" -> firstByteMs = intArg(a, v);
                        case "--models" -> models = Arrays.stream(v.split(",")).map(String::trim)
                                .filter(s -> !s.isEmpty()).map(SimModel::of).toList();
                        case "--threads" -> threads = intArg(a, v);
                        case "--keep-alive-timeout-ms" -> keepAliveMs = (long) intArg(a, v);
                        case "--version" -> version = v;
                        case "--load-delay-ms" -> loadDelayMs = intArg(a, v);
                        case "--stall-after-head-ms" -> stallMs = intArg(a, v);
                        case "--drop-after-tokens" -> dropAfter = intArg(a, v);
                        case "--fault-requests" -> faultRequests = requestsArg(a, v);
                        case "--error-first" -> errorFirst = requestsArg(a, v);
                        case "--error-body-200" -> errorBody200 = requestsArg(a, v);
                        case "--reset-after-role" -> resetAfterRole = requestsArg(a, v);
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                }
            }
        }
        int basePort = port != null ? port : flavor.defaultPort();
        List<SimulatedBackend> sims = new ArrayList<>();
        try {
            for (int k = 0; k < count; k++) {
                SimulatedBackend.Builder b = SimulatedBackend.builder(flavor)
                        .host(host)
                        .port(basePort == 0 ? 0 : basePort + k)
                        .tokens(tokens)
                        .interTokenDelay(Duration.ofMillis(delayMs))
                        .ioThreads(threads)
                        .version(version);
                if (models != null) {
                    b.models(models);
                }
                if (firstTokenMs != null) {
                    b.firstTokenDelay(Duration.ofMillis(firstTokenMs));
                }
                if (keepAliveMs != null) {
                    b.keepAliveTimeout(Duration.ofMillis(keepAliveMs));
                }
                SimulatedBackend sim = b.build().start();
                sim.faults().firstByteDelay(Duration.ofMillis(firstByteMs))
                        .loadDelay(Duration.ofMillis(loadDelayMs), faultRequests)
                        .stallAfterHead(Duration.ofMillis(stallMs), stallRole, faultRequests)
                        .dropAfterTokens(dropAfter, faultRequests)
                        .errorFirst(errorFirst)
                        .errorBody200(errorBody200)
                        .resetAfterRole(resetAfterRole);
                sims.add(sim);
                out.println(sim.baseUrl());
            }
        } catch (RuntimeException e) {
            sims.forEach(SimulatedBackend::close);
            throw e;
        }
        out.flush();
        return sims;
    }

    private static int requestsArg(String name, String v) {
        return v.trim().equalsIgnoreCase("all") ? SimFaults.ALL : intArg(name, v);
    }

    private static int intArg(String name, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(name + " must be >= 0");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": not a number: " + v);
        }
    }
}
