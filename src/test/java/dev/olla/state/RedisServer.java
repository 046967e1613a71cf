package dev.olla.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} (Debian package) on loopback, on a free port below 32768, started by
 * the test and stopped by {@link #close()}. Without the binary the test is skipped, except under
 * {@code CI=true}, where it fails.
 */
public final class RedisServer implements AutoCloseable {
    private final Path binary;
    private final int port;
    private Process process;

    private RedisServer(Path binary, int port) {
        this.binary = binary;
        this.port = port;
    }

    /** Starts one, or skips the test (fails it under CI) when redis-server is not installed. */
    public static RedisServer startOrSkip() throws Exception {
        Path bin = find();
        if (bin == null) {
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail("redis-server is not installed (Debian package redis-server; see .ci/apt.d/redis.txt)");
            }
            Assumptions.abort("redis-server is not installed (apt-get install redis-server)");
        }
        for (int attempt = 0; attempt < 10; attempt++) {
            int port = freePort();
            RedisServer r = new RedisServer(bin, port);
            if (r.launch()) {
                return r;
            }
        }
        throw new IllegalStateException("could not start redis-server on a free port");
    }

    static Path find() {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin")) {
            Path p = Path.of(dir, "redis-server");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static int freePort() {
        for (;;) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", p));
                return p;
            } catch (IOException taken) {
                // try another
            }
        }
    }

    /** Starts the process (again, after {@link #stop()}) on the same port; false if it did not come up. */
    public boolean launch() throws Exception {
        process = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no",
                "--loglevel", "warning")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            if ("+PONG".equals(command("PING"))) {
                return true;
            }
            Thread.sleep(20);
        }
        stop();
        return false;
    }

    /** One inline command; the first reply line, or null when Redis does not answer. */
    public String command(String line) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\r') {
                b.append((char) c);
            }
            return b.toString();
        } catch (IOException e) {
            return null;
        }
    }

    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    public int port() {
        return port;
    }

    /** Stops the process (the port stays this server's for {@link #launch()}). */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
