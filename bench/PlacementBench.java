import dev.olla.Olla;
import dev.olla.config.ConfigLoader;
import dev.olla.config.LoadedConfig;
import dev.olla.profile.ProfileRegistry;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Time to first token through Olla on a mixed simulated fleet, per balancer:
 * <ul>
 *   <li>{@code big}: llama.cpp, 4 slots, warm;</li>
 *   <li>{@code small}: llama.cpp, 1 slot (fewer slots), warm;</li>
 *   <li>{@code cold}: Ollama, the model NOT loaded, 4 s to load it (slow to load), no published slots.</li>
 * </ul>
 * CLIENTS clients send REQUESTS streamed chat completions in all (20 tokens, 10 ms a token), back to back.
 * Each balancer gets a fresh fleet (the cold box cold again) and a fresh Olla.
 *
 * <pre>java -cp target/olla.jar bench/PlacementBench.java [CLIENTS=4] [REQUESTS=200] [balancer...]</pre>
 */
public class PlacementBench {
    static final String BODY = "{\"model\":\"tiny-llama\",\"stream\":true,\"max_tokens\":20,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        List<String> balancers = args.length > 2 ? List.of(args).subList(2, args.length)
                : List.of("least-connections", "capacity");
        int port = 18120;
        System.out.printf("fleet: big (llama.cpp, 4 slots), small (llama.cpp, 1 slot), cold (Ollama, model not loaded, 4 s load)%n");
        System.out.printf("load: %d clients, %d streamed requests, 20 tokens x 10 ms%n%n", clients, requests);
        System.out.printf("%-18s %9s %9s %9s %9s %6s  %s%n", "balancer", "p50 ms", "p90 ms", "p99 ms", "max ms", "5xx", "served by");
        for (String balancer : balancers) {
            run(balancer, clients, requests, port++);
        }
    }

    static void run(String balancer, int clients, int requests, int port) throws Exception {
        SimModel tiny = new SimModel("tiny-llama", "llama", "185.92K", "F32", 2048, SimModel.Type.LLM, true);
        try (SimulatedBackend big = SimulatedBackend.builder(SimFlavor.LLAMACPP).slots(4).tokens(20)
                        .interTokenDelay(Duration.ofMillis(10)).models(List.of(tiny)).build().start();
                SimulatedBackend small = SimulatedBackend.builder(SimFlavor.LLAMACPP).slots(1).tokens(20)
                        .interTokenDelay(Duration.ofMillis(10)).models(List.of(tiny)).build().start();
                SimulatedBackend cold = SimulatedBackend.builder(SimFlavor.OLLAMA).tokens(20)
                        .interTokenDelay(Duration.ofMillis(10)).models(List.of(tiny.withLoaded(false)))
                        .loadDelay(Duration.ofSeconds(4)).build().start()) {
            String yaml = """
                    server: {host: 127.0.0.1, port: %d, request_logging: false,
                      rate_limits: {global_requests_per_minute: 0, per_ip_requests_per_minute: 0, health_requests_per_minute: 0}}
                    logging: {level: error}
                    proxy: {load_balancer: %s, capacity: {poll_interval: 250ms}}
                    discovery:
                      health_check: {initial_delay: 0s}
                      static:
                        endpoints:
                          - {name: big, url: "%s", type: llamacpp, priority: 100}
                          - {name: small, url: "%s", type: llamacpp, priority: 100}
                          - {name: cold, url: "%s", type: ollama, priority: 100}
                    """.formatted(port, balancer, big.baseUrl(), small.baseUrl(), cold.baseUrl());
            ProfileRegistry profiles = ProfileRegistry.builtIn();
            LoadedConfig cfg = ConfigLoader.parse(yaml, "bench", Map.of(), profiles.knownTypes(), null);
            try (Olla olla = Olla.start(cfg.config(), profiles)) {
                Thread.sleep(600); // a capacity poll or two
                List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
                Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
                AtomicInteger errors = new AtomicInteger();
                AtomicInteger left = new AtomicInteger(requests);
                CountDownLatch done = new CountDownLatch(clients);
                for (int c = 0; c < clients; c++) {
                    Thread.ofVirtual().start(() -> {
                        try {
                            while (left.getAndDecrement() > 0) {
                                one(port, ttft, servedBy, errors);
                            }
                        } finally {
                            done.countDown();
                        }
                    });
                }
                done.await();
                List<Long> s = new ArrayList<>(ttft);
                Collections.sort(s);
                System.out.printf("%-18s %9.1f %9.1f %9.1f %9.1f %6d  %s%n", balancer, pct(s, 50), pct(s, 90), pct(s, 99),
                        s.isEmpty() ? 0 : s.get(s.size() - 1) / 1e6, errors.get(), new java.util.TreeMap<>(servedBy));
            }
        }
    }

    static double pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
    }

    /** One streamed request; records the time to the first content token. */
    static void one(int port, List<Long> ttft, Map<String, AtomicInteger> servedBy, AtomicInteger errors) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(60_000);
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            String head = "POST /olla/proxy/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
            long t0 = System.nanoTime();
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder text = new StringBuilder();
            byte[] buf = new byte[8192];
            long first = -1;
            int n;
            while ((n = in.read(buf)) > 0) {
                text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (first < 0 && text.indexOf("tok0") >= 0) {
                    first = System.nanoTime() - t0;
                }
            }
            String all = text.toString();
            if (!all.startsWith("HTTP/1.1 200") || first < 0) {
                errors.incrementAndGet();
                return;
            }
            ttft.add(first);
            int i = all.indexOf("X-Olla-Endpoint: ");
            String ep = i < 0 ? "?" : all.substring(i + 17, all.indexOf('\r', i));
            servedBy.computeIfAbsent(ep, k -> new AtomicInteger()).incrementAndGet();
        } catch (Exception e) {
            errors.incrementAndGet();
        }
    }
}
