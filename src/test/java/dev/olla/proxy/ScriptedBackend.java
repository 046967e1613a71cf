package dev.olla.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain-socket backend whose answers a test writes byte by byte (broken chunks, compressed
 * bodies, connections dropped after a request), on loopback and an ephemeral port. Health probes
 * ({@code GET /health}) and model listings ({@code GET /v1/models}: {@link #MODEL}) are answered and kept
 * out of every count; the other
 * requests are recorded, and the connections that carried them are counted while open.
 */
final class ScriptedBackend implements AutoCloseable {
    /** One request as received; header names lower-case. */
    record Request(int connection, String method, String path, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Writes the answer to one request; return false (or throw) to close the connection afterwards. */
    @FunctionalInterface
    interface Script {
        boolean answer(Request request, OutputStream out) throws Exception;
    }

    /** The one model the backend lists. */
    static final String MODEL = "scripted-model";

    /** Thrown by a script to end its connection with a TCP reset instead of a clean close. */
    static final class Reset extends Exception {
        Reset() {
            super("reset", null, false, false);
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Integer> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger serving = new AtomicInteger();
    private final AtomicInteger maxServing = new AtomicInteger();

    ScriptedBackend(Script script) throws IOException {
        this.script = script;
        server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(this::accept);
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    List<Request> requests() {
        return requests;
    }

    /** Connections that carried at least one proxied (non-health) request and are still open. */
    int openConnections() {
        return open.size();
    }

    /** The most such connections open at the same time. */
    int maxOpenConnections() {
        return maxOpen.get();
    }

    /** The most proxied requests being answered at the same time. */
    int maxConcurrentRequests() {
        return maxServing.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int n = connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(s, n));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                Request r = read(in, id);
                if (r == null) {
                    return;
                }
                if (r.method().equals("GET") && r.path().startsWith("/health")) {
                    out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"));
                    out.flush();
                    continue;
                }
                if (r.method().equals("GET") && r.path().equals("/v1/models")) {
                    String models = "{\"object\":\"list\",\"data\":[{\"id\":\"" + MODEL + "\",\"object\":\"model\"}]}";
                    out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                            + models.length() + "\r\n\r\n" + models));
                    out.flush();
                    continue;
                }
                if (open.add(id)) {
                    maxOpen.accumulateAndGet(open.size(), Math::max);
                }
                requests.add(r);
                maxServing.accumulateAndGet(serving.incrementAndGet(), Math::max);
                try {
                    if (!script.answer(r, out)) {
                        return;
                    }
                    out.flush();
                } finally {
                    serving.decrementAndGet();
                }
            }
        } catch (Reset r) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // closing anyway
            }
        } catch (Exception ignored) {
            // the test decides what breaks
        } finally {
            open.remove(id);
            sockets.remove(s);
        }
    }

    private static Request read(InputStream in, int id) throws IOException {
        String line = line(in);
        if (line == null || line.isEmpty()) {
            return null;
        }
        String[] first = line.split(" ");
        Map<String, String> headers = new ConcurrentHashMap<>();
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        return new Request(id, first[0], first[1], headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
