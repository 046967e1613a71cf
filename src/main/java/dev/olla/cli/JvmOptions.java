package dev.olla.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

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
        try (InputStream in = JvmOptions.class.getResourceAsStream("jvm.options")) {
            return in == null ? new ArrayList<>() : parse(in, feature);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@link #forJava(int)} read straight from the jar this JVM runs: the class loader's resource
     * lookup builds a URL and a jar URL connection (~40 classes, tens of milliseconds in the
     * relaunch's fresh JVM, where every millisecond before the exec is start-up time).
     */
    static List<String> forJava(int feature, String jar) {
        try (JarFile jf = new JarFile(jar, false)) {
            ZipEntry e = jf.getEntry(RESOURCE);
            if (e != null) {
                try (InputStream in = jf.getInputStream(e)) {
                    return parse(in, feature);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a jar we can read: the class loader finds it
        }
        return forJava(feature);
    }

    private static final String RESOURCE = "dev/olla/cli/jvm.options";

    // No lambdas, streams or string concatenation (+) in the code the relaunch's first JVM runs:
    // each bootstraps invokedynamic machinery there (several ms apiece in a cold JVM).
    private static List<String> parse(InputStream in, int feature) throws IOException {
        List<String> out = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int sp = line.indexOf(' ');
            if (sp > 1 && line.charAt(sp - 1) == '+' && digits(line, sp - 1)) {
                if (feature < Integer.parseInt(line.substring(0, sp - 1))) {
                    continue;
                }
                line = line.substring(sp + 1).strip();
            }
            out.add(line);
        }
        return out;
    }

    private static boolean digits(String s, int end) {
        for (int i = 0; i < end; i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
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
        cmd.addAll(forJava(feature, arguments.get(1)));
        cmd.addAll(ClassCache.options(arguments.get(1), arguments.subList(2, arguments.size()), env, feature,
                javaHome.concat(" ").concat(System.getProperty("java.runtime.version", "")), pid()));
        cmd.add("-D" + LAUNCHER_PROPERTY + "=relaunch");
        cmd.addAll(arguments);
        return Optional.of(cmd);
    }

    /** The environment for the relaunched JVM: this one's plus {@link #ENV_DEFAULTS} where unset. */
    static Map<String, String> relaunchEnv(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>(env);
        for (Map.Entry<String, String> e : ENV_DEFAULTS.entrySet()) {
            out.putIfAbsent(e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * Replaces this process with one that has Olla's JVM options when it was started without any;
     * returns normally when it stays (nothing to do, or Java 21 where the process cannot be replaced).
     */
    static void relaunchIfNeeded() {
        String launcher = System.getProperty(LAUNCHER_PROPERTY);
        if (launcher != null) {
            return; // the relaunched (or image, or script) JVM: decided without reading anything
        }
        int feature = feature();
        if (feature < 22) {
            return; // Java 21 cannot replace the process (Exec): nothing to prepare
        }
        Map<String, String> env = System.getenv();
        Optional<List<String>> cmd = relaunchCommand(System.getProperty("java.home"), arguments(), env, null, feature);
        if (cmd.isPresent()) {
            Exec.replaceProcess(cmd.get(), relaunchEnv(env));
        }
    }

    /**
     * This process's arguments after the executable: /proc/self/cmdline on Linux (what
     * {@code ProcessHandle.Info} reads too, without starting its process machinery), else ProcessHandle.
     */
    static List<String> arguments() {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            List<String> out = new ArrayList<>();
            Charset cs = platformCharset();
            int from = 0;
            for (int i = 0; i < b.length; i++) {
                if (b[i] == 0) {
                    out.add(new String(b, from, i - from, cs));
                    from = i + 1;
                }
            }
            return out.isEmpty() ? out : out.subList(1, out.size());
        } catch (IOException | RuntimeException e) {
            Optional<String[]> args = ProcessHandle.current().info().arguments();
            return args.isPresent() ? List.of(args.get()) : List.of();
        }
    }

    private static Charset platformCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /** This process's id ({@code /proc/self} on Linux; the relaunch keeps it). */
    static long pid() {
        try {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self")).toString());
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.current().pid();
        }
    }

    /** The running Java's feature version (25 for 25.0.1). */
    static int feature() {
        try {
            return Integer.parseInt(System.getProperty("java.specification.version"));
        } catch (RuntimeException e) {
            return Runtime.version().feature();
        }
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
            String how = System.getProperty("olla.exec"); // set by Exec: direct or api
            return how == null ? "supplied by Olla (relaunched with them)"
                    : "supplied by Olla (relaunched with them, execve: " + how + ")";
        }
        return "as started (Olla's options not applied)";
    }
}
