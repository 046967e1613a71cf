package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The start-up logging Logback finds through META-INF/services, in place of a logback.xml. */
class StartupLoggingTest {
    @Test
    void registeredAsLogbacksConfigurator() throws Exception {
        try (InputStream in = StartupLogging.class.getClassLoader()
                .getResourceAsStream("META-INF/services/ch.qos.logback.classic.spi.Configurator")) {
            assertThat(in).isNotNull();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim()).isEqualTo(StartupLogging.class.getName());
        }
    }

    @Test
    void textOnStdoutBehindANonBlockingQueue() {
        LoggerContext ctx = new LoggerContext();
        assertThat(StartupLogging.configure(ctx, false)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(ctx.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(ctx.getLogger("io.lettuce").getLevel()).isEqualTo(Level.ERROR);
        AsyncAppender async = (AsyncAppender) root.getAppender("ASYNC");
        assertThat(async.isNeverBlock()).isTrue();
        assertThat(async.getDiscardingThreshold()).isZero();
        assertThat(async.getAppender("STDOUT")).isNotNull();
        ctx.stop();
    }

    @Test
    void aConfigurationFileWins() {
        LoggerContext ctx = new LoggerContext();
        assertThat(StartupLogging.configure(ctx, true)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("ASYNC")).isNull();
    }
}
