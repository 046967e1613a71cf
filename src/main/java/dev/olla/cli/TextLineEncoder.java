package dev.olla.cli;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Text log lines, {@code <time> <LEVEL padded to 5> <message>} and the stack trace when there is
 * one: what Logback's {@code PatternLayoutEncoder} writes for {@code %d{PATTERN} %-5level %msg%n}
 * (it appends {@code %ex} itself), without it. The pattern layout's class set-up registers some 60
 * converters through method references and parses the pattern: ~6% of the main thread's work
 * before the first answer, for a format that never changes.
 */
final class TextLineEncoder extends LineEncoder {
    /** The start-up console's time ({@link StartupLogging}). */
    static final String CLOCK = "HH:mm:ss.SSS";
    /** {@code logging.format: text} ({@link LoggingSetup}). */
    static final String ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

    private final DateTimeFormatter time;
    private ThrowableProxyConverter stackTrace;

    TextLineEncoder(String timePattern) {
        this.time = DateTimeFormatter.ofPattern(timePattern).withZone(ZoneId.systemDefault());
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        StringBuilder b = new StringBuilder(128);
        time.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), b);
        String level = event.getLevel().toString();
        b.append(' ').append(level);
        for (int i = level.length(); i < 5; i++) {
            b.append(' ');
        }
        b.append(' ').append(event.getFormattedMessage()).append(System.lineSeparator());
        if (event.getThrowableProxy() != null) {
            b.append(stackTrace().convert(event));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Created on the first stack trace: most runs never log one. */
    private synchronized ThrowableProxyConverter stackTrace() {
        if (stackTrace == null) {
            ThrowableProxyConverter c = new ThrowableProxyConverter();
            c.setContext(getContext());
            c.start();
            stackTrace = c;
        }
        return stackTrace;
    }
}
