package dev.olla.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JVM options Olla supplies itself ({@code jvm.options} next to this class: serial GC, a small
 * heap that grows on demand, Netty's {@code sun.misc.Unsafe} access on Java 23+ ...). The runtime
 * image has them built in ({@code jlink --add-options}); a plain {@code java -jar olla.jar} started
 * without any JVM option gets them by replacing itself, once, with the same command plus the
 * options ({@code execve}, same process id, Java 22+). Anything the user chose wins: JVM options
 * on the command line, {@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS}, {@code _JAVA_OPTIONS}
 * or {@code OLLA_JVM_RELAUNCH=false} leave the JVM as started.
 */
public final class JvmOptions {
    /** System property naming who applied the options: {@code image}, {@code relaunch} or {@code script} (./olla). */
    public static final String LAUNCHER_PROPERTY = "olla.launcher";
    /** Extra environment for the relaunched JVM (glibc's per-thread malloc arenas cost resident memory). */
    static final Map<String, String> ENV_DEFAULTS = Map.of("MALLOC_ARENA_MAX", "2");
    private static final List<String> USER_JVM_ENV = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    private JvmOptions() {}

    /** The options for Java {@code feature} (e.g. 25), in file order. */
    public static List<String> forJava(int feature) {
        List<String> out = new ArrayList<>();
        try (InputStream in = JvmOptions.class.getResourceAsStream("jvm.options")) {
            if (in == null) {
                return out;
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.indexOf(' ');
                if (sp > 0 && line.charAt(sp - 1) == '+' && line.substring(0, sp - 1).chars().allMatch(Character::isDigit)) {
                    if (feature < Integer.parseInt(line.substring(0, sp - 1))) {
                        continue;
                    }
                    line = line.substring(sp + 1).strip();
                }
                out.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The command that restarts this JVM with Olla's options, or empty when the JVM must stay as
     * it is: options already applied, the user chose JVM options, or the process was not started
     * as {@code java -jar JAR ...}.
     *
     * @param javaHome  {@code java.home}
     * @param arguments the process arguments after the executable ({@code /proc/self/cmdline})
     * @param env       the environment
     * @param launcher  the {@value #LAUNCHER_PROPERTY} property, null when unset
     */
    static Optional<List<String>> relaunchCommand(String javaHome, List<String> arguments, Map<String, String> env,
            String launcher, int feature) {
        if (launcher != null || "false".equalsIgnoreCase(env.getOrDefault("OLLA_JVM_RELAUNCH", ""))) {
            return Optional.empty();
        }
        for (String v : USER_JVM_ENV) {
            if (env.containsKey(v)) {
                return Optional.empty();
            }
        }
        if (arguments.size() < 2 || !arguments.get(0).equals("-jar")) {
            return Optional.empty(); // JVM options given, or not a -jar launch
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(javaHome, "bin", "java").toString());
        cmd.addAll(forJava(feature));
        cmd.addAll(ClassCache.options(arguments.get(1), arguments.subList(2, arguments.size()), env, feature,
                javaHome + " " + Runtime.version(), ProcessHandle.current().pid()));
        cmd.add("-D" + LAUNCHER_PROPERTY + "=relaunch");
        cmd.addAll(arguments);
        return Optional.of(cmd);
    }

    /** The environment for the relaunched JVM: this one's plus {@link #ENV_DEFAULTS} where unset. */
    static Map<String, String> relaunchEnv(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>(env);
        ENV_DEFAULTS.forEach(out::putIfAbsent);
        return out;
    }

    /**
     * Replaces this process with one that has Olla's JVM options when it was started without any;
     * returns normally when it stays (nothing to do, or Java 21 where the process cannot be replaced).
     */
    static void relaunchIfNeeded() {
        List<String> arguments = ProcessHandle.current().info().arguments().map(List::of).orElse(List.of());
        Map<String, String> env = System.getenv();
        relaunchCommand(System.getProperty("java.home"), arguments, env, System.getProperty(LAUNCHER_PROPERTY),
                Runtime.version().feature())
                .ifPresent(cmd -> Exec.replaceProcess(cmd, relaunchEnv(env)));
    }

    /** How the running JVM got its options, for {@code olla version}. */
    static String describe() {
        String l = System.getProperty(LAUNCHER_PROPERTY);
        if ("image".equals(l)) {
            return "built into the runtime image";
        }
        if ("script".equals(l)) {
            return "supplied by the olla launcher script";
        }
        if ("relaunch".equals(l)) {
            return "supplied by Olla (relaunched with them)";
        }
        return "as started (Olla's options not applied)";
    }
}
