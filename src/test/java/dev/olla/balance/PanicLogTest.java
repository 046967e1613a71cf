package dev.olla.balance;

import static dev.olla.health.TestEndpoints.await;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.olla.TestOlla;
import dev.olla.sim.SimBackends;
import dev.olla.sim.SimulatedBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Backends refusing connections under panic routing: every request is still served, and the log
 * gets a line per transition (panic entered and left, endpoint down and up), not one per refused
 * connect. Real sockets: Olla and three simulated backends on loopback.
 */
class PanicLogTest {
    private static final String CHAT =
            "{\"model\":\"llama3.2:3b\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private final SimBackends sims = new SimBackends();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger olla = (Logger) LoggerFactory.getLogger("dev.olla");
    private Level level;
    private TestOlla server;

    @BeforeEach
    void capture() {
        appender.start();
        level = olla.getLevel();
        olla.setLevel(Level.INFO);
        olla.addAppender(appender);
    }

    @AfterEach
    void tearDown() {
        olla.detachAppender(appender);
        olla.setLevel(level);
        if (server != null) {
            server.close();
        }
        sims.close();
    }

    private SimulatedBackend sim() {
        return sims.ollama(2, "llama3.2:3b");
    }

    private List<String> lines(Level atLeast) {
        return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(atLeast))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void refusedConnectsUnderPanicAreNotLoggedPerRequest() throws Exception {
        SimulatedBackend a = sim();
        SimulatedBackend b = sim();
        SimulatedBackend c = sim();
        server = TestOlla.builder().balancer("round-robin")
                .endpoint("a", a.baseUrl(), "ollama", "check_interval", "30s")
                .endpoint("b", b.baseUrl(), "ollama", "check_interval", "30s")
                .endpoint("c", c.baseUrl(), "ollama", "check_interval", "30s").start();
        var eps = server.olla().endpoints();
        assertThat(await(Duration.ofSeconds(20), () -> eps.all().stream()
                .allMatch(s -> s.routable() && server.olla().models().modelCount(s) > 0))).isTrue();
        appender.list.clear();

        a.faults().refuseConnections(true);
        b.faults().refuseConnections(true);
        int requests = 60;
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> r = server.post("/olla/ollama/api/chat", CHAT);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200); // refused on a or b, retried on c
        }
        long panicPicks = server.olla().proxy().stats().panicPicks();
        assertThat(panicPicks).as("the requests were spread over the refusing endpoints").isGreaterThan(10);
        List<String> warnings = lines(Level.WARN);
        assertThat(warnings.stream().filter(l -> l.contains("panic routing")).count()).isEqualTo(1);
        assertThat(warnings).noneMatch(l -> l.contains("failed before responding"));
        // a and b going offline (and maybe their breakers opening): a few lines, not one per refused connect
        assertThat(warnings.size()).as(String.join("\n", warnings)).isLessThanOrEqualTo(8);

        a.faults().refuseConnections(false);
        b.faults().refuseConnections(false);
        // they answer again: probes bring them back, then ordinary balancing ends the panic (one line)
        assertThat(await(Duration.ofSeconds(15), () -> {
            try {
                server.post("/olla/ollama/api/chat", CHAT);
            } catch (Exception e) {
                return false;
            }
            return lines(Level.INFO).stream().anyMatch(l -> l.contains("back to ordinary balancing"));
        })).isTrue();
        List<String> info = lines(Level.INFO);
        assertThat(info.stream().filter(l -> l.contains("back to ordinary balancing")).count()).isEqualTo(1);
        assertThat(info.stream().filter(l -> l.startsWith("endpoint a offline -> healthy")
                && l.contains("request(s) tried while offline failed")).count()).isEqualTo(1);
    }
}
