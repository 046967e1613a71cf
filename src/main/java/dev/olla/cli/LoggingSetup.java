package dev.olla.cli;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import dev.olla.config.OllaConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code logging.*} (level, json|text, stdout|file) and the original's bootstrap variables
 * ({@code OLLA_FILE_OUTPUT}, {@code OLLA_LOG_DIR}, {@code OLLA_LOG_SIZE_MB}, {@code OLLA_LOG_MAX_BACKUPS})
 * to Logback at start-up.
 *
 * <p>Every appender sits behind an {@link AsyncAppender} that never blocks: an event loop that logs
 * only puts the event on a queue, and a slow or blocked stdout (a paused terminal, a full pipe)
 * costs dropped log lines once the queue is full, never a stalled connection.
 *
 * <p>JSON lines ({@link JsonLineEncoder}, as logstash-logback-encoder wrote them): {@code @timestamp} ISO-8601, {@code level},
 * {@code logger_name}, {@code message}, and the request fields flat at the top level
 * ({@code endpoint}, {@code model}, {@code status}, {@code duration_ms}, {@code request_id}, ...).
 * On a terminal the console is text unless {@code OLLA_LOGGING_FORMAT} asks otherwise.
 */
final class LoggingSetup {
    static final int QUEUE_SIZE = 8192;

    private LoggingSetup() {}

    /** What the console and the optional rolling file get. */
    record Plan(Level level, boolean consoleJson, Path fileDir, boolean fileJson, long fileSizeBytes, int backups) {}

    static void apply(OllaConfig.Logging logging) {
        apply(plan(logging, System.getenv(), stdoutIsTerminal()));
    }

    static Plan plan(OllaConfig.Logging logging, Map<String, String> env, boolean terminal) {
        String format = logging.format() == null ? "json" : logging.format().toLowerCase(Locale.ROOT);
        boolean json = !"text".equals(format);
        boolean formatForced = env.get("OLLA_LOGGING_FORMAT") != null;
        boolean consoleJson = json && !(terminal && !formatForced);
        boolean file = "file".equalsIgnoreCase(logging.output()) || truthy(env.get("OLLA_FILE_OUTPUT"));
        Path dir = file ? Path.of(env.getOrDefault("OLLA_LOG_DIR", "logs")) : null;
        long sizeMb = positive(env.get("OLLA_LOG_SIZE_MB"), 10);
        String backupsVar = env.get("OLLA_LOG_MAX_BACKUPS") != null ? env.get("OLLA_LOG_MAX_BACKUPS")
                : env.get("OLLA_MAX_BACKUPS");
        int backups = (int) Math.min(20, positive(backupsVar, 7));
        return new Plan(level(logging.level()), consoleJson, dir, json, sizeMb * 1024 * 1024, backups);
    }

    static void apply(Plan plan) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(plan.level());
        ctx.getLogger("io.netty").setLevel(Level.WARN);

        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        root.addAppender(async(ctx, "console", started(ctx, console, "console-sync", plan.consoleJson())));
        if (plan.fileDir() != null) {
            root.addAppender(async(ctx, "file", rollingFile(ctx, plan)));
        }
    }

    private static Appender<ILoggingEvent> rollingFile(LoggerContext ctx, Plan plan) {
        RollingFileAppender<ILoggingEvent> file = new RollingFileAppender<>();
        file.setContext(ctx);
        String base = plan.fileDir().resolve("olla.log").toString();
        file.setFile(base);
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(ctx);
        rolling.setParent(file);
        rolling.setFileNamePattern(plan.fileDir().resolve("olla.%i.log").toString());
        rolling.setMinIndex(1);
        rolling.setMaxIndex(Math.max(1, plan.backups()));
        rolling.start();
        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(ctx);
        trigger.setMaxFileSize(new FileSize(plan.fileSizeBytes()));
        trigger.start();
        file.setRollingPolicy(rolling);
        file.setTriggeringPolicy(trigger);
        return started(ctx, file, "file-sync", plan.fileJson());
    }

    private static OutputStreamAppender<ILoggingEvent> started(LoggerContext ctx,
            OutputStreamAppender<ILoggingEvent> appender, String name, boolean json) {
        appender.setContext(ctx);
        appender.setName(name);
        appender.setEncoder(encoder(ctx, json));
        appender.start();
        return appender;
    }

    /** A queue in front of {@code target}: the caller never waits; when full, events are dropped. */
    private static AsyncAppender async(LoggerContext ctx, String name, Appender<ILoggingEvent> target) {
        AsyncAppender async = new AsyncAppender();
        async.setContext(ctx);
        async.setName(name);
        async.setQueueSize(QUEUE_SIZE);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.setIncludeCallerData(false);
        async.setMaxFlushTime(2000);
        async.addAppender(target);
        async.start();
        return async;
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, boolean json) {
        if (!json) {
            TextLineEncoder text = new TextLineEncoder(TextLineEncoder.ISO); // %d{ISO} %-5level %msg%n
            text.setContext(ctx);
            text.start();
            return text;
        }
        JsonLineEncoder enc = new JsonLineEncoder();
        enc.setContext(ctx);
        enc.start();
        return enc;
    }

    private static boolean stdoutIsTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            // Java 22+: a Console exists even when redirected; isTerminal() tells.
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // Java 21: System.console() is null unless interactive
        }
    }

    private static boolean truthy(String v) {
        return v != null && (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes"));
    }

    private static long positive(String v, long fallback) {
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.strip());
            return n > 0 ? n : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
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
