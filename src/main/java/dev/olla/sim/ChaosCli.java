package dev.olla.sim;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The chaos benchmark's driver ({@code bench/chaos.sh}): starts one simulated vLLM backend PROCESS
 * per port, runs {@link Chaos} against a running Olla while killing them with SIGKILL and restarting
 * them, and samples the Olla process's open file descriptors and resident memory (from
 * {@code /proc}) before, during (peak) and after the run.
 *
 * <pre>
 * java -cp olla.jar dev.olla.sim.ChaosCli URL PORTS SECONDS RATE OLLA_PID [TOKENS] [DELAY_MS]
 *   URL      the proxy's chat completions URL, e.g. http://127.0.0.1:18082/olla/vllm/v1/chat/completions
 *   PORTS    backend ports, comma separated (Olla's configuration lists them)
 * </pre>
 */
public final class ChaosCli {
    private ChaosCli() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: ChaosCli URL PORTS SECONDS RATE OLLA_PID [TOKENS] [DELAY_MS]");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        List<Integer> ports = new ArrayList<>();
        for (String p : args[1].split(",")) {
            ports.add(Integer.parseInt(p.trim()));
        }
        int seconds = Integer.parseInt(args[2]);
        int rate = Integer.parseInt(args[3]);
        long pid = Long.parseLong(args[4]);
        int tokens = args.length > 5 ? Integer.parseInt(args[5]) : 20;
        int delayMs = args.length > 6 ? Integer.parseInt(args[6]) : 10;

        Processes backends = new Processes(ports, tokens, delayMs);
        try {
            for (int i = 0; i < ports.size(); i++) {
                backends.start(i);
            }
            Thread.sleep(3000); // Olla's probes and discovery see them up
            Sample before = Sample.of(pid);
            AtomicLong peakFds = new AtomicLong(before.fds());
            AtomicLong peakRss = new AtomicLong(before.rssKb());
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    Sample s = Sample.of(pid);
                    peakFds.accumulateAndGet(s.fds(), Math::max);
                    peakRss.accumulateAndGet(s.rssKb(), Math::max);
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Chaos.Result r = Chaos.run(new Chaos.Settings(url, "m1", rate, 0.5, Duration.ofSeconds(seconds),
                    Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(30), 42, 512), backends);
            sampler.interrupt();
            Thread.sleep(5000); // idle: connections to dead backends and finished streams are let go
            Sample after = Sample.of(pid);
            System.out.println(r.summary());
            System.out.printf("olla fds before %d, peak %d, after %d; rss before %d MiB, peak %d MiB, after %d MiB%n",
                    before.fds(), peakFds.get(), after.fds(), before.rssKb() / 1024, peakRss.get() / 1024,
                    after.rssKb() / 1024);
        } finally {
            backends.close();
        }
    }

    /** Open FDs and VmRSS of a process (Linux /proc); -1 when unreadable. */
    record Sample(long fds, long rssKb) {
        static Sample of(long pid) {
            long fds = -1;
            long rss = -1;
            try (var s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = s.count();
            } catch (IOException | RuntimeException e) {
                // not Linux, or gone
            }
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux, or gone
            }
            return new Sample(fds, rss);
        }
    }

    /** Backends as child JVMs running {@link SimCli}; kill = SIGKILL. */
    static final class Processes implements Chaos.Backends, AutoCloseable {
        private final List<Integer> ports;
        private final Process[] procs;
        private final int tokens;
        private final int delayMs;

        Processes(List<Integer> ports, int tokens, int delayMs) {
            this.ports = ports;
            this.procs = new Process[ports.size()];
            this.tokens = tokens;
            this.delayMs = delayMs;
        }

        @Override
        public int count() {
            return ports.size();
        }

        @Override
        public void kill(int i) throws InterruptedException {
            Process p = procs[i];
            if (p != null) {
                p.destroyForcibly(); // SIGKILL: the kernel resets its connections
                p.waitFor();
                procs[i] = null;
            }
        }

        @Override
        public void start(int i) throws Exception {
            kill(i); // never two
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            procs[i] = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xmx96m", "-XX:TieredStopAtLevel=1", "-cp",
                    System.getProperty("java.class.path"), SimCli.class.getName(), "--flavor", "vllm", "--port",
                    Integer.toString(ports.get(i)), "--models", "m1", "--tokens", Integer.toString(tokens), "--delay-ms",
                    Integer.toString(delayMs)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", ports.get(i)), 200);
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            procs[i].destroyForcibly();
            procs[i] = null;
            throw new IOException("backend on port " + ports.get(i) + " did not start");
        }

        @Override
        public void close() {
            for (int i = 0; i < procs.length; i++) {
                try {
                    kill(i);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
