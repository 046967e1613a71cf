package dev.olla.sim;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A chaos run against a proxy: a steady rate of OpenAI chat completions (a share of them streamed)
 * while backends are killed and restarted every 1-4 s, at least one always alive. Counts what a
 * client sees: requests sent, non-streamed failures, streams refused, streams cut (started, then
 * broken, or ended by the proxy with an error event) and requests hung (no end within {@code hangAfter}). Used by {@code bench/chaos.sh}
 * (processes killed with SIGKILL) and by the CI chaos test (in-process backends whose listener and
 * connections are closed).
 */
public final class Chaos {

    /** The backends under chaos. Called from one thread. */
    public interface Backends {
        int count();

        /** Stops backend {@code i} hard (kill -9, or listener and connections closed). */
        void kill(int i) throws Exception;

        /** Starts backend {@code i} again on the same address; returns when it listens. */
        void start(int i) throws Exception;
    }

    /**
     * @param url the proxy's chat completions URL
     * @param rate requests per second
     * @param streamShare share of streamed requests, 0..1
     * @param minGap shortest time between two chaos events
     * @param maxGap longest time between two chaos events
     * @param hangAfter a request without an end after this long is hung
     * @param maxInFlight at most this many requests at once: when the machine cannot keep up, ticks
     *     are skipped (counted) instead of queueing without bound, so "hung" means the proxy stalled
     */
    public record Settings(URI url, String model, int rate, double streamShare, Duration duration, Duration minGap,
            Duration maxGap, Duration hangAfter, long seed, int maxInFlight) {}

    /** What the client saw. {@code failed} counts non-streamed requests that did not get a 200 answer. */
    public record Result(long sent, long nonStreamed, long streamed, long ok, long failed, long streamRefused,
            long cut, long hung, long kills, long restarts, long minAlive, long skipped, Map<String, Long> failureKinds) {
        public String summary() {
            return String.format("sent %d (non-streamed %d, streamed %d), ok %d, failed(non-streamed) %d, "
                    + "streams refused %d, cut %d, hung %d; kills %d, restarts %d, min alive %d; "
                    + "ticks skipped (client at max in-flight) %d; failures %s", sent, nonStreamed, streamed, ok,
                    failed, streamRefused, cut, hung, kills, restarts, minAlive, skipped, failureKinds);
        }
    }

    private final Settings s;
    private final Backends backends;
    private final HttpClient client;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong nonStreamed = new AtomicLong();
    private final AtomicLong streamed = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong streamRefused = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();
    private final AtomicLong hung = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final java.util.concurrent.Semaphore slots;
    private final Map<String, AtomicLong> kinds = new ConcurrentHashMap<>();
    private final Map<Long, Long> inFlight = new ConcurrentHashMap<>();
    private long kills;
    private long restarts;

    private Chaos(Settings s, Backends backends) {
        this.s = s;
        this.backends = backends;
        this.slots = new java.util.concurrent.Semaphore(Math.max(1, s.maxInFlight()));
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(workers).build();
    }

    /** Runs the load and the chaos for {@code settings.duration()}, then waits for the stragglers. */
    public static Result run(Settings settings, Backends backends) throws InterruptedException {
        Chaos c = new Chaos(settings, backends);
        try {
            return c.go();
        } finally {
            c.workers.shutdownNow();
            c.client.shutdownNow();
        }
    }

