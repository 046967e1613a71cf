package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassCacheTest {
    private static final String JDK = "/opt/jdk 25+36";
    /** A process id no process has (Linux pids stay below 2^22). */
    private static final long GONE = 1L << 40;

    private static List<String> options(Path jar, Path home, int feature, long pid) {
        return ClassCache.options(jar.toString(), List.of("-c", "x.yaml"), Map.of("HOME", home.toString()), feature, JDK, pid);
    }

    private static String value(List<String> options, String prefix) {
        return options.stream().filter(o -> o.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
    }

    private static Path jar(Path dir) throws Exception {
        Path jar = dir.resolve("olla.jar");
        Files.write(jar, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000));
        return jar;
    }

    @Test
    void java22To24GetAClassDataArchiveAndARebuildANewOne(@TempDir Path home) throws Exception {
        Path jar = jar(home);
        List<String> cds = options(jar, home, 22, GONE);
        assertThat(cds).contains("-XX:+AutoCreateSharedArchive");
        String first = value(cds, "-XX:SharedArchiveFile=");
        assertThat(first).startsWith(home.resolve(".cache/olla").toString()).endsWith(".jsa");
        Files.write(Path.of(first), new byte[] {0}); // what the JVM writes at exit
        Files.write(jar, new byte[] {1, 2, 3, 4}); // a rebuild
        String second = value(options(jar, home, 22, GONE), "-XX:SharedArchiveFile=");
        assertThat(second).isNotEqualTo(first);
        assertThat(Files.exists(Path.of(first))).as("the earlier build's archive is removed").isFalse();
        assertThat(value(options(jar, home, 22, GONE), "-XX:SharedArchiveFile=")).as("same jar, same archive")
                .isEqualTo(second);
    }

    @Test
    void onlyTheServerGetsACacheAndOnlyInAWritableDirectory(@TempDir Path home) {
        assertThat(ClassCache.options("target/olla.jar", List.of(), Map.of("XDG_CACHE_HOME", home.toString()), 25, JDK, 1))
                .anyMatch(o -> o.startsWith(ClassCache.TRAIN + home.resolve("olla")));
        assertThat(Files.isDirectory(home.resolve("olla"))).isTrue();
        // one-shot commands would record too few classes; no home: no cache
        assertThat(ClassCache.options("target/olla.jar", List.of("version"), Map.of("HOME", home.toString()), 25, JDK, 1))
                .isEmpty();
        assertThat(ClassCache.options("target/olla.jar", List.of(), Map.of(), 25, JDK, 1)).isEmpty();
    }

    @Test
    void java25TrainsIntoItsOwnFileAndALaterStartAdoptsTheFinishedCache(@TempDir Path home) throws Exception {
        Path jar = jar(home);
        Path out = Path.of(value(options(jar, home, 25, GONE), ClassCache.TRAIN));
        assertThat(out.getFileName().toString()).endsWith(".aot-" + GONE + ".tmp");
        assertThat(options(jar, home, 25, GONE)).contains("-XX:+DisplayVMOutputToStderr");
        // the JVM at exit: configuration first, then the cache, then the configuration goes
        Path config = out.resolveSibling(out.getFileName() + ".config");
        Files.write(config, new byte[] {1});
        Files.write(out, new byte[] {1, 2});
        List<String> meanwhile = options(jar, home, 25, 7);
        assertThat(meanwhile).as("unfinished: this start trains its own").anyMatch(o -> o.startsWith(ClassCache.TRAIN));
        assertThat(Files.exists(out)).isTrue();
        Files.delete(config);
        List<String> after = options(jar, home, 25, 8);
        Path cache = Path.of(value(after, ClassCache.USE));
        assertThat(cache.getFileName().toString()).endsWith(".aot");
        assertThat(Files.readAllBytes(cache)).containsExactly(1, 2);
        assertThat(Files.exists(out)).isFalse();
        assertThat(options(jar, home, 25, 9)).contains(ClassCache.USE + cache).noneMatch(o -> o.startsWith(ClassCache.TRAIN));
        // a second server trained at the same time finishes later: its output goes
        Path second = out.resolveSibling(out.getFileName().toString().replace("-" + GONE + ".", "-" + (GONE + 1) + "."));
        Files.write(second, new byte[] {3});
        assertThat(options(jar, home, 25, 11)).contains(ClassCache.USE + cache);
        assertThat(Files.exists(second)).isFalse();
        assertThat(Files.readAllBytes(cache)).containsExactly(1, 2);
        // another JDK: another cache, and this one goes
        List<String> otherJdk = ClassCache.options(jar.toString(), List.of(), Map.of("HOME", home.toString()), 25,
                "/opt/jdk 25.0.2", 10);
        assertThat(otherJdk).anyMatch(o -> o.startsWith(ClassCache.TRAIN));
        assertThat(Files.exists(cache)).isFalse();
    }

    @Test
    void aTrainingStillRunningIsLeftAloneAndAKilledOneIsDroppedLater(@TempDir Path home) throws Exception {
        Path jar = jar(home);
        long self = ProcessHandle.current().pid();
        Path running = Path.of(value(options(jar, home, 25, self), ClassCache.TRAIN));
        Files.write(running, new byte[] {1});
        assertThat(options(jar, home, 25, GONE)).as("its JVM is alive: not adopted").anyMatch(o -> o.startsWith(ClassCache.TRAIN));
        assertThat(Files.exists(running)).isTrue();
        Files.delete(running);
        Path killed = Path.of(value(options(jar, home, 25, GONE), ClassCache.TRAIN));
        Path config = killed.resolveSibling(killed.getFileName() + ".config");
        Files.write(config, new byte[] {1});
        Files.write(killed, new byte[] {1});
        options(jar, home, 25, 5);
        assertThat(Files.exists(killed)).as("recent: may be an orphaned assembly still writing").isTrue();
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - ClassCache.ABANDONED.toMillis() - 60_000);
        Files.setLastModifiedTime(killed, old);
        Files.setLastModifiedTime(config, old);
        assertThat(options(jar, home, 25, 5)).anyMatch(o -> o.startsWith(ClassCache.TRAIN));
        assertThat(Files.exists(killed)).isFalse();
        assertThat(Files.exists(config)).isFalse();
    }

    @Test
    void nettysNativeLibraryIsExtractedOncePerBuildAndFoundThroughTheLibraryPath(@TempDir Path home) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("Linux".equals(System.getProperty("os.name"))
                && "amd64".equals(System.getProperty("os.arch")));
        String lib = "libnetty_transport_native_epoll_x86_64.so";
        Path jar = home.resolve("olla.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.zip.ZipEntry("META-INF/native/" + lib));
            out.write(new byte[] {0x7f, 'E', 'L', 'F'});
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000));
        String path = value(options(jar, home, 25, GONE), "-Djava.library.path=");
        Path dir = Path.of(path.split(java.io.File.pathSeparator)[0]);
        assertThat(Files.readAllBytes(dir.resolve(lib))).containsExactly(0x7f, 'E', 'L', 'F');
        assertThat(path).endsWith(System.getProperty("java.library.path"));
        assertThat(value(options(jar, home, 25, GONE), "-Djava.library.path=")).isEqualTo(path);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(2_000_000)); // a rebuild
        options(jar, home, 25, GONE);
        assertThat(Files.exists(dir)).as("the earlier build's libraries go").isFalse();
    }

    @Test
    void aCacheTheJvmDidNotMapIsRemovedWhenItIsOlla(@TempDir Path dir) throws Exception {
        Path cache = Files.write(dir.resolve("k.aot"), new byte[] {1});
        List<String> args = List.of("-XX:+UseSerialGC", ClassCache.USE + cache, "-jar", "olla.jar");
        String mapped = "7f00-7f10 r--p 00000000 08:01 42 " + cache + "\n";
        assertThat(ClassCache.verify(args, mapped, true)).isEqualTo(ClassCache.Check.MAPPED);
        assertThat(Files.exists(cache)).isTrue();
        assertThat(ClassCache.verify(args, "7f00-7f10 r--p 00000000 08:01 42 /lib/libc.so\n", false))
                .as("the runtime image's: reported, kept").isEqualTo(ClassCache.Check.REJECTED);
        assertThat(Files.exists(cache)).isTrue();
        assertThat(ClassCache.verify(args, "", true)).isEqualTo(ClassCache.Check.REJECTED);
        assertThat(Files.exists(cache)).isFalse();
        assertThat(ClassCache.verify(List.of(ClassCache.TRAIN + cache, "-jar", "x"), "", true))
                .isEqualTo(ClassCache.Check.TRAINING);
        assertThat(ClassCache.verify(List.of("-jar", "olla.jar", ClassCache.USE + cache), "", true))
                .as("an application argument").isEqualTo(ClassCache.Check.NONE);
    }
}
