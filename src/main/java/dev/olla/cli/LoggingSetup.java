package dev.olla.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.olla.config.OllaConfig;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies {@code logging.*} (level, json|text, stdout|file) to Logback at start-up. */
final class LoggingSetup {
    private LoggingSetup() {}

    static void apply(OllaConfig.Logging logging) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(level(logging.level()));
        ctx.getLogger("io.netty").setLevel(Level.WARN);

        root.addAppender(appender(ctx, new ConsoleAppender<>(), logging.format()));
        if ("file".equalsIgnoreCase(logging.output())) {
            FileAppender<ILoggingEvent> file = new FileAppender<>();
            file.setFile("logs/olla.log");
            file.setAppend(true);
            root.addAppender(appender(ctx, file, logging.format()));
        }
    }

    private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext ctx,
            OutputStreamAppender<ILoggingEvent> appender, String format) {
        appender.setContext(ctx);
        appender.setName(appender.getClass().getSimpleName());
        appender.setEncoder(encoder(ctx, format));
        appender.start();
        return appender;
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, String format) {
        if ("text".equalsIgnoreCase(format)) {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(ctx);
            text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %msg%n");
            text.start();
            return text;
        }
        JsonEncoder json = new JsonEncoder();
        json.setContext(ctx);
        json.setWithContext(false);
        json.setWithSequenceNumber(false);
        json.setWithNanoseconds(false);
        json.setWithThreadName(false);
        json.setWithFormattedMessage(true);
        json.setWithMessage(false);
        json.setWithArguments(false);
        json.setWithMDC(false);
        json.start();
        return json;
    }

    private static Level level(String level) {
        return switch (level == null ? "info" : level.toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.DEBUG;
            case "warn", "warning" -> Level.WARN;
            case "error" -> Level.ERROR;
            default -> Level.INFO;
        };
    }
}
