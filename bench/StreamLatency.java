import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Streaming latency client for the benchmark: keeps C keep-alive connections each running
 * streamed chat completions back to back for D seconds, and records time to first token and every
 * inter-token gap (microseconds).
 *
 * <pre>java StreamLatency.java URL CONNECTIONS SECONDS [label [model [tokens [stall_ms [spread_ms]]]]]</pre>
 *
 * SECONDS = 0: every connection runs exactly one stream (the many-streams memory test). With
 * {@code tokens} > 0 a stream that ends with another count is "incomplete"; a gap of
 * {@code stall_ms} (default 250) or more is a stall. With {@code spread_ms} (default 0) the connections' first
 * requests go out evenly over that time instead of all at once; each connection's next stream follows its
 * last, so streams keep that spread (their deltas and their requests do not all come in one burst). Prints a human line and a {@code RESULT} line for scripts:
 * {@code RESULT label streams errors incomplete stalls ttft_p50 ttft_p99 gap_p50 gap_p99 later_p50 later_p99 tokens},
 * where "later" is the TTFT of every stream but each connection's first (which also pays for the
 * proxy's connection to the backend being set up, all at once when many connections start), and
 * {@code tokens} the number of token events received (a proxy's CPU time / tokens = its cost per relayed delta).
 *
 * <p>One thread and one selector (epoll) serve every connection, so the client costs little CPU and
 * no thread hand-offs: 512 streams x 50 deltas/s are ~25k socket reads/s, which 512 blocking threads
 * turned into as many context switches, stamped late by however many threads ran first. Every read
 * that one {@code select} returns is stamped with the moment {@code select} returned (the data was
 * there by then), not with when the loop got round to that socket. All connections are established
 * before the first request goes out, so TTFT never includes the client's own connect. Nothing is
 * allocated per read (the body is de-chunked and scanned in place), so the client does not collect
 * garbage while measuring.
 */
public class StreamLatency {
    static final byte[] TOKEN = "\"content\":\"tok".getBytes(StandardCharsets.US_ASCII);
    static final int[] FAIL = failure(TOKEN);
    static final long IDLE_TIMEOUT_NS = 30_000_000_000L;

    static final LongList TTFT = new LongList();
    static final LongList GAPS = new LongList();
    static final LongList LATER = new LongList();
    static long streams;
    static long errors;
    static long incomplete;
    static long stalls;
    static long tokens;

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        int conns = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        String label = args.length > 3 ? args[3] : url.toString();
        String model = args.length > 4 ? args[4] : "m1";
        int expected = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        long stallUs = (args.length > 6 ? Long.parseLong(args[6]) : 250) * 1000;
        // spread_ms: the connections' first requests go out evenly over this time instead of all at once
        long spreadNs = (args.length > 7 ? Long.parseLong(args[7]) : 0) * 1_000_000L;
        boolean once = seconds == 0;
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}";
        String req = "POST " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        byte[] reqBytes = req.getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress addr = new InetSocketAddress(url.getHost(), url.getPort());

        Selector selector = Selector.open();
        List<Conn> all = new ArrayList<>(conns);
        // connect everything first (non-blocking, at most 256 handshakes in flight), then send every first request
        int pending = 0;
        int next = 0;
        while (next < conns || pending > 0) {
            while (next < conns && pending < 256) {
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Conn c = new Conn(ch);
                all.add(c);
                next++;
                if (ch.connect(addr)) {
                    c.connected = true;
                } else {
                    ch.register(selector, SelectionKey.OP_CONNECT, c);
                    pending++;
                }
            }
            if (pending == 0) {
                continue;
            }
            selector.select(30_000);
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            if (!it.hasNext()) {
                throw new IOException(label + ": connections not established within 30 s");
            }
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                Conn c = (Conn) k.attachment();
                pending--;
                k.interestOps(0);
                try {
                    c.ch.finishConnect();
                    c.connected = true;
                } catch (IOException e) {
                    fail(c, label, e);
                }
            }
        }
        int active = 0;
        for (Conn c : all) {
            if (!c.connected) {
                continue;
            }
            SelectionKey k = c.ch.keyFor(selector);
            if (k == null) {
                c.ch.register(selector, SelectionKey.OP_READ, c);
            } else {
                k.interestOps(SelectionKey.OP_READ);
            }
            active++;
        }
        long begin = System.nanoTime();
        long deadline = begin + seconds * 1_000_000_000L;
        int firstSent = 0;

        ByteBuffer buf = ByteBuffer.allocate(65536);
        byte[] a = buf.array();
        long lastIdleCheck = System.nanoTime();
        while (active > 0) {
            if (firstSent < all.size()) { // first requests still to go: connection i at begin + i/N of the spread
                long t = System.nanoTime();
                while (firstSent < all.size() && (spreadNs == 0 || t - begin >= spreadNs * firstSent / all.size())) {
                    Conn c = all.get(firstSent++);
                    if (c.connected && !c.closed && !send(c, reqBytes, label)) {
                        active--;
                    }
                }
                if (firstSent < all.size()) {
                    selector.select(1);
                } else {
                    selector.selectNow();
                }
            } else {
                selector.select(1000);
            }
            long now = System.nanoTime(); // the data of every key selected now was there by this moment
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                Conn c = (Conn) k.attachment();
                if (c.closed) {
                    continue;
                }
                try {
                    int n = 0;
                    while (!c.closed) {
                        buf.clear();
                        n = c.ch.read(buf);
                        if (n <= 0) {
                            break;
                        }
                        c.lastActivity = now;
                        if (c.feed(a, n, now, stallUs)) { // one stream complete
                            streams++;
                            if (expected > 0 && c.got != expected) {
                                incomplete++;
                            }
                            if (once || System.nanoTime() >= deadline) {
                                close(c);
                                active--;
                            } else if (!send(c, reqBytes, label)) {
                                active--;
                            }
                        }
                    }
                    if (n < 0 && !c.closed) {
                        throw new IOException("closed mid-stream");
                    }
                } catch (IOException | RuntimeException e) {
                    if (!c.closed) {
                        fail(c, label, e);
                        active--;
                    }
                }
            }
            if (now - lastIdleCheck > 1_000_000_000L) {
                lastIdleCheck = now;
                for (Conn c : all) {
                    if (c.connected && !c.closed && now - c.lastActivity > IDLE_TIMEOUT_NS) {
                        fail(c, label, new IOException("no bytes for 30 s"));
                        active--;
                    }
                }
            }
        }
        long[] tt = TTFT.sorted();
        long[] gg = GAPS.sorted();
        long[] ll = LATER.sorted();
        System.out.printf("%-16s streams=%d errors=%d incomplete=%d stalls=%d  ttft_us p50=%d p99=%d  gap_us p50=%d p99=%d"
                + "  later_ttft_us p50=%d p99=%d%n",
                label, streams, errors, incomplete, stalls, pct(tt, 50), pct(tt, 99), pct(gg, 50),
                pct(gg, 99), pct(ll, 50), pct(ll, 99));
        System.out.printf("RESULT %s %d %d %d %d %d %d %d %d %d %d %d%n", label, streams, errors, incomplete,
                stalls, pct(tt, 50), pct(tt, 99), pct(gg, 50), pct(gg, 99), pct(ll, 50), pct(ll, 99), tokens);
    }

    static boolean send(Conn c, byte[] req, String label) {
        c.reset();
        c.sent = System.nanoTime();
        c.lastActivity = c.sent;
        try {
            ByteBuffer b = ByteBuffer.wrap(req);
            for (int spins = 0; b.hasRemaining(); spins++) { // a few hundred bytes: the socket buffer takes them at once
                c.ch.write(b);
                if (spins > 1_000_000) {
                    throw new IOException("request not written");
                }
            }
            return true;
        } catch (IOException e) {
            fail(c, label, e);
            return false;
        }
    }

    static void fail(Conn c, String label, Exception e) {
        errors++;
        System.err.println(label + ": " + e);
        close(c);
    }

    static void close(Conn c) {
        c.closed = true;
        try {
            c.ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** One connection: the response being read (chunked de-framing and token matching, byte by byte, in place). */
    static final class Conn {
        final SocketChannel ch;
        boolean connected;
        boolean closed;
        boolean firstOnConnection = true;
        long sent;
        long last;
        long lastActivity;
        int got;
        // 0 head, 1 size line, 2 data, 3 CRLF after data, 4 trailer
        private int state;
        private int matched; // head: bytes of CRLFCRLF matched; trailer: bytes of the current line
        private long remaining;
        private long size;
        private boolean sizeDone;
        private int tokenMatched; // bytes of TOKEN matched in the payload so far (across chunks and reads)
        private final byte[] status = new byte[12];
        private int statusLen;
        private int headLine; // head: bytes seen of the current header line
        private final byte[] lineBuf = new byte[64];
        private boolean chunked;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }

        void reset() {
            state = 0;
            matched = 0;
            remaining = 0;
            tokenMatched = 0;
            statusLen = 0;
            headLine = 0;
            chunked = false;
            got = 0;
            last = -1;
        }

        /** Feeds n bytes read at {@code now}; true when the response ended (its last chunk and trailer). */
        boolean feed(byte[] b, int n, long now, long stallUs) throws IOException {
            for (int i = 0; i < n; i++) {
                byte c = b[i];
                switch (state) {
                    case 0 -> head(c);
                    case 1 -> {
                        if (c == '\n') {
                            remaining = size;
                            size = 0;
                            sizeDone = false;
                            state = remaining == 0 ? 4 : 2;
                            matched = 0;
                        } else if (!sizeDone) {
                            int d = Character.digit(c, 16);
                            if (d >= 0) {
                                size = size * 16 + d;
                            } else if (c != '\r' && c != ' ') {
                                sizeDone = true; // a chunk extension follows
                            }
                        }
                    }
                    case 2 -> {
                        int end = (int) Math.min(n, i + remaining);
                        for (int j = i; j < end; j++) {
                            byte x = b[j];
                            while (tokenMatched > 0 && x != TOKEN[tokenMatched]) {
                                tokenMatched = FAIL[tokenMatched - 1];
                            }
                            if (x == TOKEN[tokenMatched] && ++tokenMatched == TOKEN.length) {
                                tokenMatched = FAIL[tokenMatched - 1];
                                token(now, stallUs);
                            }
                        }
                        remaining -= end - i;
                        i = end - 1;
                        if (remaining == 0) {
                            state = 3;
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
                                if (i != n - 1) {
                                    throw new IOException("bytes after the end of the response");
                                }
                                state = 0;
                                return true;
                            }
                            matched = 0;
                        } else if (c != '\r') {
                            matched++;
                        }
                    }
                }
            }
            return false;
        }

        private void token(long now, long stallUs) {
            got++;
            tokens++;
            long us = (now - (last < 0 ? sent : last)) / 1000;
            if (last < 0) {
                TTFT.add(us);
                if (!firstOnConnection) {
                    LATER.add(us);
                }
                firstOnConnection = false;
            } else {
                GAPS.add(us);
                if (us >= stallUs) {
                    stalls++;
                }
            }
            last = now;
        }

        /** The response head: must be a 200 with Transfer-Encoding: chunked. */
        private void head(byte c) throws IOException {
            if (statusLen < status.length) {
                status[statusLen++] = c;
                if (statusLen == status.length && !new String(status, StandardCharsets.US_ASCII).equalsIgnoreCase("HTTP/1.1 200")) {
                    throw new IOException("not a 200 stream: " + new String(status, StandardCharsets.US_ASCII));
                }
            }
            if (c == '\n') {
                String line = new String(lineBuf, 0, Math.min(headLine, lineBuf.length), StandardCharsets.US_ASCII)
                        .strip().toLowerCase(java.util.Locale.ROOT);
                if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
                    chunked = true;
                }
                if (headLine <= 1) { // the empty line: end of the head
                    if (!chunked) {
                        throw new IOException("not a chunked stream");
                    }
                    state = 1;
                    size = 0;
                    sizeDone = false;
                }
                headLine = 0;
            } else {
                if (headLine < lineBuf.length) {
                    lineBuf[headLine] = c;
                }
                headLine++;
            }
        }
    }

    static final class LongList {
        long[] a = new long[1 << 16];
        int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] sorted() {
            long[] r = toArray();
            Arrays.sort(r);
            return r;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    // ---- for bench/HopLatency.java (one blocking connection per thread): de-chunking and token counting on copies

    /**
     * HopLatency's de-chunker: the body of a chunked response, payload bytes only: a proxy may cut chunks anywhere (even
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


    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    /** KMP failure function: FAIL[i] = length of the longest proper border of needle[0..i]. */
    static int[] failure(byte[] needle) {
        int[] f = new int[needle.length];
        for (int i = 1, k = 0; i < needle.length; i++) {
            while (k > 0 && needle[i] != needle[k]) {
                k = f[k - 1];
            }
            if (needle[i] == needle[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
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
