import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises the CPU samples of a JFR recording (bench/profile.sh): top methods by self time, and
 * the inclusive share of Olla's cost centres (a sample counts once per bucket whose pattern any of
 * its frames matches; stacks are truncated at JFR's depth, so shares are lower bounds).
 *
 *   java bench/JfrTop.java recording.jfr [topN] [method]   # method: also its most frequent callers
 */
public final class JfrTop {
    /** Bucket name -> frame prefixes ("class.method" starts with one of them). First match wins per frame. */
    static final Map<String, String[]> BUCKETS = new LinkedHashMap<>();
    static {
        BUCKETS.put("netty http codec", new String[] {"io.netty.handler.codec.http."});
        BUCKETS.put("HeaderRules", new String[] {"dev.olla.proxy.HeaderRules."});
        BUCKETS.put("relay", new String[] {"dev.olla.proxy.StreamRelay.", "dev.olla.proxy.BufferRelay.",
                "dev.olla.proxy.TransformRelay.", "dev.olla.proxy.Relay."});
        BUCKETS.put("stats/metrics", new String[] {"dev.olla.stats.", "dev.olla.proxy.ProxyStats.",
                "dev.olla.endpoint.EndpointState.", "io.micrometer.", "org.HdrHistogram.",
                "dev.olla.proxy.ProxyCall.record", "dev.olla.proxy.CallRecord.", "dev.olla.server.ServerStats."});
        BUCKETS.put("RequestInspector", new String[] {"dev.olla.proxy.RequestInspector."});
        BUCKETS.put("Router", new String[] {"dev.olla.server.Router."});
        BUCKETS.put("RateLimiter", new String[] {"dev.olla.server.RateLimiter.", "io.github.bucket4j."});
        BUCKETS.put("choose (balance/model)", new String[] {"dev.olla.balance.", "dev.olla.model.ModelRouter",
                "dev.olla.model.ModelRouting", "dev.olla.model.ModelRegistry"});
        BUCKETS.put("ChannelPool", new String[] {"dev.olla.proxy.ChannelPool."});
        BUCKETS.put("logging", new String[] {"ch.qos.logback.", "org.slf4j."});
        BUCKETS.put("socket write (flush)", new String[] {"io.netty.channel.epoll.AbstractEpollStreamChannel.doWrite",
                "io.netty.channel.nio.AbstractNioByteChannel.doWrite", "io.netty.channel.socket.nio.NioSocketChannel.doWrite"});
        BUCKETS.put("socket read", new String[] {"io.netty.channel.epoll.AbstractEpollStreamChannel$EpollStreamUnsafe.epollInReady",
                "io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe.read"});
        BUCKETS.put("epoll wait/select", new String[] {"io.netty.channel.epoll.Native.epollWait",
                "io.netty.channel.epoll.EpollIoHandler.epollWait", "sun.nio.ch.EPoll.wait", "sun.nio.ch.SelectorImpl.select"});
    }

    public static void main(String[] args) throws Exception {
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Map<String, Integer> self = new HashMap<>();
        String focus = args.length > 2 ? args[2] : null;
        Map<String, Integer> callers = new HashMap<>();
        Map<String, Integer> incl = new HashMap<>();
        Map<String, Integer> bucket = new LinkedHashMap<>();
        BUCKETS.keySet().forEach(k -> bucket.put(k, 0));
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) {
                continue;
            }
            total++;
            self.merge(name(frames.get(0)), 1, Integer::sum);
            if (focus != null) {
                for (int i = 0; i < frames.size(); i++) {
                    if (name(frames.get(i)).contains(focus)) {
                        StringBuilder chain = new StringBuilder();
                        for (int j = i; j < Math.min(frames.size(), i + 6); j++) {
                            chain.append(j == i ? "" : " <- ").append(name(frames.get(j)).replaceAll("^.*\\.(\\w+\\.\\w+)$", "$1"));
                        }
                        callers.merge(chain.toString(), 1, Integer::sum);
                        break;
                    }
                }
            }
            Set<String> hit = new HashSet<>();
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (seen.add(n)) {
                    incl.merge(n, 1, Integer::sum);
                }
                for (Map.Entry<String, String[]> b : BUCKETS.entrySet()) {
                    for (String p : b.getValue()) {
                        if (n.startsWith(p)) {
                            hit.add(b.getKey());
                        }
                    }
                }
            }
            hit.forEach(h -> bucket.merge(h, 1, Integer::sum));
        }
        System.out.printf("%d CPU samples (Java frames)%n%n-- inclusive by cost centre%n", total);
        for (Map.Entry<String, Integer> b : bucket.entrySet()) {
            if (b.getValue() > 0) {
                System.out.printf("%5.1f%%  %s%n", 100.0 * b.getValue() / Math.max(1, total), b.getKey());
            }
        }
        System.out.printf("%n-- top %d inclusive (dev.olla and io.netty.handler)%n", top);
        List<Map.Entry<String, Integer>> inc = new ArrayList<>(incl.entrySet());
        inc.removeIf(r -> !r.getKey().startsWith("dev.olla.") && !r.getKey().startsWith("io.netty.handler."));
        inc.sort((a, b) -> b.getValue() - a.getValue());
        for (Map.Entry<String, Integer> r : inc.subList(0, Math.min(top, inc.size()))) {
            System.out.printf("%5.1f%%  %s%n", 100.0 * r.getValue() / Math.max(1, total), r.getKey());
        }
        System.out.printf("%n-- top %d self%n", top);
        List<Map.Entry<String, Integer>> rows = new ArrayList<>(self.entrySet());
        rows.sort((a, b) -> b.getValue() - a.getValue());
        for (Map.Entry<String, Integer> r : rows.subList(0, Math.min(top, rows.size()))) {
            System.out.printf("%5.1f%%  %s%n", 100.0 * r.getValue() / Math.max(1, total), r.getKey());
        }
        if (focus != null) {
            System.out.printf("%n-- callers of %s%n", focus);
            printCallers(callers, total);
        }
    }

    static void printCallers(Map<String, Integer> callers, int total) {
        List<Map.Entry<String, Integer>> rows = new ArrayList<>(callers.entrySet());
        rows.sort((a, b) -> b.getValue() - a.getValue());
        for (Map.Entry<String, Integer> r : rows.subList(0, Math.min(15, rows.size()))) {
            System.out.printf("%5.1f%%  %s%n", 100.0 * r.getValue() / Math.max(1, total), r.getKey());
        }
    }

    static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}
