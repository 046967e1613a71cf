package dev.olla;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class when Netty's leak detector reports a buffer that was never released. Netty runs
 * at {@code PARANOID} level in tests (surefire argLine), so every buffer is tracked; a leak is only
 * reported when the buffer is garbage collected, so after each class this forces collections and
 * nudges the detector. Registered for every test class (JUnit extension auto-detection, see
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}); a leak caused by an
 * earlier class in the same JVM may surface in a later one, but it always fails the build.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NettyLeakCheck.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Logger logger = logger();
        if (logger == null) {
            return;
        }
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        context.getStore(NS).put("appender", appender);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Logger logger = logger();
        @SuppressWarnings("unchecked")
        ListAppender<ILoggingEvent> appender = context.getStore(NS).remove("appender", ListAppender.class);
        if (logger == null || appender == null) {
            return;
        }
        try {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(20);
                for (int k = 0; k < 100; k++) {
                    ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(16);
                    b.release();
                }
            }
            List<String> leaks = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("LEAK")).toList();
            if (!leaks.isEmpty()) {
                throw new AssertionError("Netty ByteBuf leaks reported:\n" + String.join("\n", leaks));
            }
        } finally {
            logger.detachAppender(appender);
        }
    }

    private static Logger logger() {
        return LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector") instanceof Logger l ? l : null;
    }
}
