package dev.olla.cli;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Logback's configuration until {@link LoggingSetup} applies {@code logging.*}: text lines on stdout
 * behind a queue that never blocks, {@code io.netty} at WARN, {@code io.lettuce} at ERROR (Redis
 * outages are reported once by {@code dev.olla.state}), INFO for the rest. Found by Logback through
 * {@code META-INF/services}; set in code rather than a {@code logback.xml} because reading XML
 * loaded ~390 classes (Joran's model and the JDK's XML parser) before the first request.
 *
 * <p>A {@code logback.configurationFile} system property or a {@code logback-test.xml} on the class
 * path still wins (Logback's own lookup runs then).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class StartupLogging extends ContextAwareBase implements ch.qos.logback.classic.spi.Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        boolean fileGiven = System.getProperty("logback.configurationFile") != null
                || StartupLogging.class.getClassLoader().getResource("logback-test.xml") != null;
        return configure(ctx, fileGiven);
    }

    static ExecutionStatus configure(LoggerContext ctx, boolean fileGiven) {
        if (fileGiven) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        TextLineEncoder text = new TextLineEncoder(TextLineEncoder.CLOCK); // %d{HH:mm:ss.SSS} %-5level %msg%n
        text.setContext(ctx);
        text.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("STDOUT");
        console.setEncoder(text);
        console.start();
        AsyncAppender async = new AsyncAppender();
        async.setContext(ctx);
        async.setName("ASYNC");
        async.setQueueSize(LoggingSetup.QUEUE_SIZE);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(console);
        async.start();
        ctx.getLogger("io.netty").setLevel(Level.WARN);
        ctx.getLogger("io.lettuce").setLevel(Level.ERROR);
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(async);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
