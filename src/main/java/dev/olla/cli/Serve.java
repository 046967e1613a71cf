package dev.olla.cli;

import dev.olla.Olla;
import dev.olla.config.LoadedConfig;
import java.net.BindException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code olla} (serve): load and validate configuration, start, reload on SIGHUP, run until SIGINT/SIGTERM. */
final class Serve {
    private static final Logger LOG = LoggerFactory.getLogger("olla");

    private Serve() {}

    static int run(Path configPath, Map<String, String> env) {
        Startup.Loaded boot = Startup.load(configPath, env);
        if (boot == null) {
            return 2;
        }
        LoadedConfig loaded = boot.config();
        LoggingSetup.apply(loaded.config().logging());
        LOG.info("configuration: {}", loaded.source());
        loaded.warnings().forEach(w -> LOG.warn("config: {}", w));
        boot.profiles().warnings().forEach(w -> LOG.warn("profiles: {}", w));
        Olla olla = start(boot);
        if (olla == null) {
            return 1;
        }
        Path used = null;
        try {
            used = dev.olla.config.ConfigLoader.locate(configPath, env, Path.of("").toAbsolutePath()).orElse(null);
        } catch (dev.olla.config.ConfigException e) {
            // it was found a moment ago; without it only SIGHUP reloads
        }
        Reloader reloader = new Reloader(olla, configPath, env, used);
        reloader.start(loaded.config().reload());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                reloader.close();
                olla.close();
            } finally {
                stopped.countDown();
            }
        }, "olla-shutdown"));
        try {
            // a few seconds in, off the first requests' way: was the class cache used?
            if (!stopped.await(2, java.util.concurrent.TimeUnit.SECONDS)) {
                ClassCache.verifyThisJvm(LOG);
            }
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Port taken: a JDK BindException (NIO) or Netty's native EADDRINUSE error (epoll). */
    static boolean isAddressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** Starts Olla, turning start-up failures (port in use, ...) into one clear line; null on failure. */
    static Olla start(Startup.Loaded boot) {
        LoadedConfig loaded = boot.config();
        try {
            return Olla.start(loaded.config(), boot.profiles());
        } catch (Exception e) {
            String where = loaded.config().server().host() + ":" + loaded.config().server().port();
            if (isAddressInUse(e)) {
                System.err.println("olla: cannot listen on " + where + ": " + e.getMessage()
                        + " (is another Olla running? change server.port or OLLA_SERVER_PORT)");
            } else {
                System.err.println("olla: failed to start: " + e);
            }
            return null;
        }
    }
}
