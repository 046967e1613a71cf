import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HA check (bench/ha.sh starts the pieces): two Olla instances behind HAProxy sharing state
 * through Redis. Checks, through the balancer:
 *   1. a rate limit holds exactly across both instances (one client, requests spread over both);
 *   2. sticky sessions pinned before one instance dies keep their endpoint on the survivor;
 *   3. under mixed load (non-streamed and streamed chats) one instance is killed (SIGKILL): no
 *      non-streamed request fails except those in flight at the kill (until the victim is gone).
 * Prints the figures; exits 1 when a check fails.
 *
 *   java bench/HaCheck.java HAPROXY_URL OLLA1_PID LOAD_SECONDS WORKERS RATE_BURST
 */
public class HaCheck {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static String base;
    static final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    record Result(long startNanos, long endNanos, int status, boolean stream, String servedBy, String error) {}

    static HttpResponse<String> chat(String xff, String session, boolean stream, String text) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/olla/ollama/api/chat"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("X-Forwarded-For", xff)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2:3b\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"));
        if (session != null) {
            b.header("X-Olla-Session-ID", session);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String h(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse("-");
    }

    static void check(boolean ok, String what) {
        System.out.println((ok ? "  ok    " : "  FAIL  ") + what);
        if (!ok) {
            problems.add(what);
        }
    }

    public static void main(String[] args) throws Exception {
        base = args[0];
        long victim = Long.parseLong(args[1]);
        int loadSeconds = Integer.parseInt(args[2]);
        int workers = Integer.parseInt(args[3]);
        int burst = Integer.parseInt(args[4]);

        // 1. rate limit across both instances: one client (X-Forwarded-For 10.9.9.9), 1.5 x burst requests
        int ok = 0;
        int limited = 0;
        Map<String, Integer> rateServedBy = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        int sent = burst * 3 / 2;
        for (int i = 0; i < sent; i++) {
            HttpResponse<String> r = chat("10.9.9.9", null, false, "rate " + i);
            rateServedBy.merge(h(r, "X-Served-By"), 1, Integer::sum);
            if (r.statusCode() == 200) {
                ok++;
            } else if (r.statusCode() == 429) {
                limited++;
            }
        }
        double rateSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("rate limit: %d sent by one client in %.2f s, %d admitted, %d refused (429), served by %s%n",
                sent, rateSeconds, ok, limited, rateServedBy);
        check(rateServedBy.size() >= 2, "the rate-limited client's requests reached both instances");
        // the bucket refills 1 token per 10 s (6/min): allow what refilled during the phase
        int refilled = (int) Math.floor(rateSeconds / 10.0);
        check(ok >= burst && ok <= burst + refilled && ok + limited == sent,
                "exactly the burst (" + burst + (refilled > 0 ? " + " + refilled + " refilled" : "") + ") admitted across both");

        // 2. sticky sessions: pin 20 conversations through the balancer (spread over both instances)
        Map<String, String> pins = new LinkedHashMap<>();
        Map<String, Integer> pinnedBy = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = chat("10.8.0." + i, "conv-" + i, false, "hello " + i);
            if (r.statusCode() != 200) {
                check(false, "pinning conv-" + i + ": HTTP " + r.statusCode());
                continue;
            }
            pins.put("conv-" + i, h(r, "X-Olla-Endpoint"));
            pinnedBy.merge(h(r, "X-Served-By"), 1, Integer::sum);
        }
        System.out.println("sticky: 20 sessions pinned, first turns served by " + pinnedBy + ", endpoints "
                + new java.util.TreeMap<>(countValues(pins)));

        // 3. mixed load, then kill one instance
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger seq = new AtomicInteger();
        List<Result> results = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            fs.add(pool.submit(() -> {
                while (running.get()) {
                    int n = seq.getAndIncrement();
                    boolean stream = n % 7 == 0;
                    // a fresh client address every 10 requests keeps the load under the per-IP limit
                    String xff = "10.1." + ((n / 10) / 250 % 250) + "." + ((n / 10) % 250 + 1);
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = chat(xff, null, stream, "load " + n);
                        boolean complete = !stream || r.body().contains("\"done\":true");
                        results.add(new Result(s, System.nanoTime(), complete ? r.statusCode() : -2, stream,
                                h(r, "X-Served-By"), complete ? null : "stream cut"));
                    } catch (Exception e) {
                        results.add(new Result(s, System.nanoTime(), -1, stream, "-", e.toString()));
                    }
                }
                return null;
            }));
        }
        Thread.sleep(loadSeconds * 1000L / 2);
        // "After the kill" starts when the victim is gone, not when the signal is sent: until the kernel
        // has torn the process down its listening socket still completes handshakes, and a request
        // accepted there dies with it, exactly like one in flight at the signal.
        long signalAt = System.nanoTime();
        ProcessHandle.of(victim).ifPresent(p -> {
            p.destroyForcibly();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (p.isAlive() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // look every millisecond
            }
        });
        long killAt = System.nanoTime();
        System.out.printf("killed olla1 (pid %d, SIGKILL) at half time; gone %.1f ms after the signal%n", victim,
                (killAt - signalAt) / 1e6);
        Thread.sleep(loadSeconds * 1000L / 2);
        running.set(false);
        for (Future<?> f : fs) {
            f.get();
        }
        pool.close();

        int total = results.size();
        long failedInFlight = results.stream().filter(r -> r.status() != 200 && r.startNanos() <= killAt).count();
        long failedAfter = results.stream().filter(r -> r.status() != 200 && r.startNanos() > killAt).count();
        long nonStreamFailedAfter = results.stream()
                .filter(r -> !r.stream() && r.status() != 200 && r.startNanos() > killAt).count();
        long streams = results.stream().filter(Result::stream).count();
        long streamsOk = results.stream().filter(r -> r.stream() && r.status() == 200).count();
        long afterKill = results.stream().filter(r -> r.startNanos() > killAt).count();
        long[] lat = results.stream().filter(r -> r.status() == 200).mapToLong(r -> (r.endNanos() - r.startNanos()) / 1000)
                .sorted().toArray();
        Map<String, Integer> served = new LinkedHashMap<>();
        results.forEach(r -> served.merge(r.servedBy(), 1, Integer::sum));
        System.out.printf("load: %d workers, %d requests (%d streamed) in %d s, %d after the kill; served by %s%n",
                workers, total, streams, loadSeconds, afterKill, served);
        System.out.printf("load: failed %d in flight at the kill, %d started after it (%d non-streamed); streams ok %d/%d%n",
                failedInFlight, failedAfter, nonStreamFailedAfter, streamsOk, streams);
        if (lat.length > 0) {
            System.out.printf("load: latency p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", lat[lat.length / 2] / 1000.0,
                    lat[(int) (lat.length * 0.99)] / 1000.0, lat[lat.length - 1] / 1000.0);
        }
        results.stream().filter(r -> r.status() != 200).limit(5).forEach(r -> System.out.println("  failure: "
                + (r.startNanos() <= killAt ? "in flight" : "after kill") + String.format(" (started %+.1f ms from the"
                + " victim's end)", (r.startNanos() - killAt) / 1e6) + " " + r.status() + " " + r.error()));
        check(nonStreamFailedAfter == 0, "no non-streamed request started after the kill failed");
        check(failedInFlight <= workers, "failures limited to requests in flight at the kill (" + failedInFlight
                + " <= " + workers + ")");
        check(afterKill > 0 && served.getOrDefault("olla2", 0) > 0, "the survivor served the load after the kill");

        // 4. the sticky sessions keep their pins on the survivor
        int kept = 0;
        int hits = 0;
        int turn = 0;
        for (Map.Entry<String, String> e : pins.entrySet()) {
            HttpResponse<String> r = chat("10.8.1." + (++turn), e.getKey(), false, "next turn");
            if (r.statusCode() == 200 && e.getValue().equals(h(r, "X-Olla-Endpoint"))) {
                kept++;
            }
            if ("hit".equals(h(r, "X-Olla-Sticky-Session"))) {
                hits++;
            }
        }
        System.out.printf("sticky after the kill: %d/%d sessions on their pinned endpoint, %d sticky hits%n", kept,
                pins.size(), hits);
        check(kept == pins.size() && hits == pins.size(), "every pinned session kept its endpoint on the survivor");

        // 5. the rate-limited client is still limited on the survivor (its bucket lives in Redis): it may
        //    use only what refilled since the rate phase began (1 token per 10 s) and then gets 429
        double sinceStart = (System.nanoTime() - t0) / 1e9;
        int budget = Math.max(0, (int) Math.floor(sinceStart / 10.0) - (ok - burst));
        int admittedLater = 0;
        boolean refusedLater = false;
        for (int i = 0; i < budget + 2 && !refusedLater; i++) {
            int st = chat("10.9.9.9", null, false, "again " + i).statusCode();
            if (st == 200) {
                admittedLater++;
            } else if (st == 429) {
                refusedLater = true;
            }
        }
        System.out.printf("rate limit after the kill: %.1f s after the first request the client may have %d refilled"
                + " token(s); the survivor admitted %d, then %s%n", sinceStart, budget, admittedLater,
                refusedLater ? "refused (429)" : "did not refuse");
        check(refusedLater && admittedLater <= budget + 1, "the shared bucket still limits the client on the survivor");

        System.out.println(problems.isEmpty() ? "HA check passed" : "HA check FAILED: " + problems);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    static Map<String, Integer> countValues(Map<String, String> m) {
        Map<String, Integer> c = new LinkedHashMap<>();
        m.values().forEach(v -> c.merge(v, 1, Integer::sum));
        return c;
    }
}
