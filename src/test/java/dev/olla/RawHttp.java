package dev.olla;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-socket HTTP/1.1 client for tests that need the wire: when each byte arrived, whether a
 * chunked body ended properly, and closing the connection mid-response.
 */
public final class RawHttp implements AutoCloseable {
    /** Bytes received in one read, and when (ms since the request was sent). */
    public record Read(long atMillis, byte[] bytes) {
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final List<Read> reads = new ArrayList<>();
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private long sentAt;

    public RawHttp(int port) throws IOException {
        this(port, 0);
    }

    /** With a small receive buffer (bytes), a client that does not read stalls the sender quickly. */
    public RawHttp(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public RawHttp send(String method, String path, String body) throws IOException {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n") + "\r\n";
        sentAt = System.nanoTime();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return this;
    }

    public RawHttp sendRaw(byte[] bytes) throws IOException {
        sentAt = System.nanoTime();
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads until {@code marker} has been seen (or EOF / timeout); returns true if seen. */
    public boolean readUntil(String marker, long timeoutMillis) throws IOException {
        if (text().contains(marker)) {
            return true;
        }
        socket.setSoTimeout((int) Math.max(1, timeoutMillis));
        byte[] buf = new byte[65536];
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String tail = "";
        while (true) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                return false;
            }
            if (n < 0) {
                return false;
            }
            record(buf, n);
            String window = tail + new String(buf, 0, n, StandardCharsets.UTF_8);
            if (window.contains(marker)) {
                return true;
            }
            tail = window.substring(Math.max(0, window.length() - marker.length()));
        }
    }

    /** Reads until the server closes the connection; returns false on timeout. */
    public boolean readToEof(long timeoutMillis) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeoutMillis));
        byte[] buf = new byte[65536];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                record(buf, n);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset counts as closed
        }
    }

    /**
     * Reads like a slow client until the server closes the connection: at most {@code bytesPerRead}
     * bytes, then a pause of {@code pauseMillis}; returns false on timeout.
     */
    public boolean readSlowlyToEof(int bytesPerRead, long pauseMillis, long timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        socket.setSoTimeout((int) Math.max(1, timeoutMillis));
        byte[] buf = new byte[bytesPerRead];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                record(buf, n);
                if (System.currentTimeMillis() > deadline) {
                    return false;
                }
                Thread.sleep(pauseMillis);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (IOException e) {
            return true; // reset counts as closed
        }
    }

    private void record(byte[] buf, int n) {
        byte[] copy = java.util.Arrays.copyOf(buf, n);
        reads.add(new Read((System.nanoTime() - sentAt) / 1_000_000, copy));
        all.write(copy, 0, n);
    }

    public String text() {
        return all.toString(StandardCharsets.UTF_8);
    }

    public List<Read> reads() {
        return reads;
    }

    /** A chunked body ended with its terminating zero-length chunk. */
    public boolean chunkedComplete() {
        return text().endsWith("\r\n0\r\n\r\n");
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