    private Result go() throws InterruptedException {
        int n = backends.count();
        boolean[] alive = new boolean[n];
        java.util.Arrays.fill(alive, true);
        long minAlive = n;
        SplittableRandom random = new SplittableRandom(s.seed());
        long end = System.nanoTime() + s.duration().toNanos();
        Thread load = Thread.ofPlatform().name("chaos-load").start(() -> load(end, random.split()));
        long nextEvent = System.nanoTime() + gap(random);
        while (System.nanoTime() < end) {
            long now = System.nanoTime();
            if (now < nextEvent) {
                TimeUnit.NANOSECONDS.sleep(Math.min(nextEvent - now, end - now));
                continue;
            }
            nextEvent = now + gap(random);
            int up = 0;
            List<Integer> dead = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (alive[i]) {
                    up++;
                } else {
                    dead.add(i);
                }
            }
            try {
                if (!dead.isEmpty() && (up == 1 || random.nextBoolean())) {
                    int i = dead.get(random.nextInt(dead.size()));
                    backends.start(i);
                    alive[i] = true;
                    restarts++;
                } else if (up >= 2) {
                    int k = random.nextInt(up);
                    for (int i = 0; i < n; i++) {
                        if (alive[i] && k-- == 0) {
                            alive[i] = false; // counted dead before the kill: never zero alive
                            backends.kill(i);
                            kills++;
                            minAlive = Math.min(minAlive, up - 1);
                            break;
                        }
                    }
                }
            } catch (Exception e) {
                kind("chaos event failed: " + e);
            }
        }
        load.join();
        // every backend back, then give the stragglers their time
        for (int i = 0; i < n; i++) {
            if (!alive[i]) {
                try {
                    backends.start(i);
                    restarts++;
                } catch (Exception e) {
                    kind("restart failed: " + e);
                }
            }
        }
        long deadline = System.nanoTime() + s.hangAfter().toNanos();
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        hung.addAndGet(inFlight.size());
        Map<String, Long> k = new java.util.TreeMap<>();
        kinds.forEach((key, v) -> k.put(key, v.get()));
        return new Result(sent.get(), nonStreamed.get(), streamed.get(), ok.get(), failed.get(), streamRefused.get(),
                cut.get(), hung.get(), kills, restarts, minAlive, skipped.get(), k);
    }

    private long gap(SplittableRandom r) {
        long min = s.minGap().toNanos();
        long max = s.maxGap().toNanos();
        return max <= min ? min : min + r.nextLong(max - min);
    }

    /** Open-loop load at the configured rate: one virtual thread per request. */
    private void load(long end, SplittableRandom random) {
        long period = 1_000_000_000L / Math.max(1, s.rate());
        long next = System.nanoTime();
        AtomicLong ids = new AtomicLong();
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                return;
            }
            if (now < next) {
                java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                continue;
            }
            next += period;
            if (!slots.tryAcquire()) {
                skipped.incrementAndGet();
                continue;
            }
            boolean stream = random.nextDouble() < s.streamShare();
            long id = ids.incrementAndGet();
            sent.incrementAndGet();
            (stream ? streamed : nonStreamed).incrementAndGet();
            inFlight.put(id, now);
            try {
                workers.execute(() -> {
                    try {
                        request(stream);
                    } finally {
                        inFlight.remove(id);
                        slots.release();
                    }
                });
            } catch (RuntimeException e) {
                inFlight.remove(id);
                slots.release();
                return;
            }
        }
    }

    private void request(boolean stream) {
        String body = "{\"model\":\"" + s.model() + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"chaos\"}]}";
        HttpRequest req = HttpRequest.newBuilder(s.url()).timeout(s.hangAfter())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> r;
        try {
            r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.net.http.HttpTimeoutException e) {
            hung.incrementAndGet();
            kind("no response head within " + s.hangAfter().toSeconds() + "s");
            return;
        } catch (IOException e) {
            failure(stream, "client: " + e.getClass().getSimpleName() + " " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (r.statusCode() != 200) {
            String text = read(r.body());
            failure(stream, "HTTP " + r.statusCode() + " " + code(text));
            return;
        }
        try (InputStream in = r.body()) {
            byte[] all = readWithin(in, s.hangAfter());
            if (all == null) {
                hung.incrementAndGet();
                kind("body not finished within " + s.hangAfter().toSeconds() + "s");
                return;
            }
            String text = new String(all, StandardCharsets.UTF_8);
            boolean complete = stream ? text.contains("[DONE]") : text.contains("\"choices\"");
            if (stream && complete && text.contains("data: {\"error\"")) {
                // the proxy ended a stream whose backend died with an error event (well-formed, but cut)
                cut.incrementAndGet();
                kind("stream ended with an error event");
            } else if (complete) {
                ok.incrementAndGet();
            } else if (stream) {
                cut.incrementAndGet();
                kind("stream ended without [DONE]");
            } else {
                failure(false, "200 without a complete body");
            }
        } catch (IOException e) {
            if (stream) {
                cut.incrementAndGet();
                kind("stream cut: " + e.getClass().getSimpleName() + " " + e.getMessage());
            } else {
                failure(false, "body broken: " + e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
    }

    private void failure(boolean stream, String what) {
        if (stream) {
            streamRefused.incrementAndGet();
        } else {
            failed.incrementAndGet();
        }
        kind((stream ? "streamed: " : "non-streamed: ") + what);
    }

    private void kind(String k) {
        kinds.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    }

    /** Reads to the end, or null when that takes longer than {@code max}. */
    private static byte[] readWithin(InputStream in, Duration max) throws IOException {
        LongSupplier clock = System::nanoTime;
        long deadline = clock.getAsLong() + max.toNanos();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            if (clock.getAsLong() > deadline) {
                return null;
            }
        }
        return out.toByteArray();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The error code of an error body, for grouping. */
    private static String code(String body) {
        int i = body.indexOf("\"code\":\"");
        if (i < 0) {
            return "";
        }
        int j = body.indexOf('"', i + 8);
        return j < 0 ? "" : body.substring(i + 8, j);
    }
}
