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
 * Replaces the running process with {@code execve(2)} through the foreign function API (Java 22+):
 * same process id, so a supervisor, a shell's job control or a container runtime keep following
 * the right process; nothing of this JVM survives but its open standard streams.
 */
final class Exec {
    private Exec() {}

    /** Returns only when the process could not be replaced (then this JVM simply carries on). */
    static void replaceProcess(List<String> command, Map<String, String> env) {
        try {
            Linker linker = Linker.nativeLinker();
            MemorySegment fn = linker.defaultLookup().find("execve").orElse(null);
            if (fn == null) {
                return;
            }
            MethodHandle execve = linker.downcallHandle(fn,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment argv = strings(arena, command);
                List<String> vars = new ArrayList<>(env.size());
                for (Map.Entry<String, String> e : env.entrySet()) { // no stream, lambda or +: cold JVM
                    vars.add(new StringBuilder(e.getKey()).append('=').append(e.getValue()).toString());
                }
                MemorySegment envp = strings(arena, vars);
                System.out.flush();
                System.err.flush();
                int ignored = (int) execve.invokeExact(arena.allocateFrom(command.get(0)), argv, envp);
            }
        } catch (Throwable t) {
            // no native access or no execve: run with the options as started
        }
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
