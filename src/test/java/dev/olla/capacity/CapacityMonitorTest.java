package dev.olla.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig;
import dev.olla.endpoint.EndpointState;
import dev.olla.endpoint.ManualScheduler;
import dev.olla.model.ModelTestKit;
import dev.olla.sim.SimFlavor;
import dev.olla.sim.SimModel;
import dev.olla.sim.SimulatedBackend;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Polling on a manual clock (time moves, no sleeps) against a simulated llama.cpp on a real socket. */
class CapacityMonitorTest {
    private final ManualScheduler time = new ManualScheduler();
    private SimulatedBackend sim;
    private CapacityMonitor monitor;

    @AfterEach
    void tearDown() {
        if (monitor != null) {
            monitor.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    @Test
    void pollsEveryIntervalAndAFailedPollMakesTheLoadUnknown() {
        sim = ModelTestKit.sim(SimFlavor.LLAMACPP, SimModel.of("tiny-llama"));
        EndpointState ep = ModelTestKit.over("llamacpp", sim);
        monitor = new CapacityMonitor(ModelTestKit.registry(ep),
                new OllaConfig.Capacity(true, Duration.ofSeconds(2), Duration.ofSeconds(5)), time);
        AtomicInteger passes = new AtomicInteger();
        monitor.afterPass(passes::incrementAndGet);
        monitor.start();

        time.advance(Duration.ofMillis(1999));
        assertThat(sim.stats().requests("/slots")).isZero();
        time.advance(Duration.ofMillis(1));
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> passes.get() == 1)).isTrue();
        assertThat(sim.stats().requests("/slots")).isEqualTo(1);
        assertThat(ep.load().slotsTotal()).as(ep.load().toString()).isEqualTo(4);
        assertThat(ep.load().slotsBusy()).isZero();
        assertThat(ep.load().loaded()).containsOnlyKeys("tiny-llama");

        time.advance(Duration.ofSeconds(2));
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> passes.get() == 2)).isTrue();
        assertThat(sim.stats().requests("/slots")).isEqualTo(2);

        sim.close();
        time.advance(Duration.ofSeconds(2));
        assertThat(time.awaitRunning(Duration.ofSeconds(5), () -> passes.get() == 3)).isTrue();
        assertThat(ep.load().slotsBusy()).isEqualTo(-1); // occupancy unknown, not busy
        assertThat(ep.load().loaded()).isNull();
        assertThat(ep.load().slotsTotal()).isEqualTo(4); // a server's slot count is kept
        assertThat(ep.load().error()).contains("refused");
        sim = null;
    }
}
