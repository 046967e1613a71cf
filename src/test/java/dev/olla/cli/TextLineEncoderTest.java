package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The hand-written text lines are byte for byte what Logback's pattern layout wrote. */
class TextLineEncoderTest {
    @Test
    void sameBytesAsThePatternLayout() {
        LoggerContext ctx = new LoggerContext();
        ch.qos.logback.classic.Logger logger = ctx.getLogger("olla");
        String[][] formats = {{TextLineEncoder.CLOCK, "%d{HH:mm:ss.SSS} %-5level %msg%n"},
            {TextLineEncoder.ISO, "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %msg%n"}};
        for (String[] f : formats) {
            TextLineEncoder mine = new TextLineEncoder(f[0]);
            mine.setContext(ctx);
            mine.start();
            PatternLayoutEncoder logback = new PatternLayoutEncoder();
            logback.setContext(ctx);
            logback.setPattern(f[1]);
            logback.start();
            Exception failure = new IllegalStateException("boom", new RuntimeException("cause"));
            for (Level level : new Level[] {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG}) {
                for (Throwable t : new Throwable[] {null, failure}) {
                    LoggingEvent e = new LoggingEvent("x", logger, level, "endpoint {} -> {}: ünïcode", t,
                            new Object[] {"a", 42});
                    e.setTimeStamp(1_796_566_000_123L);
                    assertThat(new String(mine.encode(e), StandardCharsets.UTF_8))
                            .as(f[1] + " " + level + " " + t).isEqualTo(new String(logback.encode(e), StandardCharsets.UTF_8));
                }
            }
        }
        ctx.stop();
    }
}
