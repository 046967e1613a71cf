package dev.olla.cli;

import dev.olla.Olla;
import dev.olla.config.OllaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration without a restart: on {@code SIGHUP}, and (opt-in, {@code reload.watch})
 * when the file's contents change, checked every {@code reload.watch_interval}. The file is loaded
 * and validated exactly as at start-up; an invalid one is rejected with the same messages (logged)
 * and the running configuration keeps serving. Reloads run one at a time on their own thread.
 */
final class Reloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("olla.reload");

    private final Olla olla;
    private final Path configPath;
    private final Map<String, String> env;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile byte[] lastDigest;

    Reloader(Olla olla, Path configPath, Map<String, String> env, Path fileUsed) {
        this.olla = olla;
        this.configPath = configPath;
        this.env = env;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "olla-reload");
            t.setDaemon(true);
            return t;
        });
        this.watched = fileUsed;
        this.lastDigest = digest(fileUsed);
    }

    private final Path watched;

    /** Installs the SIGHUP handler and, when configured, the file watch. */
    void start(OllaConfig.Reload cfg) {
        if (Signals.onHangup(this::request)) {
            LOG.info("reload: send SIGHUP (kill -HUP {}) to reload {}", ProcessHandle.current().pid(),
                    watched == null ? "the configuration" : watched);
        }
        if (cfg != null && cfg.watch()) {
            if (watched == null) {
                LOG.warn("reload.watch is on but no configuration file is in use; nothing to watch");
            } else {
                long every = cfg.watchInterval().toMillis();
                thread.scheduleWithFixedDelay(this::checkFile, every, every, TimeUnit.MILLISECONDS);
                LOG.info("reload: watching {} every {} ms", watched, every);
            }
        }
    }

    /** Asks for a reload (coalesced: several requests while one is queued make one reload). */
    void request() {
        if (pending.compareAndSet(false, true)) {
            thread.execute(() -> {
                pending.set(false);
                reloadNow();
            });
        }
    }

    private void checkFile() {
        byte[] d = digest(watched);
        if (d != null && !Arrays.equals(d, lastDigest)) {
            LOG.info("reload: {} changed", watched);
            reloadNow();
        }
    }

    /** Loads, validates and applies the configuration; returns whether it was applied. */
    boolean reloadNow() {
        lastDigest = digest(watched);
        Startup.Attempt a = Startup.attempt(configPath, env);
        if (a.loaded() == null) {
            LOG.error("reload rejected, the running configuration stays: invalid configuration{}:{}",
                    a.source() == null ? "" : " (" + a.source() + ")", String.join("", a.problems().stream()
                            .map(p -> System.lineSeparator() + "  - " + p).toList()));
            return false;
        }
        a.loaded().config().warnings().forEach(w -> LOG.warn("config: {}", w));
        try {
            List<String> ignored = olla.reload(a.loaded().config().config(), a.loaded().profiles());
            return ignored != null;
        } catch (RuntimeException e) {
            LOG.error("reload failed, the running configuration stays: {}", e.toString());
            return false;
        }
    }

    private static byte[] digest(Path p) {
        if (p == null) {
            return null;
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
        } catch (IOException | NoSuchAlgorithmException e) {
            return null;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
