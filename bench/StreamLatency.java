import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streaming latency client for the benchmark: keeps C keep-alive connections each running
 * streamed chat completions back to back for D seconds, and records time to first token and every
 * inter-token gap (microseconds, at the moment the bytes are read from the socket).
 *
 * <pre>java StreamLatency.java URL CONNECTIONS SECONDS [label [model [tokens [stall_ms]]]]</pre>
 *
 * SECONDS = 0: every connection runs exactly one stream (the many-streams memory test). With
 * {@code tokens} > 0 a stream that ends with another count is "incomplete"; a gap of
 * {@code stall_ms} (default 250) or more is a stall. More than 1,000 connections use virtual threads.
 * Prints a human line and a {@code RESULT} line for scripts:
 * {@code RESULT label streams errors incomplete stalls ttft_p50 ttft_p99 gap_p50 gap_p99 later_p50 later_p99},
 * where "later" is the TTFT of every stream but each connection's first (which also pays for the
 * connection being set up, through a proxy two of them, all at once when many connections start).
 */
public class StreamLatency {
    static final byte[] TOKEN = "\"content\":\"tok".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        int conns = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        String label = args.length > 3 ? args[3] : url.toString();
        String model = args.length > 4 ? args[4] : "m1";
        int expected = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        long stallUs = (args.length > 6 ? Long.parseLong(args[6]) : 250) * 1000;
        boolean once = seconds == 0;
        AtomicLong incomplete = new AtomicLong();
        AtomicLong stalls = new AtomicLong();
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}";
        String req = "POST " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        byte[] reqBytes = req.getBytes(StandardCharsets.US_ASCII);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<long[]> ttfts = new ArrayList<>();
        List<long[]> gaps = new ArrayList<>();
        List<long[]> laters = new ArrayList<>();
        AtomicLong streams = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            LongList t = new LongList();
            LongList g = new LongList();
            LongList l = new LongList();
            Thread.Builder builder = conns > 1000 ? Thread.ofVirtual() : Thread.ofPlatform();
            Thread th = builder.start(() -> {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(new InetSocketAddress(url.getHost(), url.getPort()));
                    s.setSoTimeout(30_000);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[65536];
                    boolean first = true;
                    while (first || (!once && System.nanoTime() < deadline)) {
                        boolean firstOnConnection = first;
                        first = false;
                        int got = 0;
                        long sent = System.nanoTime();
                        out.write(reqBytes);
                        out.flush();
                        long last = -1;
                        byte[] tail = new byte[0];
                        Dechunker chunks = new Dechunker();
                        while (!chunks.done) {
                            int n = in.read(buf);
                            long now = System.nanoTime();
                            if (n < 0) {
                                throw new java.io.EOFException("closed mid-stream");
                            }
                            byte[] payload = chunks.feed(buf, n);
                            byte[] window = concat(tail, payload, payload.length);
                            int tokens = count(window, TOKEN, tail.length);
                            for (int k = 0; k < tokens; k++) {
                                got++;
                                if (last < 0) {
                                    t.add((now - sent) / 1000);
                                    if (!firstOnConnection) {
                                        l.add((now - sent) / 1000);
                                    }
                                } else {
                                    long gap = (now - last) / 1000;
                                    g.add(gap);
                                    if (gap >= stallUs) {
                                        stalls.incrementAndGet();
                                    }
                                }
                                last = now;
                            }
                            tail = Arrays.copyOfRange(window, Math.max(0, window.length - 16), window.length);
                        }
                        streams.incrementAndGet();
                        if (expected > 0 && got != expected) {
                            incomplete.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    System.err.println(label + ": " + e);
                }
                synchronized (ttfts) {
                    ttfts.add(t.toArray());
                    gaps.add(g.toArray());
                    laters.add(l.toArray());
                }
            });
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        long[] tt = flatten(ttfts);
        long[] gg = flatten(gaps);
        long[] ll = flatten(laters);
        System.out.printf("%-16s streams=%d errors=%d incomplete=%d stalls=%d  ttft_us p50=%d p99=%d  gap_us p50=%d p99=%d"
                + "  later_ttft_us p50=%d p99=%d%n",
                label, streams.get(), errors.get(), incomplete.get(), stalls.get(), pct(tt, 50), pct(tt, 99), pct(gg, 50),
                pct(gg, 99), pct(ll, 50), pct(ll, 99));
        System.out.printf("RESULT %s %d %d %d %d %d %d %d %d %d %d%n", label, streams.get(), errors.get(), incomplete.get(),
                stalls.get(), pct(tt, 50), pct(tt, 99), pct(gg, 50), pct(gg, 99), pct(ll, 50), pct(ll, 99));
    }

    /**
     * The body of a chunked response, payload bytes only: a proxy may cut chunks anywhere (even
     * inside a token), so tokens are counted in the de-chunked stream.
     */
    static final class Dechunker {
        private int state; // 0 head, 1 size line, 2 data, 3 CRLF after data, 4 trailer
        private int matched; // head: bytes of CRLFCRLF matched; trailer: bytes of the current line
        private long remaining;
        private final StringBuilder line = new StringBuilder();
        private final StringBuilder head = new StringBuilder();
        boolean done;

        byte[] feed(byte[] b, int n) {
            java.io.ByteArrayOutputStream payload = new java.io.ByteArrayOutputStream(n);
            for (int i = 0; i < n && !done; i++) {
                byte c = b[i];
                switch (state) {
                    case 0 -> {
                        head.append((char) c);
                        matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
                        if (matched == 4) {
                            String h = head.toString().toLowerCase(java.util.Locale.ROOT);
                            if (!h.startsWith("http/1.1 200") || !h.contains("transfer-encoding: chunked")) {
                                throw new IllegalStateException("not a chunked 200 stream: " + h.lines().findFirst().orElse(""));
                            }
                            state = 1;
                        }
                    }
                    case 1 -> {
                        if (c == '\n') {
                            String hex = line.toString().strip();
                            int semi = hex.indexOf(';');
                            remaining = Long.parseLong(semi >= 0 ? hex.substring(0, semi) : hex, 16);
                            line.setLength(0);
                            state = remaining == 0 ? 4 : 2;
                            matched = 0;
                        } else {
                            line.append((char) c);
                        }
                    }
                    case 2 -> {
                        int take = (int) Math.min(remaining, n - i);
                        payload.write(b, i, take);
                        remaining -= take;
                        i += take - 1;
                        if (remaining == 0) {
                            state = 3;
                            matched = 0;
                        }
                    }
                    case 3 -> {
                        if (c == '\n') {
                            state = 1;
                        }
                    }
                    default -> { // trailer lines until an empty one
                        if (c == '\n') {
                            if (matched == 0) {
                                done = true;
                            }
                            matched = 0;
                        } else if (c != '\r') {
                            matched++;
                        }
                    }
                }
            }
            return payload.toByteArray();
        }
    }

    static final class LongList {
        long[] a = new long[1024];
        int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    static long[] flatten(List<long[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        long[] all = new long[n];
        int i = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, all, i, p.length);
            i += p.length;
        }
        Arrays.sort(all);
        return all;
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    static byte[] concat(byte[] a, byte[] b, int n) {
        byte[] r = Arrays.copyOf(a, a.length + n);
        System.arraycopy(b, 0, r, a.length, n);
        return r;
    }

    /** Occurrences of needle that end after position {@code from} (so tail overlap is not counted twice). */
    static int count(byte[] hay, byte[] needle, int from) {
        int c = 0;
        int i = 0;
        while ((i = indexOf(hay, needle, i)) >= 0) {
            if (i + needle.length > from) {
                c++;
            }
            i++;
        }
        return c;
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
