package dev.olla.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Replaces the running process with {@code execve(2)} (Java 22+): same process id, so a
 * supervisor, a shell's job control or a container runtime keep following the right process;
 * nothing of this JVM survives but its open standard streams. On Java 25 / Linux x86-64 through
 * {@link DirectExec} (~0.1 s less CPU), else (or when that is not allowed) through the foreign
 * function API. The new JVM learns which from {@value #HOW_PROPERTY} ({@code olla version} shows it).
 */
final class Exec {
    /** How the relaunch called execve: {@code direct} or {@code api}. */
    static final String HOW_PROPERTY = "olla.exec";

    private Exec() {}

    /** Returns only when the process could not be replaced (then this JVM simply carries on). */
    static void replaceProcess(List<String> command, Map<String, String> env) {
        // no stream, lambda or + concatenation here: each bootstraps invokedynamic in this cold JVM
        List<String> vars = new ArrayList<>(env.size());
        for (Map.Entry<String, String> e : env.entrySet()) {
            vars.add(new StringBuilder(e.getKey()).append('=').append(e.getValue()).toString());
        }
        System.out.flush();
        System.err.flush();
        if (DirectExec.applies()) {
            try {
                DirectExec.execve(marked(command, "direct"), vars);
            } catch (Throwable t) {
                // not allowed or not this JDK's internals (e.g. not started with -jar): the public API
            }
        }
        try {
            Linker linker = Linker.nativeLinker();
            MemorySegment fn = linker.defaultLookup().find("execve").orElse(null);
            if (fn == null) {
                return;
            }
            MethodHandle execve = linker.downcallHandle(fn,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS));
            List<String> cmd = marked(command, "api");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment argv = strings(arena, cmd);
                MemorySegment envp = strings(arena, vars);
                int ignored = (int) execve.invokeExact(arena.allocateFrom(cmd.get(0)), argv, envp);
            }
        } catch (Throwable t) {
            // no native access or no execve: run with the options as started
        }
    }

    /** The command with {@code -Dolla.exec=HOW} after the executable. */
    static List<String> marked(List<String> command, String how) {
        List<String> out = new ArrayList<>(command.size() + 1);
        out.add(command.get(0));
        out.add(new StringBuilder("-D").append(HOW_PROPERTY).append('=').append(how).toString());
        out.addAll(command.subList(1, command.size()));
        return out;
    }

    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ValueLayout.ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }
}
