package dev.olla.cli;

import dev.olla.Olla;
import dev.olla.config.ConfigException;
import dev.olla.config.ConfigLoader;
import dev.olla.config.LoadedConfig;
import dev.olla.profile.ProfileRegistry;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code olla demo}: starts simulated LLM backends on loopback (two Ollama servers and a vLLM
 * server, no GPU needed) and Olla in front of them, then prints curl commands to try.
 */
@Command(name = "demo", description = "Start simulated LLM backends and Olla in front of them (no GPU needed).")
final class DemoCommand implements Callable<Integer> {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--port", description = "Olla's port (default ${DEFAULT-VALUE}).", defaultValue = "40114")
    int port;

    @Option(names = "--token-delay-ms", description = "Delay between simulated tokens (default ${DEFAULT-VALUE}).",
            defaultValue = "80")
    long tokenDelayMs;

    @Option(names = "--exit-after", hidden = true, description = "Stop after this many seconds (tests).",
            defaultValue = "0")
    long exitAfterSeconds;

    @Override
    public Integer call() throws Exception {
        Duration delay = Duration.ofMillis(tokenDelayMs);
        List<SimulatedBackend> sims = new ArrayList<>();
        try {
            sims.add(sim(SimFlavor.OLLAMA, delay, "llama3.2:3b", "qwen2.5-coder:7b", "nomic-embed-text:latest"));
            sims.add(sim(SimFlavor.OLLAMA, delay, "llama3.2:3b", "phi4:14b"));
            sims.add(sim(SimFlavor.VLLM, delay, "meta-llama/Llama-3.1-8B-Instruct"));
            String yaml = config(sims);
            LoadedConfig loaded = ConfigLoader.parse(yaml, "demo configuration", Map.of(),
                    ProfileRegistry.builtIn().knownTypes(), null);
            LoggingSetup.apply(new dev.olla.config.OllaConfig.Logging("info", "text", "stdout"));
            Olla olla;
            try {
                olla = Olla.start(loaded.config(), ProfileRegistry.builtIn());
            } catch (Exception e) {
                System.err.println("olla demo: cannot start Olla on localhost:" + port + ": " + e.getMessage()
                        + " (try --port)");
                return 1;
            }
            printWelcome(sims);
            if (exitAfterSeconds > 0) {
                Thread.sleep(exitAfterSeconds * 1000);
                olla.close();
                return 0;
            }
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                olla.close();
                sims.forEach(SimulatedBackend::close);
                stop.countDown();
            }, "olla-demo-shutdown"));
            stop.await();
            return 0;
        } catch (ConfigException e) {
            System.err.println("olla demo: " + String.join("; ", e.problems()));
            return 2;
        } finally {
            if (exitAfterSeconds > 0) {
                sims.forEach(SimulatedBackend::close);
            }
        }
    }

    private static SimulatedBackend sim(SimFlavor flavor, Duration delay, String... models) {
        List<SimModel> list = new ArrayList<>();
        for (String m : models) {
            list.add(SimModel.of(m));
        }
        return SimulatedBackend.builder(flavor).host("127.0.0.1").port(0).models(list).tokens(12)
                .interTokenDelay(delay).build().start();
    }

    private String config(List<SimulatedBackend> sims) {
        return """
                server:
                  host: localhost
                  port: %d
                proxy:
                  engine: olla
                  load_balancer: least-connections
                discovery:
                  static:
                    endpoints:
                      - name: ollama-gpu0
                        url: %s
                        type: ollama
                        priority: 100
                        check_interval: 2s
                        check_timeout: 1s
                      - name: ollama-gpu1
                        url: %s
                        type: ollama
                        priority: 100
                        check_interval: 2s
                        check_timeout: 1s
                      - name: vllm-box
                        url: %s
                        type: vllm
                        priority: 90
                        check_interval: 2s
                        check_timeout: 1s
                  health_check:
                    initial_delay: 0s
                logging:
                  format: text
                """.formatted(port, sims.get(0).baseUrl(), sims.get(1).baseUrl(), sims.get(2).baseUrl());
    }

    private void printWelcome(List<SimulatedBackend> sims) {
        String base = "http://localhost:" + port;
        System.out.println();
        System.out.println("Olla demo is running on " + base + " with three simulated backends:");
        System.out.println("  ollama-gpu0  " + sims.get(0).baseUrl() + "  (Ollama: llama3.2:3b, qwen2.5-coder:7b, nomic-embed-text)");
        System.out.println("  ollama-gpu1  " + sims.get(1).baseUrl() + "  (Ollama: llama3.2:3b, phi4:14b)");
        System.out.println("  vllm-box     " + sims.get(2).baseUrl() + "  (vLLM: meta-llama/Llama-3.1-8B-Instruct)");
        System.out.println();
        System.out.println("Try these in another terminal:");
        System.out.println();
        System.out.println("  # 1. a chat completion (OpenAI API through Olla)");
        System.out.println("  curl -s " + base + "/olla/openai/v1/chat/completions -H 'Content-Type: application/json' \\");
        System.out.println("       -d '{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}'");
        System.out.println();
        System.out.println("  # 2. a streamed chat: tokens arrive one by one (Ollama API)");
        System.out.println("  curl -N " + base + "/olla/ollama/api/chat -H 'Content-Type: application/json' \\");
        System.out.println("       -d '{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}'");
        System.out.println();
        System.out.println("  # 3. the models Olla found on all backends");
        System.out.println("  curl -s " + base + "/olla/models");
        System.out.println();
        System.out.println("  # and what Olla sees: endpoints, health, traffic");
        System.out.println("  curl -s " + base + "/internal/status/endpoints");
        System.out.println();
        System.out.println("Press Ctrl+C to stop.");
        System.out.flush();
    }
}
