import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Paired time-to-first-token client for the hop benchmark (bench/hold.sh, MODE=paired): ONE thread,
 * one keep-alive connection per target, one stream at a time, the targets taken in turn (a cycle = one
 * stream per target, the order rotated every cycle so no target always follows another). Every target's
 * samples are thus taken under the same machine load, milliseconds apart, and two targets can be
 * compared cycle by cycle: the per-cycle difference of their TTFTs is a paired sample, from which the
 * load's swings (which move both) largely cancel.
 *
 * <pre>java -cp CLASSES HopLatency SECONDS TOKENS MODEL PAIRS label=URL [label=URL ...]</pre>
 *
 * PAIRS: "a:b,c:d" (a - b is reported) or "-". TTFT = request written -> first content token read,
 * microseconds (StreamLatency's reading: de-chunked, tokens counted in the payload). A cycle with an
 * error or an incomplete stream is dropped for every target (the connection is opened again).
 * Prints per target n, p50, p90, p99, p99.9 and max, then per pair the difference of those
 * percentiles and the percentiles of the per-cycle differences, and RESULT lines for scripts:
 * {@code RESULT label cycles p50 p90 p99 p999 max} and
 * {@code PAIR a-b cycles dpct_p50 dpct_p99 paired_p50 paired_p90 paired_p99 a_faster_share}.
 */
public class HopLatency {
    public static void main(String[] args) throws Exception {
        long seconds = Long.parseLong(args[0]);
        int tokens = Integer.parseInt(args[1]);
        String model = args[2];
        String pairs = args[3];
        List<String> labels = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            labels.add(args[i].substring(0, eq));
            targets.add(new Target(URI.create(args[i].substring(eq + 1)), model));
        }
        int n = targets.size();
        StreamLatency.LongList[] samples = new StreamLatency.LongList[n];
        for (int i = 0; i < n; i++) {
            samples[i] = new StreamLatency.LongList();
        }
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long dropped = 0;
        long[] cycle = new long[n];
        for (int c = 0; System.nanoTime() < deadline; c++) {
            boolean ok = true;
            for (int k = 0; k < n; k++) {
                int i = (c + k) % n;
                try {
                    cycle[i] = targets.get(i).stream(tokens);
                } catch (Exception e) {
                    System.err.println(labels.get(i) + ": " + e);
                    targets.get(i).close();
                    ok = false;
                }
            }
            if (ok) {
                for (int i = 0; i < n; i++) {
                    samples[i].add(cycle[i]);
                }
            } else {
                dropped++;
            }
        }
        long[][] raw = new long[n][];
        long[][] sorted = new long[n][];
        for (int i = 0; i < n; i++) {
            targets.get(i).close();
            raw[i] = samples[i].toArray();
            sorted[i] = raw[i].clone();
            Arrays.sort(sorted[i]);
        }
        int cycles = raw[0].length;
        System.out.printf("%d cycles (%d dropped), one stream at a time, targets in rotating order; TTFT in us%n", cycles, dropped);
        System.out.printf("%-14s %8s %8s %8s %8s %8s%n", "target", "p50", "p90", "p99", "p99.9", "max");
        for (int i = 0; i < n; i++) {
            long[] s = sorted[i];
            System.out.printf("%-14s %8d %8d %8d %8d %8d%n", labels.get(i), pct(s, 50), pct(s, 90), pct(s, 99), pct(s, 99.9),
                    s.length == 0 ? -1 : s[s.length - 1]);
            System.out.printf("RESULT %s %d %d %d %d %d %d%n", labels.get(i), cycles, pct(s, 50), pct(s, 90), pct(s, 99),
                    pct(s, 99.9), s.length == 0 ? -1 : s[s.length - 1]);
        }
        if (!pairs.equals("-")) {
            System.out.printf("%-22s %10s %10s   %-36s %s%n", "pair a - b", "p50(a)-", "p99(a)-", "per-cycle a-b: p50 / p90 / p99",
                    "a faster");
            for (String p : pairs.split(",")) {
                String[] ab = p.split(":");
                int a = labels.indexOf(ab[0]);
                int b = labels.indexOf(ab[1]);
                if (a < 0 || b < 0) {
                    System.err.println("unknown pair " + p);
                    continue;
                }
                long[] d = new long[cycles];
                int faster = 0;
                for (int k = 0; k < cycles; k++) {
                    d[k] = raw[a][k] - raw[b][k];
                    faster += d[k] < 0 ? 1 : 0;
                }
                Arrays.sort(d);
                long d50 = pct(sorted[a], 50) - pct(sorted[b], 50);
                long d99 = pct(sorted[a], 99) - pct(sorted[b], 99);
                double share = cycles == 0 ? 0 : (double) faster / cycles;
                System.out.printf("%-22s %+10d %+10d   %+8d / %+8d / %+8d          %4.1f%%%n", labels.get(a) + " - " + labels.get(b),
                        d50, d99, pct(d, 50), pct(d, 90), pct(d, 99), 100 * share);
                System.out.printf("PAIR %s-%s %d %d %d %d %d %d %.3f%n", labels.get(a), labels.get(b), cycles, d50, d99, pct(d, 50),
                        pct(d, 90), pct(d, 99), share);
            }
        }
    }

    static long pct(long[] sorted, double p) {
        return StreamLatency.pct(sorted, p);
    }

    /** One keep-alive connection to one target, opened on first use and after an error. */
    static final class Target {
        private final URI url;
        private final byte[] request;
        private final byte[] buf = new byte[65536];
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Target(URI url, String model) {
            this.url = url;
            String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}";
            String req = "POST " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            this.request = req.getBytes(StandardCharsets.US_ASCII);
        }

        /** One stream; returns its TTFT in microseconds. */
        long stream(int expected) throws Exception {
            if (socket == null) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(url.getHost(), url.getPort()));
                socket.setSoTimeout(30_000);
                in = socket.getInputStream();
                out = socket.getOutputStream();
            }
            StreamLatency.Dechunker chunks = new StreamLatency.Dechunker();
            byte[] tail = new byte[0];
            int got = 0;
            long ttft = -1;
            long sent = System.nanoTime();
            out.write(request);
            out.flush();
            while (!chunks.done) {
                int r = in.read(buf);
                long now = System.nanoTime();
                if (r < 0) {
                    throw new java.io.EOFException("closed mid-stream");
                }
                byte[] payload = chunks.feed(buf, r);
                byte[] window = StreamLatency.concat(tail, payload, payload.length);
                int t = StreamLatency.count(window, StreamLatency.TOKEN, tail.length);
                if (t > 0 && ttft < 0) {
                    ttft = (now - sent) / 1000;
                }
                got += t;
                tail = Arrays.copyOfRange(window, Math.max(0, window.length - 16), window.length);
            }
            if (ttft < 0 || (expected > 0 && got != expected)) {
                throw new IllegalStateException("incomplete stream: " + got + " tokens");
            }
            return ttft;
        }

        void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (Exception ignored) {
                    // closing anyway
                }
                socket = null;
            }
        }
    }
}
