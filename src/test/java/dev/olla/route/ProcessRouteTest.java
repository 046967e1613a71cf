package dev.olla.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProcessRouteTest {
    @Test
    void processStartAgreesWithTheRuntimeBean() {
        Instant bean = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        Instant proc = ProcessRoute.processStart();
        // /proc counts from the process's exec, the bean from the JVM's own start a little later
        assertThat(Duration.between(proc, bean).abs()).isLessThan(Duration.ofSeconds(1));
        assertThat(proc).isBefore(Instant.now());
    }
}
