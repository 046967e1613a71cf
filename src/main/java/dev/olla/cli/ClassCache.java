package dev.olla.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Olla's classes kept between starts of a plain {@code java -jar olla.jar} (the relaunch), in
 * {@code $XDG_CACHE_HOME/olla} or {@code ~/.cache/olla}, one set per jar path, build and JDK:
 *
 * <ul>
 *   <li>Java 25+: an AOT cache (JEP 483/514/515: classes loaded, linked and profiled). A server
 *       start without one trains it: {@code -XX:AOTCacheOutput} makes the JVM write it when the
 *       server stops (a child JVM assembles it, a few seconds). Each training writes its own file
 *       ({@code KEY.aot-PID.tmp}); a later start moves a finished one into place, so two servers
 *       trained at once never write the same file (the first finished is kept). After start, {@link #verify} checks that the JVM
 *       really mapped the cache and removes one it rejected (the next stop trains again) instead
 *       of starting without it forever.</li>
 *   <li>Java 22-24: a class-data archive of Olla's classes ({@code -XX:+AutoCreateSharedArchive}),
 *       written when the first server exits.</li>
 * </ul>
 *
 * <p>Only for the server: a {@code version} or {@code validate} run would record too few classes.
 */
final class ClassCache {
    static final String USE = "-XX:AOTCache=";
    static final String TRAIN = "-XX:AOTCacheOutput=";
    /** A training whose JVM is gone but whose configuration file is still there is dropped after this. */
    static final Duration ABANDONED = Duration.ofMinutes(10);
    private static final Set<String> ONE_SHOT = Set.of("version", "validate", "help", "-v", "--version", "-version",
            "-h", "--help", "--validate-config", "-validate-config");

    private ClassCache() {}

    /**
     * The JVM options that map (or create) the cache for the relaunched server, empty when there is
     * no writable cache directory or the command is not the server.
     *
     * @param jdk  names the JDK ({@code java.home} and version): a cache is only valid for its JDK
     * @param pid  this process (the relaunch keeps it): names a training's output
     */
    static List<String> options(String jar, List<String> appArgs, Map<String, String> env, int feature, String jdk,
            long pid) {
        // Runs in the relaunch's first JVM: no lambdas, streams or string concatenation with + (each
        // bootstraps invokedynamic machinery there, several ms apiece), no glob patterns.
        for (String a : appArgs) {
            if (ONE_SHOT.contains(a)) {
                return List.of();
            }
        }
        Path dir = directory(env);
        if (dir == null) {
            return List.of();
        }
        Path jarPath = Path.of(jar).toAbsolutePath().normalize();
        String id = "olla-".concat(Integer.toHexString(jarPath.toString().hashCode()));
        // The jar's size and time are part of the name: after a rebuild or an upgrade in place the
        // JVM rejects the old archive ("shared class paths mismatch") and does NOT write a new one
        // over it, so without a new name the archive would stay unused for good. Same for the JDK.
        StringBuilder key = new StringBuilder(id);
        try {
            long size = Files.size(jarPath);
            long time = Files.getLastModifiedTime(jarPath).toMillis();
            key.append('-').append(Long.toHexString(size)).append('-').append(Long.toHexString(time));
        } catch (IOException | RuntimeException e) {
            // no size or time: the path alone names it
        }
        key.append('-').append(Integer.toHexString(jdk.hashCode()));
        String k = key.toString();
        Path cache = feature < 25 ? null : Path.of(file(dir, k, ".aot"));
        tidy(dir, id, k, cache);
        List<String> out = new ArrayList<>(6);
        if (cache == null) {
            out.add("-XX:+AutoCreateSharedArchive");
            out.add("-XX:SharedArchiveFile=".concat(file(dir, k, ".jsa")));
            out.add("-Xlog:cds+dynamic=off");
        } else if (Files.exists(cache)) {
            out.add(USE.concat(cache.toString()));
            out.add("-Xlog:aot=off");
        } else {
            // the JVM reports the cache's assembly on its own output: stderr, not the log lines on stdout
            out.add(TRAIN.concat(file(dir, k, new StringBuilder(".aot-").append(pid).append(".tmp").toString())));
            out.add("-XX:+DisplayVMOutputToStderr");
            out.add("-Xlog:aot=off");
        }
        out.add("-Xlog:cds=off");
        String libraries = nativeLibraries(jarPath, dir.resolve(k.concat(".native")));
        if (libraries != null) {
            out.add("-Djava.library.path=".concat(libraries));
        }
        return out;
    }

    /**
     * Netty's epoll library, extracted from the jar once per build into {@code dir}, and the
     * {@code java.library.path} that finds it there: Netty looks there first; otherwise it copies
     * the library out of the jar into a new temporary file at every start (and creating that
     * file's random name sets up SecureRandom): 20-50 ms of CPU before the first answer. Null
     * when there is nothing to extract (another platform) or it cannot be written.
     */
    static String nativeLibraries(Path jar, Path dir) {
        String arch = System.getProperty("os.arch");
        String lib = "amd64".equals(arch) ? "libnetty_transport_native_epoll_x86_64.so"
                : "aarch64".equals(arch) ? "libnetty_transport_native_epoll_aarch_64.so" : null;
        if (lib == null || !"Linux".equals(System.getProperty("os.name"))) {
            return null;
        }
        Path target = dir.resolve(lib);
        if (!Files.exists(target)) {
            try (java.util.jar.JarFile jf = new java.util.jar.JarFile(jar.toFile(), false)) {
                java.util.zip.ZipEntry e = jf.getEntry("META-INF/native/".concat(lib));
                if (e == null) {
                    return null;
                }
                Files.createDirectories(dir);
                Path tmp = dir.resolve(lib.concat(".tmp-").concat(Long.toString(System.nanoTime())));
                try (java.io.InputStream in = jf.getInputStream(e)) {
                    Files.copy(in, tmp);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        String system = System.getProperty("java.library.path", "");
        return system.isEmpty() ? dir.toString() : dir.toString().concat(java.io.File.pathSeparator).concat(system);
    }

    private static String file(Path dir, String key, String suffix) {
        return dir.resolve(key.concat(suffix)).toString();
    }

    private static Path directory(Map<String, String> env) {
        String base = env.get("XDG_CACHE_HOME");
        Path dir;
        if (base != null && !base.isBlank()) {
            dir = Path.of(base, "olla");
        } else if (env.get("HOME") != null && !env.get("HOME").isBlank()) {
            dir = Path.of(env.get("HOME"), ".cache", "olla");
        } else {
            return null;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return Files.isWritable(dir) ? dir : null;
    }

    /**
     * One pass over the cache directory: deletes the files of earlier builds (or other JDKs) of the
     * same jar path, and for this build moves a finished training's output into place ({@code
     * cache}; the rest, e.g. a second server trained at the same time, are deleted). A training is
     * finished when its JVM is gone and so is the JVM's temporary configuration file ({@code
     * OUTPUT.config}, removed once the cache is complete); outputs of killed trainings are deleted
     * once {@link #ABANDONED}.
     */
    static void tidy(Path dir, String id, String key, Path cache) {
        String build = id.concat("-");
        String current = key.concat(".");
        String training = key.concat(".aot-");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (!name.startsWith(build)) {
                    continue;
                }
                if (!name.startsWith(current)) {
                    if (Files.isDirectory(p)) { // an earlier build's native libraries
                        try (DirectoryStream<Path> inside = Files.newDirectoryStream(p)) {
                            for (Path f : inside) {
                                Files.deleteIfExists(f);
                            }
                        }
                    }
                    Files.deleteIfExists(p);
                } else if (cache != null && name.startsWith(training) && name.endsWith(".tmp")) {
                    finishedTraining(p, name.substring(training.length(), name.length() - ".tmp".length()), cache);
                }
            }
        } catch (IOException | RuntimeException e) {
            // another start may be doing the same; a stale file only costs disk space
        }
    }

    private static void finishedTraining(Path out, String pidText, Path cache) throws IOException {
        long pid;
        try {
            pid = Long.parseLong(pidText);
        } catch (NumberFormatException e) {
            return;
        }
        if (alive(pid)) {
            return; // still serving (or assembling)
        }
        Path config = out.resolveSibling(out.getFileName().toString().concat(".config"));
        if (!Files.exists(config) && Files.size(out) > 0) {
            if (Files.exists(cache)) {
                Files.deleteIfExists(out); // another training finished first
            } else {
                Files.move(out, cache, StandardCopyOption.ATOMIC_MOVE);
            }
        } else if (abandoned(out) && abandoned(config)) {
            Files.deleteIfExists(out);
            Files.deleteIfExists(config);
        }
    }

    private static boolean alive(long pid) {
        Path proc = Path.of("/proc");
        if (Files.isDirectory(proc)) {
            return Files.exists(proc.resolve(Long.toString(pid)));
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive();
    }

    private static boolean abandoned(Path p) {
        try {
            return !Files.exists(p) || Files.getLastModifiedTime(p).toInstant()
                    .isBefore(java.time.Instant.now().minus(ABANDONED));
        } catch (IOException e) {
            return true;
        }
    }

    /** What {@link #verify} found. */
    enum Check { NONE, MAPPED, TRAINING, REJECTED }

    /**
     * Whether the AOT cache this JVM was given ({@code -XX:AOTCache=}) is mapped. A JVM that cannot
     * use a cache (another JDK build, a damaged or partly written file) starts without it and says
     * nothing ({@code -Xlog:aot=off}): the cache would be skipped on every start. A rejected cache
     * in the user's cache directory is deleted (the next server stop trains a new one).
     *
     * @param jvmArguments this JVM's arguments ({@code /proc/self/cmdline} after the executable)
     * @param maps         the text of {@code /proc/self/maps}
     * @param ownCache     the cache is the relaunch's (deletable), not the runtime image's
     */
    static Check verify(List<String> jvmArguments, String maps, boolean ownCache) {
        for (String a : jvmArguments) {
            if (a.startsWith(TRAIN)) {
                return Check.TRAINING;
            }
            if (a.startsWith(USE)) {
                String path = a.substring(USE.length());
                if (maps.contains(path)) {
                    return Check.MAPPED;
                }
                if (ownCache) {
                    try {
                        Files.deleteIfExists(Path.of(path));
                    } catch (IOException | RuntimeException e) {
                        // it stays; the next start tries it again
                    }
                }
                return Check.REJECTED;
            }
            if (a.equals("-jar")) {
                break; // application arguments follow
            }
        }
        return Check.NONE;
    }

    /** {@link #verify} for this JVM, with the outcome logged; does nothing without a cache option. */
    static Check verifyThisJvm(org.slf4j.Logger log) {
        List<String> args = ProcessHandle.current().info().arguments().map(List::of).orElse(List.of());
        if (args.stream().noneMatch(a -> a.startsWith(USE) || a.startsWith(TRAIN))) {
            return Check.NONE;
        }
        String maps;
        try {
            maps = Files.readString(Path.of("/proc/self/maps"));
        } catch (IOException | RuntimeException e) {
            return Check.NONE; // no /proc: nothing to check against
        }
        boolean own = "relaunch".equals(System.getProperty(JvmOptions.LAUNCHER_PROPERTY));
        Check c = verify(args, maps, own);
        if (c == Check.TRAINING) {
            log.info("first start of this build: when Olla stops, the JVM saves an AOT cache of its classes"
                    + " (a few seconds, once); later starts answer sooner");
        } else if (c == Check.REJECTED) {
            log.warn(own ? "the JVM did not use its AOT cache (another JDK build or a damaged file?): removed;"
                    + " the next start trains a new one, saved when that server stops"
                    : "the JVM did not use the runtime image's AOT cache lib/olla.aot: start-up is slower;"
                    + " rebuild the image or remove the file");
        }
        return c;
    }
}
