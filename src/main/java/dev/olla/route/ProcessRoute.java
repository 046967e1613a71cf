package dev.olla.route;

import static dev.olla.route.StatusText.bytes;
import static dev.olla.route.StatusText.duration;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code GET /internal/process}: memory (heap, buffer pools, Netty's allocators), GC, threads, runtime. */
final class ProcessRoute {
    private final Instant startTime;

    ProcessRoute(Instant startTime) {
        this.startTime = startTime;
    }

    /**
     * When this process started. On Linux from {@code /proc} (its start in clock ticks after boot,
     * against the seconds since boot, both in 1/100 s): the JVM's management beans, the other way,
     * load ~60 classes (and java.util.logging) that stay resident although nothing else at start-up
     * needs them. Elsewhere, or when {@code /proc} cannot be read, the runtime bean's start time.
     */
    static Instant processStart() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command name in parentheses, which may hold spaces: state is field 3,
            // starttime field 22
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(f[22 - 3]);
            String uptime = Files.readString(Path.of("/proc/uptime"));
            double sinceBoot = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            long ageMillis = Math.round(sinceBoot * 1000) - startTicks * 10;
            if (ageMillis >= 0) {
                return Instant.now().minusMillis(ageMillis);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: the bean below
        }
        return Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
    }

    Map<String, Object> body() {
        Instant now = Instant.now();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("timestamp", now.toString());

        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        long heapLimit = heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("heap_used", bytes(heap.getUsed()));
        memory.put("heap_committed", bytes(heap.getCommitted()));
        memory.put("heap_max", heap.getMax() > 0 ? bytes(heap.getMax()) : "unlimited");
        memory.put("non_heap_used", bytes(nonHeap.getUsed()));
        memory.put("non_heap_committed", bytes(nonHeap.getCommitted()));
        memory.put("heap_used_bytes", heap.getUsed());
        memory.put("heap_committed_bytes", heap.getCommitted());
        memory.put("heap_max_bytes", heap.getMax());
        memory.put("non_heap_used_bytes", nonHeap.getUsed());
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            String key = pool.getName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_") + "_buffers";
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("count", pool.getCount());
            b.put("used", bytes(Math.max(0, pool.getMemoryUsed())));
            b.put("used_bytes", pool.getMemoryUsed());
            b.put("capacity_bytes", pool.getTotalCapacity());
            memory.put(key, b);
        }
        memory.put("netty", nettyMemory());
        memory.put("memory_pressure", memoryPressure(heap.getUsed(), heapLimit));
        body.put("memory", memory);

        Map<String, Object> gc = new LinkedHashMap<>();
        List<Map<String, Object>> collectors = new ArrayList<>();
        long cycles = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            long c = Math.max(0, g.getCollectionCount());
            long t = Math.max(0, g.getCollectionTime());
            cycles += c;
            gcMillis += t;
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("name", g.getName());
            one.put("count", c);
            one.put("time_ms", t);
            collectors.add(one);
        }
        gc.put("num_gc_cycles", cycles);
        gc.put("total_gc_time", duration(Duration.ofMillis(gcMillis)));
        gc.put("total_gc_time_ms", gcMillis);
        if (cycles > 0) {
            gc.put("avg_gc_pause", duration(Duration.ofNanos(gcMillis * 1_000_000 / cycles)));
        }
        gc.put("collectors", collectors);
        body.put("garbage_collection", gc);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Object> t = new LinkedHashMap<>();
        int count = threads.getThreadCount();
        t.put("count", count);
        t.put("peak", threads.getPeakThreadCount());
        t.put("daemon", threads.getDaemonThreadCount());
        t.put("total_started", threads.getTotalStartedThreadCount());
        t.put("health_status", count > 1000 ? "critical" : count > 300 ? "warning" : "healthy");
        body.put("threads", t);

        Map<String, Object> runtime = new LinkedHashMap<>();
        runtime.put("uptime", duration(Duration.between(startTime, now)));
        runtime.put("start_time", startTime.toString());
        runtime.put("java_version", Runtime.version().toString());
        runtime.put("vm", System.getProperty("java.vm.name"));
        runtime.put("os", System.getProperty("os.name").toLowerCase(Locale.ROOT));
        runtime.put("arch", System.getProperty("os.arch"));
        runtime.put("num_cpu", Runtime.getRuntime().availableProcessors());
        runtime.put("pid", ProcessHandle.current().pid());
        body.put("runtime", runtime);
        return body;
    }

    /** Netty's pooled allocator (the olla engine's buffers), and the default one when different. */
    private static Map<String, Object> nettyMemory() {
        Map<String, Object> m = new LinkedHashMap<>();
        PooledByteBufAllocatorMetric pooled = PooledByteBufAllocator.DEFAULT.metric();
        m.put("pooled", allocatorMetric(pooled));
        Map<String, Object> arenas = new LinkedHashMap<>();
        arenas.put("heap", pooled.numHeapArenas());
        arenas.put("direct", pooled.numDirectArenas());
        m.put("pooled_arenas", arenas);
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        if (alloc != PooledByteBufAllocator.DEFAULT && alloc instanceof ByteBufAllocatorMetricProvider provider) {
            Map<String, Object> d = allocatorMetric(provider.metric());
            d.put("allocator", alloc.getClass().getSimpleName());
            m.put("default", d);
        }
        return m;
    }

    private static Map<String, Object> allocatorMetric(ByteBufAllocatorMetric metric) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("used_heap", bytes(Math.max(0, metric.usedHeapMemory())));
        m.put("used_direct", bytes(Math.max(0, metric.usedDirectMemory())));
        m.put("used_heap_bytes", metric.usedHeapMemory());
        m.put("used_direct_bytes", metric.usedDirectMemory());
        return m;
    }

    static String memoryPressure(long used, long limit) {
        if (limit <= 0) {
            return "LOW";
        }
        double ratio = (double) used / limit;
        return ratio < 0.70 ? "LOW" : ratio < 0.85 ? "MEDIUM" : "HIGH";
    }
}
