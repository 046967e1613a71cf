package dev.olla.health;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A scriptable health-check target on 127.0.0.1:0 (JDK HttpServer). Close it after use. */
public final class ProbeServer implements AutoCloseable {
    /** How the next probes are answered. */
    public record Reply(int status, long delayMillis, Map<String, String> headers) {
        public static Reply of(int status) {
            return new Reply(status, 0, Map.of());
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Reply reply = Reply.of(200);
    private final AtomicInteger hits = new AtomicInteger();
    public final Map<String, String> lastHeaders = new ConcurrentHashMap<>();

    public ProbeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(executor);
        server.createContext("/", ex -> {
            hits.incrementAndGet();
            ex.getRequestHeaders().forEach((k, v) -> lastHeaders.put(k.toLowerCase(), String.join(",", v)));
            Reply r = reply;
            try {
                if (r.delayMillis() > 0) {
                    Thread.sleep(r.delayMillis());
                }
                r.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                byte[] body = "{\"status\":\"ok\"}".getBytes();
                ex.sendResponseHeaders(r.status(), body.length);
                ex.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException ignored) {
                // client went away (timeout test)
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void reply(Reply r) {
        this.reply = r;
    }

    public void reply(int status) {
        this.reply = Reply.of(status);
    }

    public int hits() {
        return hits.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
