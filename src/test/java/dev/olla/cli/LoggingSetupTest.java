package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.olla.config.OllaConfig;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Logging set-up: formats, file output from the original's variables, and never blocking the caller. */
class LoggingSetupTest {
    @TempDir
    Path dir;

    @AfterEach
    void restoreTestLogging() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        new ContextInitializer(ctx).autoConfig();
    }

    private static void stopAppenders() {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                .detachAndStopAllAppenders();
    }

    private static OllaConfig.Logging logging(String format, String output) {
        return new OllaConfig.Logging("info", format, output);
    }

    @Test
    void textOnATerminalUnlessTheFormatVariableIsSet() {
        assertThat(LoggingSetup.plan(logging("json", "stdout"), Map.of(), true).consoleJson()).isFalse();
        assertThat(LoggingSetup.plan(logging("json", "stdout"), Map.of(), false).consoleJson()).isTrue();
        assertThat(LoggingSetup.plan(logging("json", "stdout"), Map.of("OLLA_LOGGING_FORMAT", "json"), true)
                .consoleJson()).isTrue();
        assertThat(LoggingSetup.plan(logging("text", "stdout"), Map.of(), false).consoleJson()).isFalse();
    }

    @Test
    void fileOutputFromConfigOrTheOriginalsVariables() {
        LoggingSetup.Plan none = LoggingSetup.plan(logging("json", "stdout"), Map.of(), false);
        assertThat(none.fileDir()).isNull();
        LoggingSetup.Plan byConfig = LoggingSetup.plan(logging("json", "file"), Map.of(), false);
        assertThat(byConfig.fileDir()).isEqualTo(Path.of("logs"));
        LoggingSetup.Plan byEnv = LoggingSetup.plan(logging("json", "stdout"), Map.of("OLLA_FILE_OUTPUT", "true",
                "OLLA_LOG_DIR", "/var/log/olla", "OLLA_LOG_SIZE_MB", "5", "OLLA_MAX_BACKUPS", "3"), false);
        assertThat(byEnv.fileDir()).isEqualTo(Path.of("/var/log/olla"));
        assertThat(byEnv.fileSizeBytes()).isEqualTo(5L * 1024 * 1024);
        assertThat(byEnv.backups()).isEqualTo(3);
        assertThat(LoggingSetup.plan(logging("json", "file"), Map.of("OLLA_LOG_MAX_BACKUPS", "4",
                "OLLA_LOG_SIZE_MB", "junk"), false))
                .satisfies(p -> {
                    assertThat(p.backups()).isEqualTo(4);
                    assertThat(p.fileSizeBytes()).isEqualTo(10L * 1024 * 1024);
                });
    }

    @Test
    void jsonLinesHaveIsoTimesAndFlatFields() throws Exception {
        PrintStream old = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            LoggingSetup.apply(new LoggingSetup.Plan(Level.INFO, true, dir, true, 1024 * 1024, 2));
            LoggerFactory.getLogger("olla.logtest").atInfo().addKeyValue("endpoint", "gpu0")
                    .addKeyValue("model", "llama3.2:3b").addKeyValue("status", 200).addKeyValue("duration_ms", 12.5)
                    .addKeyValue("request_id", "r-1").log("POST /x 200");
            LoggerFactory.getLogger("olla.logtest").warn("it failed", new IllegalStateException("boom"));
            stopAppenders(); // drains the async queue
        } finally {
            System.setOut(old);
        }
        List<String> lines = Files.readAllLines(dir.resolve("olla.log"));
        JsonNode failed = new ObjectMapper().readTree(lines.getLast());
        assertThat(failed.path("level").asText()).isEqualTo("WARN");
        assertThat(failed.path("message").asText()).isEqualTo("it failed");
        assertThat(failed.path("stack_trace").asText()).startsWith("java.lang.IllegalStateException: boom")
                .contains("at dev.olla.cli.LoggingSetupTest");
        JsonNode j = new ObjectMapper().readTree(lines.get(lines.size() - 2));
        assertThat(j.fieldNames()).toIterable().startsWith("@timestamp", "message", "logger_name", "level");
        assertThat(j.path("logger_name").asText()).isEqualTo("olla.logtest");
        assertThat(j.path("@timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)");
        assertThat(j.path("message").asText()).isEqualTo("POST /x 200");
        assertThat(j.path("level").asText()).isEqualTo("INFO");
        assertThat(j.path("endpoint").asText()).isEqualTo("gpu0");
        assertThat(j.path("model").asText()).isEqualTo("llama3.2:3b");
        assertThat(j.path("status").asInt()).isEqualTo(200);
        assertThat(j.path("duration_ms").asDouble()).isEqualTo(12.5);
        assertThat(j.path("request_id").asText()).isEqualTo("r-1");
    }

    @Test
    void aBlockedStdoutDoesNotBlockTheLogger() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        PrintStream old = System.out;
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    release.await(); // a terminal paused with Ctrl+S, a pipe nobody reads
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, true));
        try {
            LoggingSetup.apply(new LoggingSetup.Plan(Level.INFO, true, null, true, 1024 * 1024, 1));
            org.slf4j.Logger log = LoggerFactory.getLogger("olla.logtest");
            Thread t = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < LoggingSetup.QUEUE_SIZE + 1000; i++) {
                    log.info("line {}", i);
                }
            });
            t.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(t.isAlive()).as("the logging thread is stuck behind stdout").isFalse();
        } finally {
            release.countDown(); // the stream now swallows what the queue still holds
            stopAppenders();
            System.setOut(old);
        }
    }
}
