package dev.olla;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CPU nanoseconds per operation of the benchmark thread, printed after the last iteration as
 * {@code CPU/op <benchmark> <median> ns} (median of the measured iterations). On a machine shared
 * with other work, JMH's wall-clock scores include the time the thread waited for a core; thread CPU
 * time does not. A benchmark calls {@link #op()} once per invocation.
 */
@State(Scope.Thread)
public class CpuPerOp {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private long ops;
    private long cpu0;
    private double[] perIteration = new double[0];

    public void op() {
        ops++;
    }

    @Setup(Level.Iteration)
    public void start() {
        ops = 0;
        cpu0 = THREADS.getCurrentThreadCpuTime();
    }

    @TearDown(Level.Iteration)
    public void stop(org.openjdk.jmh.infra.BenchmarkParams params, org.openjdk.jmh.infra.IterationParams it) {
        if (ops == 0 || it.getType() != org.openjdk.jmh.runner.IterationType.MEASUREMENT) {
            return;
        }
        perIteration = Arrays.copyOf(perIteration, perIteration.length + 1);
        perIteration[perIteration.length - 1] = (THREADS.getCurrentThreadCpuTime() - cpu0) / (double) ops;
    }

    @TearDown(Level.Trial)
    public void report(org.openjdk.jmh.infra.BenchmarkParams params) {
        if (perIteration.length == 0) {
            return;
        }
        double[] s = perIteration.clone();
        Arrays.sort(s);
        String p = params.getParamsKeys().stream().map(k -> k + "=" + params.getParam(k)).reduce("", (a, b) -> a + " " + b);
        System.out.printf("CPU/op %s%s %.1f ns%n", params.getBenchmark().replaceAll("^.*\\.(\\w+\\.\\w+)$", "$1"), p,
                s[s.length / 2]);
    }
}
