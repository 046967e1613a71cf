package dev.olla.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code execve(2)} through the JDK's own downcall machinery underneath the foreign function API,
 * for the one call the relaunch makes. The public {@code Linker.downcallHandle} builds a general
 * binding recipe and spins method-handle classes for it (ClassFile API, ~50 classes, most of them
 * then compiled by C1/C2): ~0.2 s of CPU in the relaunch's fresh JVM, more than everything else it
 * does. Here the call is linked from raw registers ({@code long} arguments, the SysV x86-64 ABI
 * the JDK already describes) and the strings are copied into native memory in bulk: ~0.1 s less.
 *
 * <p>It uses JDK internals, opened by the jar's manifest ({@code Add-Exports}/{@code Add-Opens}
 * for {@code java -jar} only), so it runs only where it was verified: Java 25 on Linux x86-64.
 * Anything unexpected (another JDK build, no access because the jar was not started with
 * {@code -jar}) throws before the call and {@link Exec} uses the public API.
 */
final class DirectExec {
    private DirectExec() {}

    static boolean applies() {
        return "25".equals(System.getProperty("java.specification.version"))
                && "amd64".equals(System.getProperty("os.arch"))
                && "Linux".equals(System.getProperty("os.name"));
    }

    /** Returns only when the process could not be replaced (or throws before trying). */
    static void execve(List<String> command, List<String> env) throws Throwable {
        // native accessors: no method-handle classes spun for the few reflective calls below
        System.setProperty("jdk.reflect.useNativeAccessorOnly", "true");
        MethodHandle execve = handle();
        long fn = addressOf("execve");
        try (Arena arena = Arena.ofConfined()) {
            int argc = command.size();
            int envc = env.size();
            long[] pointers = new long[argc + 1 + envc + 1];
            byte[][] bytes = new byte[argc + envc][];
            int total = 0;
            for (int i = 0; i < argc + envc; i++) {
                bytes[i] = (i < argc ? command.get(i) : env.get(i - argc)).getBytes(StandardCharsets.UTF_8);
                total += bytes[i].length + 1;
            }
            long pointerBytes = 8L * pointers.length;
            MemorySegment block = arena.allocate(pointerBytes + total, 8);
            byte[] strings = new byte[total];
            long base = block.address() + pointerBytes;
            int at = 0;
            for (int i = 0; i < bytes.length; i++) {
                pointers[i < argc ? i : i + 1] = base + at; // argv[argc] and envp[envc] stay 0
                System.arraycopy(bytes[i], 0, strings, at, bytes[i].length);
                at += bytes[i].length + 1; // the array is zeroed: NUL terminators
            }
            MemorySegment.copy(pointers, 0, block, ValueLayout.JAVA_LONG, 0, pointers.length);
            MemorySegment.copy(strings, 0, block, ValueLayout.JAVA_BYTE, pointerBytes, strings.length);
            long argv = block.address();
            long envp = argv + 8L * (argc + 1);
            int ignored = (int) execve.invokeExact(fn, pointers[0], argv, envp);
        }
    }

    /** A downcall handle {@code (long fn, long path, long argv, long envp) -> int} for the SysV x86-64 ABI. */
    private static MethodHandle handle() throws ReflectiveOperationException {
        Class<?> storage = Class.forName("jdk.internal.foreign.abi.VMStorage");
        Class<?> abiClass = Class.forName("jdk.internal.foreign.abi.ABIDescriptor");
        Class<?> nepClass = Class.forName("jdk.internal.foreign.abi.NativeEntryPoint");
        Field sysV = Class.forName("jdk.internal.foreign.abi.x64.sysv.CallArranger").getDeclaredField("CSysV");
        sysV.setAccessible(true);
        Object abi = sysV.get(null);
        Class<?> regs = Class.forName("jdk.internal.foreign.abi.x64.X86_64Architecture$Regs");
        Object[] in = (Object[]) Array.newInstance(storage, 4);
        in[0] = abiClass.getMethod("targetAddrStorage").invoke(abi);
        in[1] = regs.getField("rdi").get(null);
        in[2] = regs.getField("rsi").get(null);
        in[3] = regs.getField("rdx").get(null);
        Object[] out = (Object[]) Array.newInstance(storage, 1);
        out[0] = regs.getField("rax").get(null);
        MethodType type = MethodType.methodType(int.class, long.class, long.class, long.class, long.class);
        Object nep = nepClass.getMethod("make", abiClass, in.getClass(), out.getClass(), MethodType.class, boolean.class,
                int.class, boolean.class, boolean.class).invoke(null, abi, in, out, type, false, 0, true, false);
        Object access = Class.forName("jdk.internal.access.SharedSecrets").getMethod("getJavaLangInvokeAccess").invoke(null);
        MethodHandle mh = (MethodHandle) Class.forName("jdk.internal.access.JavaLangInvokeAccess")
                .getMethod("nativeMethodHandle", nepClass).invoke(access, nep);
        if (!mh.type().equals(type)) {
            throw new IllegalStateException("unexpected downcall type " + mh.type());
        }
        return mh;
    }

    private static long addressOf(String symbol) throws ReflectiveOperationException {
        Object lookup = Class.forName("jdk.internal.foreign.SystemLookup").getMethod("getInstance").invoke(null);
        @SuppressWarnings("unchecked")
        java.util.Optional<MemorySegment> found = (java.util.Optional<MemorySegment>) lookup.getClass()
                .getMethod("find", String.class).invoke(lookup, symbol);
        return found.orElseThrow().address();
    }
}
