package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmOptionsTest {
    private static final List<String> PLAIN = List.of("-jar", "target/olla.jar", "-c", "my config.yaml");

    @Test
    void optionsDependOnTheJavaVersion() {
        assertThat(JvmOptions.forJava(21)).contains("-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED")
                .doesNotContain("--sun-misc-unsafe-memory-access=allow")
                .noneMatch(o -> o.startsWith("#") || o.contains("+ "));
        assertThat(JvmOptions.forJava(25)).contains("-XX:+UseSerialGC", "--sun-misc-unsafe-memory-access=allow");
    }

    @Test
    void thisJvmAcceptsEveryOptionAndPrintsNothingOfItsOwn() throws Exception {
        int feature = Runtime.version().feature();
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JvmOptions.forJava(feature));
        cmd.add("-version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        // the request path's compile thresholds are set per method; "quiet" keeps the JVM from echoing them
        assertThat(JvmOptions.forJava(feature)).contains("-XX:CompileCommand=quiet",
                "-XX:CompileCommand=CompileThresholdScaling,dev.olla.*::*,0.25");
        assertThat(out).doesNotContain("CompileCommand").doesNotContainIgnoringCase("warning").contains("version");
    }

    @Test
    void aPlainJarLaunchIsRelaunchedWithTheOptionsAndTheSameArguments() {
        List<String> cmd = JvmOptions.relaunchCommand("/opt/jdk", PLAIN, Map.of(), null, 25).orElseThrow();
        assertThat(cmd.get(0)).isEqualTo("/opt/jdk/bin/java");
        assertThat(cmd).containsSubsequence("-XX:+UseSerialGC", "-Dolla.launcher=relaunch", "-jar", "target/olla.jar",
                "-c", "my config.yaml");
        assertThat(cmd.subList(cmd.size() - PLAIN.size(), cmd.size())).isEqualTo(PLAIN);
    }

    @Test
    void theRelaunchReadsItsFactsWithoutProcessHandleOrTheClassLoader(@TempDir Path dir) throws Exception {
        assertThat(JvmOptions.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(JvmOptions.feature()).isEqualTo(Runtime.version().feature());
        assertThat(JvmOptions.arguments()).isEqualTo(List.of(ProcessHandle.current().info().arguments().orElseThrow()));
        Path jar = dir.resolve("o.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.zip.ZipEntry("dev/olla/cli/jvm.options"));
            out.write("# comment\n-XX:+UseSerialGC\n25+ -XX:+UseCompactObjectHeaders\n30+ -XX:+Future\n".getBytes());
        }
        assertThat(JvmOptions.forJava(25, jar.toString())).containsExactly("-XX:+UseSerialGC", "-XX:+UseCompactObjectHeaders");
        assertThat(JvmOptions.forJava(25, dir.resolve("missing.jar").toString())).as("falls back to the class path")
                .isEqualTo(JvmOptions.forJava(25));
    }

    @Test
    void theUsersChoiceWins() {
        assertThat(JvmOptions.relaunchCommand("/j", List.of("-Xmx1g", "-jar", "olla.jar"), Map.of(), null, 25)).isEmpty();
        assertThat(JvmOptions.relaunchCommand("/j", List.of("-cp", "olla.jar", "dev.olla.cli.Main"), Map.of(), null, 25))
                .isEmpty();
        for (String v : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
            assertThat(JvmOptions.relaunchCommand("/j", PLAIN, Map.of(v, "-Xmx1g"), null, 25)).as(v).isEmpty();
        }
        assertThat(JvmOptions.relaunchCommand("/j", PLAIN, Map.of("OLLA_JVM_RELAUNCH", "false"), null, 25)).isEmpty();
    }

    @Test
    void neverTwice() {
        assertThat(JvmOptions.relaunchCommand("/j", PLAIN, Map.of(), "relaunch", 25)).isEmpty();
        assertThat(JvmOptions.relaunchCommand("/j", PLAIN, Map.of(), "image", 25)).isEmpty();
    }

    @Test
    void theRelaunchedEnvironmentKeepsTheUsersValues() {
        assertThat(JvmOptions.relaunchEnv(Map.of("A", "1"))).containsEntry("A", "1").containsEntry("MALLOC_ARENA_MAX", "2");
        assertThat(JvmOptions.relaunchEnv(Map.of("MALLOC_ARENA_MAX", "8"))).containsEntry("MALLOC_ARENA_MAX", "8");
    }
}
