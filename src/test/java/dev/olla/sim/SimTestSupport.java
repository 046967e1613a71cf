package dev.olla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/** Helpers shared by the simulator tests: an HTTP client, a raw socket client, JSON, (leaks are checked for every test class by dev.olla.NettyLeakCheck). */
final class SimTestSupport {
    private SimTestSupport() {
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    static HttpResponse<String> get(SimulatedBackend sim, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(sim.uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(SimulatedBackend sim, String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(sim.uri(path)).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String s) throws IOException {
        return JSON.readTree(s);
    }

    static void await(BooleanSupplier cond, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(5);
        }
    }

    /** The llama.cpp fixture directory, or null when shared/ is not beside the work tree. */
    static Path fixtures() {
        for (String p : new String[] {"../shared/fixtures/llamacpp", "/work/shared/fixtures/llamacpp"}) {
            Path d = Path.of(p);
            if (Files.isDirectory(d)) {
                return d;
            }
        }
        return null;
    }

    /** The response part of a curl-captured fixture: status/header lines and the body. */
    record Capture(List<String> headLines, String body) {
        static Capture read(Path file) throws IOException {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            String resp = s.substring(s.indexOf("<<< RESPONSE") + "<<< RESPONSE".length());
            resp = resp.substring(resp.indexOf('\n') + 1);
            int end = resp.indexOf("\r\n\r\n");
            List<String> lines = List.of(resp.substring(0, end).split("\r\n"));
            return new Capture(lines, resp.substring(end + 4));
        }
    }

    // ------------------------------------------------------------------------------------------ raw HTTP

    /** A response read off a raw socket, with each HTTP chunk and its arrival time. */
    record RawResponse(String statusLine, List<String[]> headers, byte[] body, List<Chunk> chunks, long headersNanos) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        List<String> headLines() {
            List<String> l = new ArrayList<>();
            l.add(statusLine);
            for (String[] h : headers) {
                l.add(h[0] + ": " + h[1]);
            }
            return l;
        }
    }

    record Chunk(long nanos, String data) {
    }

    /** A plain-socket HTTP/1.1 client; reads Content-Length and chunked bodies, keeps chunk boundaries. */
    /** Raw bytes read from a connection and how it ended: {@code eof}, {@code reset} or {@code timeout}. */
    record Drained(byte[] bytes, String end) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static final class RawHttp implements Closeable {
        final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private String lastMethod = "";

        RawHttp(int port) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void send(String method, String path, String body, String... extraHeaders) throws IOException {
            lastMethod = method;
            out.write(request(method, path, body, extraHeaders));
            out.flush();
        }

        static byte[] request(String method, String path, String body, String... extraHeaders) {
            byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder sb = new StringBuilder();
            sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (String h : extraHeaders) {
                sb.append(h).append("\r\n");
            }
            if (body != null) {
                sb.append("Content-Type: application/json\r\nContent-Length: ").append(b.length).append("\r\n");
            }
            sb.append("\r\n");
            byte[] head = sb.toString().getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[head.length + b.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(b, 0, all, head.length, b.length);
            return all;
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        RawResponse exchange(String method, String path, String body, String... extraHeaders) throws IOException {
            send(method, path, body, extraHeaders);
            return read();
        }

        /** Reads one response; throws EOFException-like IOException if the stream is cut. */
        RawResponse read() throws IOException {
            String status = line();
            if (status == null) {
                throw new IOException("connection closed before a response");
            }
            List<String[]> headers = new ArrayList<>();
            String l;
            while (!(l = line()).isEmpty()) {
                int c = l.indexOf(':');
                headers.add(new String[] {l.substring(0, c), l.substring(c + 1).trim()});
            }
            long headersAt = System.nanoTime();
            String te = null;
            String cl = null;
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase("Transfer-Encoding")) {
                    te = h[1];
                } else if (h[0].equalsIgnoreCase("Content-Length")) {
                    cl = h[1];
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            List<Chunk> chunks = new ArrayList<>();
            if (lastMethod.equals("HEAD")) {
                return new RawResponse(status, headers, new byte[0], chunks, headersAt);
            }
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                while (true) {
                    String size = line();
                    if (size == null) {
                        throw new IOException("truncated chunked body after " + chunks.size() + " chunks");
                    }
                    int n = Integer.parseInt(size.trim(), 16);
                    if (n == 0) {
                        line();
                        break;
                    }
                    byte[] data = in.readNBytes(n);
                    if (data.length < n) {
                        throw new IOException("truncated chunk");
                    }
                    chunks.add(new Chunk(System.nanoTime(), new String(data, StandardCharsets.UTF_8)));
                    body.write(data);
                    line();
                }
            } else if (cl != null) {
                byte[] data = in.readNBytes(Integer.parseInt(cl));
                body.write(data);
            }
            return new RawResponse(status, headers, body.toByteArray(), chunks, headersAt);
        }

        /**
         * Reads raw bytes until the server closes the connection ({@code "eof"}), resets it ({@code "reset"}) or
         * {@code timeout} passes ({@code "timeout"}).
         */
        Drained drain(Duration timeout) throws IOException {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long end = System.nanoTime() + timeout.toNanos();
            byte[] buf = new byte[8192];
            try {
                while (true) {
                    long left = (end - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        return new Drained(got.toByteArray(), "timeout");
                    }
                    socket.setSoTimeout((int) left);
                    int n = in.read(buf);
                    if (n < 0) {
                        return new Drained(got.toByteArray(), "eof");
                    }
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                return new Drained(got.toByteArray(), "timeout");
            } catch (java.net.SocketException e) {
                return new Drained(got.toByteArray(), e.getMessage() != null && e.getMessage().contains("reset") ? "reset" : "error: " + e);
            } finally {
                socket.setSoTimeout(5000);
            }
        }

        /** Whether the server closes the connection within the timeout (reads EOF, discarding any data first). */
        boolean closedByServer(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            long end = System.nanoTime() + timeout.toNanos();
            try {
                byte[] sink = new byte[8192];
                while (System.nanoTime() < end) {
                    if (in.read(sink) == -1) {
                        return true;
                    }
                }
                return false;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            } finally {
                socket.setSoTimeout(5000);
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') {
                    int len = sb.length();
                    return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
                }
                sb.append((char) c);
            }
            return sb.isEmpty() ? null : sb.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
